using System.Security.Cryptography;
using System.Text;
using YoloSweep.Contracts.Api;

namespace YoloSweep.Silo;

/// <summary>The two bearer-token roles: clients submit and cancel sweeps, trainers lease and report trials.</summary>
public enum Role { Client, Trainer }

/// <summary>
/// Checks each call's token against the role an endpoint group needs (401 / 403). Tokens are compared trimmed on both
/// sides, in constant time. Pages a browser opens without a script (the Orleans dashboard) may send the client token
/// as the password of HTTP Basic authentication instead.
/// </summary>
public sealed class Auth(SiloOptions options)
{
    readonly byte[] _client = Encoding.UTF8.GetBytes(options.ClientToken?.Trim() ?? "");
    readonly byte[] _trainer = Encoding.UTF8.GetBytes(options.TrainerToken?.Trim() ?? "");

    public Role? RoleOf(HttpContext http)
    {
        var header = http.Request.Headers.Authorization.ToString();
        string? token = null;
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) token = header["Bearer ".Length..];
        else if (header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase) && Password(header["Basic ".Length..]) is { } p) token = p;
        if (token is null) return null;
        var bytes = Encoding.UTF8.GetBytes(token.Trim());
        if (_client.Length > 0 && CryptographicOperations.FixedTimeEquals(bytes, _client)) return Role.Client;
        if (_trainer.Length > 0 && CryptographicOperations.FixedTimeEquals(bytes, _trainer)) return Role.Trainer;
        return null;
    }

    static string? Password(string basic)
    {
        try
        {
            var text = Encoding.UTF8.GetString(Convert.FromBase64String(basic.Trim()));
            var colon = text.IndexOf(':');
            return colon >= 0 ? text[(colon + 1)..] : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }

    /// <summary>An endpoint filter admitting only the given roles.</summary>
    public Func<EndpointFilterInvocationContext, EndpointFilterDelegate, ValueTask<object?>> Require(params Role[] roles) =>
        async (ctx, next) => Refusal(ctx.HttpContext, roles) ?? await next(ctx);

    /// <summary>Middleware for a path prefix (the Orleans dashboard) admitting only the given roles.</summary>
    public Func<HttpContext, Func<Task>, Task> Guard(string prefix, params Role[] roles) =>
        async (http, next) =>
        {
            if (http.Request.Path.StartsWithSegments(prefix) && Refusal(http, roles) is { } refused)
            {
                http.Response.Headers.WWWAuthenticate = "Basic realm=\"yolosweep\", charset=\"UTF-8\"";
                await refused.ExecuteAsync(http);
                return;
            }
            await next();
        };

    IResult? Refusal(HttpContext http, Role[] roles)
    {
        var role = RoleOf(http);
        if (role is null)
        {
            http.Response.Headers.WWWAuthenticate = "Bearer";
            return Api.Http.Error(401, "missing or invalid bearer token (Authorization: Bearer <token>)");
        }
        if (!roles.Contains(role.Value))
            return Api.Http.Error(403, $"the {Name(role.Value)} token may not do this; it needs the {string.Join(" or ", roles.Select(Name))} token");
        return null;
    }

    static string Name(Role r) => r.ToString().ToLowerInvariant();
}
