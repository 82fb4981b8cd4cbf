using System.Diagnostics;
using static YoloSweep.Torch.torch;

namespace YoloSweep.Torch.Tests;

// Tensor.LiveHandles is process-wide: these tests run alone, not beside other test classes.
[CollectionDefinition(nameof(MemoryTests), DisableParallelization = true)]
public class MemoryCollection { }

[Collection(nameof(MemoryTests))]
public class MemoryTests
{
    [Fact]
    public void Two_thousand_conv_steps_in_dispose_scopes_leave_native_memory_flat()
    {
        using var conv = new nn.Conv2d(3, 8, 3, padding: 1);
        using var bn = new nn.BatchNorm2d(8);
        using var x = randn(2, 3, 16, 16);
        void Step()
        {
            using var scope = NewDisposeScope();
            var y = nn.functional.silu(bn.call(conv.call(x)));
            y.pow(2).mean().backward();
            conv.zero_grad();
            bn.zero_grad();
        }
        for (var i = 0; i < 200; i++) Step();  // warm-up: allocator caches, JIT
        // Tensors that earlier tests leaked are finalized now, not in the middle of the count below.
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var handles = Tensor.LiveHandles;
        var finalized = Tensor.FinalizedHandles;
        var rss0 = Rss();
        for (var i = 0; i < 2000; i++) Step();
        // A step whose tensors escaped its scope either leaves them alive or has the GC finalize them: both show.
        Assert.Equal(0, Tensor.FinalizedHandles - finalized);
        Assert.True(Tensor.LiveHandles <= handles, $"{Tensor.LiveHandles - handles} tensors outlived their steps");
        // Each step allocates ~100 KB of activations; a leak of one step's tensors would add ~200 MB.
        var growth = Rss() - rss0;
        Assert.True(growth < 32L << 20, $"RSS grew by {growth >> 20} MB over 2000 steps");
    }

    // Five intermediates and a result, none disposed by hand: as a PyTorch forward reads.
    sealed class FiveIntermediates() : nn.Module<Tensor, Tensor>("FiveIntermediates")
    {
        public override Tensor forward(Tensor x) => ((x * 2 + 1).exp() - 1).relu_().sum(0, keepdim: true);
    }

    sealed class PassThrough() : nn.Module<Tensor, Tensor>("PassThrough")
    {
        public override Tensor forward(Tensor x) => x;
    }

    [Fact]
    public void A_module_call_frees_its_forward_intermediates_and_hands_the_result_to_the_caller_scope()
    {
        using var m = new FiveIntermediates();
        using var x = ones(3, 4);
        var before = Tensor.LiveHandles;
        Tensor y;
        using (var outer = NewDisposeScope())
        {
            y = m.call(x);
            Assert.Equal(before + 1, Tensor.LiveHandles);   // only the result is alive
            Assert.Equal(1, outer.Count);                     // and the caller's scope owns it
            Assert.Equal(3 * (MathF.Exp(3) - 1), y[0, 0].item<float>(), 4);
        }
        Assert.True(y.IsInvalid);
        Assert.Equal(before, Tensor.LiveHandles);
        // a forward that returns its input leaves it where it was
        using var p = new PassThrough();
        Assert.Same(x, p.call(x));
        Assert.False(x.IsInvalid);
    }

    [Fact]
    public void Tensors_leaked_without_a_scope_are_freed_by_the_finalizer()
    {
        var before = Tensor.LiveHandles;
        Leak(100);
        Assert.True(Tensor.LiveHandles >= before + 100);
        for (var i = 0; i < 3 && Tensor.LiveHandles > before; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }
        // ≤: tensors other tests leaked earlier may be finalized in the same collections.
        Assert.True(Tensor.LiveHandles <= before, $"{Tensor.LiveHandles - before} leaked tensors survived finalization");
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    static void Leak(int n)
    {
        for (var i = 0; i < n; i++) _ = ones(256, 256) * 2;  // two tensors per iteration, none disposed
    }

    [Fact]
    public void Indexing_frees_its_intermediate_views()
    {
        using var x = arange(24, ScalarType.Float32).view(2, 3, 4);
        var before = Tensor.LiveHandles;
        for (var i = 0; i < 50; i++) x[1, .., 1..3, TensorIndex.None].Dispose();
        Assert.Equal(before, Tensor.LiveHandles);
    }

    [Fact]
    public void A_failed_op_leaks_nothing_and_the_process_goes_on()
    {
        using var x = randn(1, 4, 8, 8);
        using var w = randn(8, 3, 3, 3);
        var before = Tensor.LiveHandles;
        for (var i = 0; i < 20; i++) Assert.Throws<TorchException>(() => nn.functional.conv2d(x, w));
        Assert.Equal(before, Tensor.LiveHandles);
    }

    static long Rss()
    {
        // VmRSS from /proc (Linux); Process.WorkingSet64 reads the same figure.
        using var p = Process.GetCurrentProcess();
        p.Refresh();
        return p.WorkingSet64;
    }
}
