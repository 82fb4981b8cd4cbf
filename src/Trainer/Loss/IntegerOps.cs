using YoloSweep.Torch;
using static YoloSweep.Torch.torch;

namespace YoloSweep.Trainer.Loss;

/// <summary>Integer-typed arithmetic: the binding's operators pass double scalars/alpha, which promote or reject
/// integer tensors; index maths must stay int64.</summary>
static class IntegerOps
{
    public static Tensor AddInt(this Tensor a, Tensor b) => Op.Call("aten::add.Tensor", a, b, 1L);
    public static Tensor AddInt(this Tensor a, long b) => Op.Call("aten::add.Scalar", a, b, 1L);
    public static Tensor MulInt(this Tensor a, long b) => Op.Call("aten::mul.Scalar", a, b);
}
