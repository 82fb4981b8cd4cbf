using System.Diagnostics;
using YoloSweep.Torch;
using static YoloSweep.Torch.torch;

// Side-by-side with bench.py (PyTorch): same ops, sizes, thread count and timing loop.
//   dotnet run -c Release --project bench/Torch -- [threads] [tiny|conv|all]
var threads = args.Length > 0 ? int.Parse(args[0]) : 2;
var which = args.Length > 1 ? args[1] : "all";
set_num_threads(threads);
Console.WriteLine($"ours  libtorch {libtorch_version}  threads {get_num_threads()}");

if (which is "tiny" or "all")
{
    using var a = ones(1);
    using var b = ones(1);
    // Disposing each result is what a dispose scope does per step; it is part of the per-op cost.
    Time("add 1-element (ns/op)", 200_000, 5, n => { for (var i = 0; i < n; i++) (a + b).Dispose(); }, 1e9);
    // A step's worth of ops per scope: results are freed when the scope ends, not one by one.
    Time("add 1-element, dispose scope per 1000 ops (ns/op)", 200_000, 5, n =>
    {
        for (var k = 0; k < n; k += 1000)
        {
            using var s = NewDisposeScope();
            for (var i = 0; i < 1000; i++) { var c = a + b; }
        }
    }, 1e9);
}

if (which is "conv" or "all")
{
    using var conv = new nn.Conv2d(64, 64, 3, padding: 1, bias: false);
    using var bn = new nn.BatchNorm2d(64);
    using var x = randn(8, 64, 80, 80);
    Time("conv block 64->64 3x3 b8 80x80 fwd+bwd (ms/iter)", 20, 5, n =>
    {
        for (var i = 0; i < n; i++)
        {
            using var s = NewDisposeScope();
            var y = nn.functional.silu(bn.call(conv.call(x)));
            y.sum().backward();
        }
    }, 1e3);
}

static void Time(string what, int n, int repeats, Action<int> body, double unit)
{
    body(Math.Max(1, n / 10));  // warm-up: JIT, op lookup, allocator
    var best = double.MaxValue;
    for (var r = 0; r < repeats; r++)
    {
        var sw = Stopwatch.StartNew();
        body(n);
        best = Math.Min(best, sw.Elapsed.TotalSeconds / n);
    }
    Console.WriteLine($"{what,-55} {best * unit,10:F1}   (best of {repeats} x {n})");
}
