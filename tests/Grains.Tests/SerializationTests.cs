using System.Collections;
using System.Reflection;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;
using YoloSweep.Contracts.Trials;
using YoloSweep.Grains.Trials;

namespace YoloSweep.Grains.Tests;

/// <summary>
/// Every type that crosses between silos or into grain storage round-trips through Orleans' serializer with every
/// member filled in, so a member without an [Id], a type without [GenerateSerializer] or a codec missing after an
/// upgrade (CodecNotFoundException) fails here instead of in a running cluster.
/// </summary>
public class SerializationTests
{
    static readonly Assembly[] Ours = [typeof(TrialSpec).Assembly, typeof(TrialRecord).Assembly];

    public static TheoryData<string> SerializableTypes =>
        [.. Ours.SelectMany(a => a.GetTypes()).Where(t => t.GetCustomAttribute<GenerateSerializerAttribute>() != null).Select(t => t.FullName!).Order()];

    static readonly Serializer Serializer = new ServiceCollection().AddSerializer().BuildServiceProvider().GetRequiredService<Serializer>();

    [Theory, MemberData(nameof(SerializableTypes))]
    public void Every_serialized_type_round_trips_with_every_member(string typeName)
    {
        var type = Ours.Select(a => a.GetType(typeName)).First(t => t != null)!;
        var value = Sample(type, depth: 0);
        var copy = Serializer.Deserialize<object>(Serializer.SerializeToArray<object>(value));
        Assert.IsType(type, copy);
        Assert.Equal(Describe(value), Describe(copy));
        if (!type.IsEnum)
            foreach (var p in Members(type))
                Assert.True(Describe(p.GetValue(value)) != Describe(DefaultOf(p.PropertyType)), $"{type.Name}.{p.Name}: the sample left it at its default, so the test would not see it lost");
    }

    /// <summary>Every type a grain interface takes or returns (ours, not the framework's) is one of those above.</summary>
    [Fact]
    public void Grain_interfaces_take_and_return_only_serializable_types_of_ours()
    {
        var grainInterfaces = typeof(TrialRecord).Assembly.GetTypes().Where(t => t.IsInterface && typeof(IAddressable).IsAssignableFrom(t));
        var used = grainInterfaces.SelectMany(i => i.GetMethods())
            .SelectMany(m => m.GetParameters().Select(p => p.ParameterType).Append(m.ReturnType))
            .SelectMany(Flatten).Where(t => Ours.Contains(t.Assembly)).Distinct().ToList();
        Assert.NotEmpty(used);
        foreach (var t in used)
            Assert.True(t.IsEnum || t.GetCustomAttribute<GenerateSerializerAttribute>() != null, $"{t.Name} crosses a grain call without [GenerateSerializer]");
    }

    static IEnumerable<Type> Flatten(Type t) =>
        t.IsGenericType ? t.GetGenericArguments().SelectMany(Flatten) : t.IsArray ? Flatten(t.GetElementType()!) : [t];

    static IEnumerable<PropertyInfo> Members(Type t) =>
        t.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.GetCustomAttribute<IdAttribute>() != null || HasIdParameter(t, p));

    static bool HasIdParameter(Type t, PropertyInfo p) =>
        t.GetConstructors().SelectMany(c => c.GetParameters()).Any(a => a.Name == p.Name && a.GetCustomAttribute<IdAttribute>() != null);

    static object? DefaultOf(Type t) => t.IsValueType && Nullable.GetUnderlyingType(t) == null ? Activator.CreateInstance(t) : null;

    static string Describe(object? v) => JsonSerializer.Serialize(v, v?.GetType() ?? typeof(object), new JsonSerializerOptions { IncludeFields = false });

    /// <summary>A value of <paramref name="t"/> with every member set to something other than its default.</summary>
    static object Sample(Type t, int depth)
    {
        if (Nullable.GetUnderlyingType(t) is { } inner) return Sample(inner, depth);
        if (t == typeof(string)) return "s" + depth;
        if (t == typeof(int)) return 7 + depth;
        if (t == typeof(long)) return 70_000_000_000L + depth;
        if (t == typeof(double)) return 0.25 + depth;
        if (t == typeof(float)) return 0.5f;
        if (t == typeof(bool)) return true;
        if (t == typeof(DateTimeOffset)) return new DateTimeOffset(2026, 12, 3, 12, 0, 0, TimeSpan.Zero).AddSeconds(depth);
        if (t == typeof(TimeSpan)) return TimeSpan.FromSeconds(90 + depth);
        if (t.IsEnum) return Enum.GetValues(t).Cast<object>().Last();
        if (t.IsArray) { var a = Array.CreateInstance(t.GetElementType()!, 1); a.SetValue(Sample(t.GetElementType()!, depth + 1), 0); return a; }
        if (t.IsGenericType && t.GetGenericArguments() is [var k, var v] && typeof(IEnumerable).IsAssignableFrom(t))
        {
            var dict = (IDictionary)Activator.CreateInstance(t.IsInterface ? typeof(Dictionary<,>).MakeGenericType(k, v) : t)!;
            dict[Sample(k, depth + 1)] = Sample(v, depth + 1);
            return dict;
        }
        if (t.IsGenericType && t.GetGenericArguments() is [var e] && typeof(IEnumerable).IsAssignableFrom(t))
        {
            var list = (IList)Activator.CreateInstance(t.IsInterface ? typeof(List<>).MakeGenericType(e) : t)!;
            list.Add(Sample(e, depth + 1));
            return list;
        }
        if (depth > 6) throw new InvalidOperationException($"{t.Name}: nesting too deep to sample");
        var ctor = t.GetConstructors().OrderByDescending(c => c.GetParameters().Length).First();
        var value = ctor.Invoke(ctor.GetParameters().Select(p => Sample(p.ParameterType, depth + 1)).ToArray());
        foreach (var p in Members(t).Where(p => p.SetMethod != null && !ctor.GetParameters().Any(a => a.Name == p.Name)))
            p.SetValue(value, Sample(p.PropertyType, depth + 1));
        return value;
    }
}
