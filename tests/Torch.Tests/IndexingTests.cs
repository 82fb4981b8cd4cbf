using static YoloSweep.Torch.torch;

namespace YoloSweep.Torch.Tests;

public class IndexingTests
{
    // x = arange(24).view(2, 3, 4): x[b, r, c] = 12b + 4r + c
    static Tensor X() => arange(24, ScalarType.Float32).view(2, 3, 4);

    [Fact]
    public void Int_and_range_subscripts_give_views_with_python_semantics()
    {
        using var s = NewDisposeScope();
        var x = X();
        Assert.Equal(new float[] { 4, 5, 6, 7 }, x[0, 1].ToArray<float>());
        Assert.Equal(new long[] { 2, 3 }, x[.., .., 0].shape);
        Assert.Equal(new float[] { 0, 4, 8, 12, 16, 20 }, x[.., .., 0].ToArray<float>());
        Assert.Equal(new float[] { 13, 14, 17, 18, 21, 22 }, x[1, .., 1..3].ToArray<float>());
        Assert.Equal(new float[] { 23 }, x[^1, ^1, ^1..].ToArray<float>());
        Assert.Equal(new float[] { 1, 2, 5, 6, 9, 10 }, x[0, .., 1..^1].ToArray<float>());
        Assert.Equal(new float[] { 0, 2 }, x[0, 0, TensorIndex.Slice(0, null, 2)].ToArray<float>());
        Assert.Equal(new long[] { 2, 3, 0 }, x[.., .., ^0..].shape);
        // A view: writing through it changes x.
        x[0, 0].fill_(-1);
        Assert.Equal(-4f, x[0, 0].sum().item<float>());
    }

    [Fact]
    public void Ellipsis_and_none_place_dimensions_as_numpy_does()
    {
        using var s = NewDisposeScope();
        var x = X();
        Assert.Equal(new long[] { 2, 3, 2 }, x[TensorIndex.Ellipsis, 1..3].shape);
        Assert.Equal(new float[] { 1, 5, 9, 13, 17, 21 }, x[TensorIndex.Ellipsis, 1].ToArray<float>());
        Assert.Equal(new float[] { 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23 }, x[1, TensorIndex.Ellipsis].ToArray<float>());
        Assert.Equal(new long[] { 2, 1, 3, 4 }, x[.., TensorIndex.None].shape);
        Assert.Equal(new long[] { 2, 3, 4, 1 }, x[TensorIndex.Ellipsis, TensorIndex.None].shape);
        Assert.Equal(new long[] { 1, 2, 3, 4 }, x[true].shape);
        Assert.Equal(new long[] { 0, 2, 3, 4 }, x[false].shape);
    }

    [Fact]
    public void Tensor_indices_select_positions_and_masks()
    {
        using var s = NewDisposeScope();
        var x = X();
        var rows = tensor(new long[] { 2, 0 });
        Assert.Equal(new float[] { 8, 9, 10, 11, 0, 1, 2, 3 }, x[0, rows].ToArray<float>());
        Assert.Equal(new float[] { 11, 3, 23, 15 }, x[.., rows, ^1].ToArray<float>());
        var mask = x > 20;
        Assert.Equal(new float[] { 21, 22, 23 }, x[mask].ToArray<float>());
        var rowMask = tensor(new[] { true, false, true });
        Assert.Equal(new long[] { 2, 2, 4 }, x[.., rowMask].shape);
        Assert.Equal(new float[] { 20, 21, 22, 23 }, x[1, rowMask][1].ToArray<float>());
    }

    [Fact]
    public void Setter_copies_into_views_and_puts_through_index_tensors()
    {
        using var s = NewDisposeScope();
        var x = X();
        x[.., 0] = zeros(4);                       // broadcast over the batch
        Assert.Equal(0f, x[.., 0].abs().sum().item<float>());
        x[1, 2, 1..3] = tensor(new float[] { 100, 200 });
        Assert.Equal(new float[] { 20, 100, 200, 23 }, x[1, 2].ToArray<float>());
        x.index_put_(-1, x < 5);                   // masked assignment: x[x < 5] = -1
        Assert.Equal(new float[] { -1, -1, -1, -1, -1, 5, 6, 7, 8, 9, 10, 11 }, x[0].flatten().ToArray<float>());
        x[0, tensor(new long[] { 1 }), 0] = full([1], 7.0);
        Assert.Equal(7f, x[0, 1, 0].item<float>());
    }

    [Fact]
    public void Bad_subscripts_throw_TorchException_naming_the_problem()
    {
        using var s = NewDisposeScope();
        var x = X();
        Assert.Contains("out of bounds for dimension 1 with size 3", Assert.Throws<TorchException>(() => x[0, 3]).Message);
        Assert.Contains("too many indices", Assert.Throws<TorchException>(() => x[0, 0, 0, 0]).Message);
        Assert.Contains("single ellipsis", Assert.Throws<TorchException>(() => x[TensorIndex.Ellipsis, TensorIndex.Ellipsis]).Message);
        Assert.Throws<TorchException>(() => x[tensor(new long[] { 5 })]);
    }

    [Fact]
    public void From_array_shares_memory_and_unpins_when_the_tensor_is_freed()
    {
        var pinnedBefore = PinnedArrays;
        var data = new float[] { 1, 2, 3, 4, 5, 6 };
        using (var scope = NewDisposeScope())
        {
            var t = from_array(data, 2, 3);
            Assert.Equal(new long[] { 2, 3 }, t.shape);
            data[4] = 50;                                  // the tensor sees writes to the array …
            Assert.Equal(50f, t[1, 1].item<float>());
            t[0, 0] = full([], 10.0);                      // … and the array sees writes to the tensor
            Assert.Equal(10f, data[0]);
            Assert.Equal(pinnedBefore + 1, PinnedArrays);
            var view = t[1];                               // a view keeps the storage (and the pin) alive
            t.Dispose();
            Assert.Equal(pinnedBefore + 1, PinnedArrays);
            Assert.Equal(new float[] { 4, 50, 6 }, view.ToArray<float>());
        }
        Assert.Equal(pinnedBefore, PinnedArrays);
        Assert.Throws<ArgumentException>(() => from_array(new long[5], 2, 3));
    }
}
