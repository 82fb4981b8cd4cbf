namespace YoloSweep.Torch;

// Python-style subscripts (t[..., 1:3], t[mask] = 0) with PyTorch's semantics: ints select, slices and Ellipsis
// give views, None inserts an axis; index tensors then apply as advanced indexing (aten::index / index_put_).
public static partial class torch
{
    public partial class Tensor
    {
        /// <summary>t[i, 1..3, TensorIndex.Ellipsis, mask]: a view when only ints, slices, Ellipsis and None are used,
        /// a copy when an index tensor is present (as in PyTorch). Setting copies the value into that place
        /// (broadcast; autograd records it as an in-place op).</summary>
        public Tensor this[params TensorIndex[] indices]
        {
            get => Index(indices);
            set => IndexPut(indices, value);
        }

        /// <summary>t[indices] = value for a scalar value.</summary>
        public Tensor index_put_(double value, params TensorIndex[] indices)
        {
            using var v = full([], value, dtype, device);
            IndexPut(indices, v);
            return this;
        }

        /// <summary>t[indices] = value.</summary>
        public Tensor index_put_(Tensor value, params TensorIndex[] indices)
        {
            IndexPut(indices, value);
            return this;
        }

        Tensor Index(TensorIndex[] indices)
        {
            var view = BasicIndex(indices, out var advanced);
            if (advanced == null) return view;
            using (view) return view.index(advanced);
        }

        void IndexPut(TensorIndex[] indices, Tensor value)
        {
            using var view = BasicIndex(indices, out var advanced);
            if (advanced == null) view.copy_(value);
            else view.index_put_(advanced, value);
        }

        // Applies ints, slices, Ellipsis, None and bools as views; returns the view and, when index tensors are
        // present, the per-dimension index list (null = whole dimension) for aten::index on that view.
        Tensor BasicIndex(TensorIndex[] indices, out Tensor?[]? advanced)
        {
            var ndim = dim();
            var consumed = 0;
            var ellipses = 0;
            foreach (var ix in indices)
            {
                switch (ix.kind)
                {
                    case TensorIndex.Kind.Single or TensorIndex.Kind.Slice: consumed++; break;
                    case TensorIndex.Kind.Tensor:
                        consumed += ix.tensor!.dtype is ScalarType.Bool or ScalarType.Byte ? ix.tensor.dim() : 1;
                        break;
                    case TensorIndex.Kind.Ellipsis: ellipses++; break;
                }
            }
            if (ellipses > 1) throw new TorchException("an index can only have a single ellipsis ('...')");
            if (consumed > ndim)
                throw new TorchException($"too many indices for tensor of dimension {ndim}: [{string.Join(", ", indices.Select(i => i.ToString()))}]");

            var cur = alias();
            List<(int dim, Tensor index)>? adv = null;
            var d = 0;     // dimension of cur being indexed
            var orig = 0;  // the same dimension of this tensor, for messages
            try
            {
                foreach (var ix in indices)
                {
                    switch (ix.kind)
                    {
                        case TensorIndex.Kind.Single:
                        {
                            var size = cur.size(d);
                            if (ix.index >= size || ix.index < -size)
                                throw new TorchException($"index {ix.index} is out of bounds for dimension {orig} with size {size}");
                            Replace(ref cur, cur.select(d, ix.index));
                            orig++;
                            break;
                        }
                        case TensorIndex.Kind.Slice:
                            if (ix.start is not null || ix.stop is not null || ix.step != 1)
                                Replace(ref cur, cur.slice(d, ix.start, ix.stop, ix.step));
                            d++;
                            orig++;
                            break;
                        case TensorIndex.Kind.Ellipsis:
                            d += ndim - consumed;
                            orig += ndim - consumed;
                            break;
                        case TensorIndex.Kind.None:
                            Replace(ref cur, cur.unsqueeze(d));
                            d++;
                            break;
                        case TensorIndex.Kind.Bool:
                            // PyTorch: True adds an axis of size 1, False one of size 0.
                            Replace(ref cur, cur.unsqueeze(d));
                            if (!ix.flag) Replace(ref cur, cur.narrow(d, 0, 0));
                            d++;
                            break;
                        case TensorIndex.Kind.Tensor:
                            (adv ??= []).Add((d, ix.tensor!));
                            var k = ix.tensor!.dtype is ScalarType.Bool or ScalarType.Byte ? ix.tensor.dim() : 1;
                            d += k;
                            orig += k;
                            break;
                    }
                }
            }
            catch
            {
                cur.Dispose();
                throw;
            }
            advanced = null;
            if (adv != null)
            {
                // aten::index takes one entry per leading dimension; a mask covering k dims is one entry.
                var list = new List<Tensor?>();
                var pos = 0;
                foreach (var (at, t) in adv)
                {
                    while (pos < at) { list.Add(null); pos++; }
                    list.Add(t);
                    pos += t.dtype is ScalarType.Bool or ScalarType.Byte ? t.dim() : 1;
                }
                advanced = list.ToArray();
            }
            return cur;
        }

        static void Replace(ref Tensor cur, Tensor next)
        {
            cur.Dispose();
            cur = next;
        }
    }
}
