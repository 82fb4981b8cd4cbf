using System.Collections.Concurrent;
using YoloSweep.Torch;
using static YoloSweep.Torch.torch;

namespace YoloSweep.Trainer.Data;

/// <summary>A collated batch: images (B, 3, S, S) float in [0, 1], targets (n, 6) [image, class, x, y, w, h]
/// normalised, and for validation the letterbox of each image: (gain, padW, padH) with gain = letterboxed / original
/// height, as yolov5's shapes[i][1] (scale_boxes divides by the height gain).</summary>
public sealed class Batch(Tensor images, Tensor targets, int[] indices, (double gain, double padW, double padH)[] letterbox) : IDisposable
{
    public Tensor Images { get; } = images;
    public Tensor Targets { get; } = targets;
    public int[] Indices { get; } = indices;
    public (double gain, double padW, double padH)[] Letterbox { get; } = letterbox;
    public int Size => Indices.Length;
    public void Dispose() { Images.Dispose(); Targets.Dispose(); }
}

/// <summary>Builds batches on worker threads, a bounded number ahead of the consumer (prefetch), and hands them
/// out in order. Each sample's randomness comes from (seed, epoch, position), so an epoch is the same however the
/// threads are scheduled — and the same after a resume.</summary>
public sealed class DetectionLoader(YoloDataset data, int batchSize, bool train, AugmentOptions aug, int workers = 2, int prefetch = 4, int seed = 0)
{
    public YoloDataset Data => data;
    public int BatchSize => batchSize;
    public int BatchesPerEpoch => (data.Count + batchSize - 1) / batchSize;

    public int[] Order(int epoch)
    {
        var order = Enumerable.Range(0, data.Count).ToArray();
        if (train) new Random(SeedMix.Mix(seed, epoch, 17)).Shuffle(order);
        return order;
    }

    /// <summary>The batches of one epoch. mosaic: use 4-image mosaics (off for the last epochs, "close_mosaic").</summary>
    public IEnumerable<Batch> Epoch(int epoch, bool mosaic, CancellationToken ct = default)
    {
        var order = Order(epoch);
        var n = BatchesPerEpoch;
        var ready = new ConcurrentDictionary<int, Batch>();
        var errors = new ConcurrentQueue<Exception>();
        using var window = new SemaphoreSlim(Math.Max(1, prefetch));
        using var signal = new SemaphoreSlim(0);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var next = -1;
        var threads = Enumerable.Range(0, Math.Max(1, workers)).Select(_ => new Thread(() =>
        {
            try
            {
                while (!stop.IsCancellationRequested)
                {
                    window.Wait(stop.Token);
                    var k = Interlocked.Increment(ref next);
                    if (k >= n) { window.Release(); return; }
                    var idx = order.Skip(k * batchSize).Take(batchSize).ToArray();
                    ready[k] = Build(idx, epoch, k, mosaic);
                    signal.Release();
                }
            }
            catch (OperationCanceledException) { }
            catch (Exception e) { errors.Enqueue(e); signal.Release(); }
        }) { IsBackground = true, Name = "yolosweep-loader" }).ToList();
        threads.ForEach(t => t.Start());
        try
        {
            for (var k = 0; k < n; k++)
            {
                Batch? b;
                while (!ready.TryRemove(k, out b))
                {
                    if (errors.TryDequeue(out var e)) throw new InvalidOperationException($"data loader failed: {e.Message}", e);
                    signal.Wait(ct);
                }
                window.Release();
                yield return b;
            }
        }
        finally
        {
            stop.Cancel();
            foreach (var t in threads) t.Join();
            foreach (var b in ready.Values) b.Dispose();
        }
    }

    /// <summary>One batch, built synchronously (also what each worker runs).</summary>
    public Batch Build(int[] idx, int epoch, int batchIndex, bool mosaic)
    {
        using var scope = NewDisposeScope();
        var s = data.ImgSize;
        var imgs = new List<Tensor>();
        var targets = new List<float>();
        var lb = new (double, double, double)[idx.Length];
        for (var j = 0; j < idx.Length; j++)
        {
            var rng = new Random(SeedMix.Mix(seed, epoch, idx[j], batchIndex));
            Tensor img;
            List<float[]> labels;
            if (train && mosaic && rng.NextDouble() < aug.Mosaic)
            {
                var four = new List<(Tensor, float[][])> { (data.LoadResized(idx[j]), data.Samples[idx[j]].Labels) };
                for (var m = 0; m < 3; m++)
                {
                    var o = rng.Next(data.Count);
                    four.Add((data.LoadResized(o), data.Samples[o].Labels));
                }
                var (canvas, lab) = Augment.Mosaic(s, four, rng);
                (img, labels) = Augment.RandomAffine(canvas, lab, s, aug, rng);
            }
            else
            {
                var resized = data.LoadResized(idx[j]);
                var (h, w) = (resized.size(1), resized.size(2));
                var (boxed, ratio, padW, padH) = Augment.Letterbox(resized, s, scaleUp: train);
                lb[j] = (ratio * h / data.Shape(idx[j]).h0, padW, padH);
                labels = data.Samples[idx[j]].Labels.Select(l => Augment.NormToPixels(l, w * ratio, h * ratio, padW, padH)).ToList();
                img = boxed;
                if (train) (img, labels) = Augment.RandomAffine(img, labels, s, aug with { Scale = aug.Scale }, rng);
            }
            if (train)
            {
                img = Augment.Hsv(img, aug, rng);
                if (rng.NextDouble() < aug.FlipLR) (img, labels) = Augment.FlipLR(img, labels);
            }
            imgs.Add(img);
            foreach (var l in labels)
            {
                var (x1, y1, x2, y2) = (Math.Clamp(l[1], 0, s), Math.Clamp(l[2], 0, s), Math.Clamp(l[3], 0, s), Math.Clamp(l[4], 0, s));
                if (x2 - x1 <= 0 || y2 - y1 <= 0) continue;
                targets.AddRange([j, l[0], (x1 + x2) / 2 / s, (y1 + y2) / 2 / s, (x2 - x1) / s, (y2 - y1) / s]);
            }
        }
        var images = (stack(imgs.ToArray()) / 255.0).DetachFromDisposeScope();
        var t = tensor(targets.ToArray(), [targets.Count / 6, 6]).DetachFromDisposeScope();
        return new Batch(images, t, idx, lb);
    }
}
