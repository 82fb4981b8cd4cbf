namespace YoloSweep.Torch;

public static partial class torch
{
    /// <summary>Detection ops that torchvision provides in PyTorch.</summary>
    public static class ops
    {
        /// <summary>Greedy NMS (torchvision.ops.nms): boxes (N,4) xyxy, scores (N); kept indices by decreasing score.</summary>
        public static Tensor nms(Tensor boxes, Tensor scores, double iou_threshold)
        {
            var r = new Tensor(Native.Check(Native.ys_nms(boxes.Handle, scores.Handle, iou_threshold)));
            GC.KeepAlive(boxes);
            GC.KeepAlive(scores);
            return r;
        }

        /// <summary>Class-aware NMS (torchvision.ops.batched_nms): boxes of different idxs (classes, or images)
        /// never suppress each other. Boxes are shifted apart by idx × (max coordinate + 1), torchvision's
        /// coordinate trick, then one greedy NMS runs.</summary>
        public static Tensor batched_nms(Tensor boxes, Tensor scores, Tensor idxs, double iou_threshold)
        {
            if (boxes.numel() == 0) return empty([0], ScalarType.Int64, boxes.device);
            using var scope = NewDisposeScope();
            var offsets = idxs.to(boxes.dtype) * (boxes.max() + 1);
            var shifted = boxes + offsets.unsqueeze(1);
            return nms(shifted, scores, iou_threshold).MoveToOuterDisposeScope();
        }
    }

    /// <summary>Image files: JPEG (libjpeg-turbo) and PNG (libpng) as uint8 (H, W, 3) RGB tensors.</summary>
    public static class image
    {
        public static bool codecs_available => Native.ys_image_codecs_available() != 0;

        /// <summary>Decodes JPEG or PNG bytes; corrupt data throws a TorchException saying so.</summary>
        public static unsafe Tensor decode(ReadOnlySpan<byte> bytes)
        {
            fixed (byte* p = bytes) return new Tensor(Native.Check(Native.ys_image_decode(p, bytes.Length)));
        }

        public static Tensor read(string path)
        {
            byte[] bytes;
            try { bytes = File.ReadAllBytes(path); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new TorchException($"cannot read image {path}: {e.Message}");
            }
            try { return decode(bytes); }
            catch (TorchException e) { throw new TorchException($"{path}: {e.Message}"); }
        }

        public static void write_png(Tensor hwc, string path)
        {
            Native.Check(Native.ys_image_encode_png(hwc.Handle, path));
            GC.KeepAlive(hwc);
        }

        public static void write_jpeg(Tensor hwc, string path, int quality = 90)
        {
            Native.Check(Native.ys_image_encode_jpeg(hwc.Handle, path, quality));
            GC.KeepAlive(hwc);
        }
    }
}
