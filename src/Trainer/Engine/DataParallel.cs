using YoloSweep.Models;
using YoloSweep.Torch;
using static YoloSweep.Torch.torch;

namespace YoloSweep.Trainer.Engine;

/// <summary>Data-parallel training over local devices: one replica per device, a thread each. Each replica runs
/// forward + backward on its slice of the batch; the gradients are then averaged into replica 0 (device copies),
/// replica 0 steps, and its parameters and buffers are broadcast back to the others.</summary>
public sealed class DataParallel : IDisposable
{
    public IReadOnlyList<DetectionModel> Replicas { get; }
    public IReadOnlyList<Device> Devices { get; }

    public DataParallel(Func<DetectionModel> factory, IReadOnlyList<Device> devices, DetectionModel? first = null)
    {
        if (devices.Count == 0) throw new ArgumentException("data-parallel needs at least one device");
        Devices = devices;
        var reps = new List<DetectionModel>();
        for (var i = 0; i < devices.Count; i++)
        {
            var m = i == 0 && first != null ? first : factory();
            m.to(devices[i]);
            reps.Add(m);
        }
        Replicas = reps;
        Broadcast();
    }

    public DetectionModel Main => Replicas[0];

    /// <summary>Forward + backward on every replica in parallel; each replica accumulates its own gradients
    /// (call <see cref="AverageGradients"/> before the optimiser step, so accumulation over batches stays exact).
    /// lossFn returns (loss to backpropagate, detached loss items) for one replica and its slice (images, targets).
    /// Returns the loss items averaged over replicas (on the CPU).</summary>
    public Tensor ForwardBackward(Tensor images, Tensor targets, Func<DetectionModel, Tensor, Tensor, (Tensor loss, Tensor items)> lossFn)
    {
        var r = Replicas.Count;
        var b = images.size(0);
        if (b < r) throw new ArgumentException($"batch {b} is smaller than the {r} replicas");
        var per = (b + r - 1) / r;
        var items = new Tensor?[r];
        var errors = new Exception?[r];
        var threads = new Thread[r];
        for (var k = 0; k < r; k++)
        {
            var rank = k;
            threads[k] = new Thread(() =>
            {
                try
                {
                    using var scope = NewDisposeScope();
                    var (lo, hi) = (rank * per, Math.Min(b, (rank + 1) * per));
                    var img = images.slice(0, lo, hi).to(Devices[rank]);
                    var sel = targets.select(1, 0);
                    var t = targets.index((sel >= lo) & (sel < hi)).clone();
                    if (t.size(0) > 0) t.select(1, 0).sub_((double)lo).Dispose();
                    var (loss, it) = lossFn(Replicas[rank], img, t.to(Devices[rank]));
                    loss.backward();
                    items[rank] = it.cpu().MoveToOuterDisposeScope();
                }
                catch (Exception e) { errors[rank] = e; }
            }) { IsBackground = true, Name = $"yolosweep-replica-{rank}" };
            threads[k].Start();
        }
        foreach (var t in threads) t.Join();
        if (errors.FirstOrDefault(e => e != null) is { } err) throw err is TorchException ? err : new InvalidOperationException(err.Message, err);
        using var st = stack(items!);
        foreach (var i in items) i!.Dispose();
        return st.mean([0]);
    }

    /// <summary>grad₀ ← mean over replicas of grad_r (copied to replica 0's device).</summary>
    public void AverageGradients()
    {
        using var _ = no_grad();
        var ps = Replicas.Select(m => m.parameters().ToList()).ToList();
        for (var i = 0; i < ps[0].Count; i++)
        {
            using var g0 = ps[0][i].grad;
            if (g0 is null) continue;
            for (var k = 1; k < Replicas.Count; k++)
            {
                using var gk = ps[k][i].grad;
                if (gk is null) continue;
                using var moved = gk.to(Devices[0]);
                g0.add_(moved);
            }
            g0.div_((double)Replicas.Count);
        }
        foreach (var m in Replicas.Skip(1)) m.zero_grad();
    }

    /// <summary>Parameters and buffers of replica 0 copied to every other replica.</summary>
    public void Broadcast()
    {
        if (Replicas.Count == 1) return;
        using var _ = no_grad();
        var src = Main.state_dict();
        var srcBuffers = Main.named_buffers().ToList();
        foreach (var m in Replicas.Skip(1))
        {
            var dst = m.state_dict();
            for (var i = 0; i < src.Count; i++) dst[i].value.copy_(src[i].value);
            var db = m.named_buffers().ToList();
            for (var i = 0; i < srcBuffers.Count; i++) db[i].buffer.copy_(srcBuffers[i].buffer);
        }
    }

    public void Dispose()
    {
        foreach (var m in Replicas.Skip(1)) m.Dispose();
    }
}
