namespace YoloSweep.Torch;

public static partial class torch
{
    /// <summary>Collectives across replicas of a model on local devices (single process, data-parallel).</summary>
    public static class distributed
    {
        /// <summary>Replaces, in place, every replica's k-th gradient by the mean over replicas of the k-th
        /// gradients. perReplicaGrads[r][k] must agree in shape and dtype across r; replicas may sit on different
        /// devices. Implementation: per replica the gradients are flattened into one buffer (one transfer per
        /// replica instead of one per tensor), summed on the first replica's device, divided, and copied back.
        /// This binding's shim has no NCCL entry, so device-to-device copies are used on every build.</summary>
        public static void all_reduce_mean(IList<Tensor[]> perReplicaGrads) => AllReduce(perReplicaGrads, mean: true);

        /// <summary>As <see cref="all_reduce_mean"/>, summing.</summary>
        public static void all_reduce_sum(IList<Tensor[]> perReplicaGrads) => AllReduce(perReplicaGrads, mean: false);

        static void AllReduce(IList<Tensor[]> grads, bool mean)
        {
            var replicas = grads.Count;
            if (replicas == 0) return;
            var n = grads[0].Length;
            for (var r = 1; r < replicas; r++)
                if (grads[r].Length != n)
                    throw new TorchException($"all_reduce: replica {r} has {grads[r].Length} gradients, replica 0 has {n}");
            for (var k = 0; k < n; k++)
                for (var r = 1; r < replicas; r++)
                    if (!grads[r][k].shape.SequenceEqual(grads[0][k].shape) || grads[r][k].dtype != grads[0][k].dtype)
                        throw new TorchException($"all_reduce: gradient {k} of replica {r} is [{string.Join(", ", grads[r][k].shape)}] {grads[r][k].dtype}, "
                            + $"replica 0 has [{string.Join(", ", grads[0][k].shape)}] {grads[0][k].dtype}");
            if (replicas == 1 || n == 0) return;

            using var scope = NewDisposeScope();
            using var _ = no_grad();
            // One flat buffer per dtype (cat needs one dtype) and replica.
            foreach (var group in Enumerable.Range(0, n).GroupBy(k => grads[0][k].dtype))
            {
                var ks = group.ToArray();
                var root = grads[0][ks[0]].device;
                Tensor Flat(int r) => cat(ks.Select(k => grads[r][k].reshape(-1)).ToArray());
                var acc = Flat(0);
                for (var r = 1; r < replicas; r++) acc.add_(Flat(r).to(root));
                if (mean) acc.div_(replicas);
                for (var r = 0; r < replicas; r++)
                {
                    var here = grads[r][ks[0]].device == root ? acc : acc.to(grads[r][ks[0]].device);
                    long offset = 0;
                    foreach (var k in ks)
                    {
                        var g = grads[r][k];
                        var len = g.numel();
                        g.copy_(here.narrow(0, offset, len).view(g.shape));
                        offset += len;
                    }
                }
            }
        }
    }
}
