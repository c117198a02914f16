using TorchSharp;
using static TorchSharp.torch;

namespace TorchBinding.Models.Graphs;

/// <summary>
/// The checks every graph function and layer runs before any native call that indexes with <c>edge_index</c>:
/// an index outside <c>0..N−1</c> would otherwise be reported by libtorch (or, in a kernel, not at all).
/// </summary>
static class GraphChecks
{
    /// <summary>Whether two devices are the same (an unindexed CUDA device is device 0).</summary>
    public static bool SameDevice(Device a, Device b) => a.type == b.type && Math.Max(a.index, 0) == Math.Max(b.index, 0);

    /// <summary>An edge index: int64, <c>[2, E]</c>, on <paramref name="device"/>, every value in <c>0..N−1</c>.</summary>
    public static void EdgeIndex(string who, Tensor edgeIndex, long nodeCount, Device device)
    {
        ArgumentNullException.ThrowIfNull(edgeIndex);
        if (edgeIndex.dtype != ScalarType.Int64)
            throw new ArgumentException($"{who}: edge_index must be int64, got {edgeIndex.dtype} {Shapes.Format(edgeIndex)}; convert it with edge_index.to(int64).", nameof(edgeIndex));
        if (edgeIndex.dim() != 2 || edgeIndex.shape[0] != 2)
        {
            var hint = edgeIndex.dim() == 2 && edgeIndex.shape[1] == 2 ? "; it looks like [E, 2]: use edge_index.t()" : "";
            throw new ArgumentException($"{who}: edge_index must be [2, E] (sources in row 0, targets in row 1), got {Shapes.Format(edgeIndex)}{hint}.", nameof(edgeIndex));
        }
        if (!SameDevice(edgeIndex.device, device))
            throw new ArgumentException($"{who}: edge_index is on {edgeIndex.device} but the node features are on {device}; move it with edge_index.to(device).", nameof(edgeIndex));
        IndexRange(who, "edge_index", edgeIndex, nodeCount, "nodes");
    }

    /// <summary>Every value of an int64 index lies in <c>0..count−1</c> (one read of its minimum and maximum).</summary>
    public static void IndexRange(string who, string role, Tensor index, long count, string items)
    {
        if (index.numel() == 0)
            return;
        long low, high;
        using (var scope = NewDisposeScope())
        {
            using var extremes = stack([index.min(), index.max()]).cpu();
            var values = extremes.data<long>();
            (low, high) = (values[0], values[1]);
        }
        if (low < 0)
            throw new ArgumentException($"{who}: {role} holds {low}; indices must be in 0..{count - 1} (negative indices are not allowed).", role);
        if (high >= count)
            throw new ArgumentException(count == 0
                ? $"{who}: {role} holds {high} but there are no {items}."
                : $"{who}: {role} holds {high} but there are only {count} {items} (indices 0..{count - 1}).", role);
    }

    /// <summary>Node features for a layer: <c>[N, F]</c> floating point with F = <paramref name="features"/>, like <paramref name="parameter"/>.</summary>
    public static void NodeFeatures(string who, Tensor x, long features, Tensor parameter)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.dim() != 2)
            throw new ArgumentException(
                $"{who} expects node features [N, {features}], got {Shapes.Format(x)}" + (x.dim() == 1 ? "; for one feature per node use x.unsqueeze(1)." : "."), nameof(x));
        if (x.shape[1] != features)
            throw new ArgumentException($"{who} expects {features} feature(s) per node, got {x.shape[1]}: x {Shapes.Format(x)}.", nameof(x));
        if (!x.is_floating_point())
            throw new ArgumentException($"{who} expects floating-point node features, got {x.dtype}: x {Shapes.Format(x)}; convert them with x.to(float32).", nameof(x));
        if (x.dtype != parameter.dtype)
            throw new ArgumentException($"{who}'s parameters are {parameter.dtype} but the node features are {x.dtype}; convert them with x.to({parameter.dtype}).", nameof(x));
        if (!SameDevice(x.device, parameter.device))
            throw new ArgumentException($"{who} is on {parameter.device} but the node features are on {x.device}; move them with x.to(device).", nameof(x));
    }

    /// <summary>A layer's whole input: node features and an edge index that fits them.</summary>
    public static void LayerInput(string who, Tensor x, Tensor edgeIndex, long features, Tensor parameter)
    {
        NodeFeatures(who, x, features, parameter);
        EdgeIndex(who, edgeIndex, x.shape[0], x.device);
    }

    /// <summary>Per-edge weights: <c>[E]</c>, floating point, on the device of the edge index.</summary>
    public static void EdgeWeight(string who, Tensor? weight, Tensor edgeIndex)
    {
        if (weight is null)
            return;
        if (weight.dim() != 1 || weight.shape[0] != edgeIndex.shape[1])
            throw new ArgumentException($"{who}: edge weights must be [E] with E = {edgeIndex.shape[1]} (one per edge), got {Shapes.Format(weight)}.", nameof(weight));
        if (!weight.is_floating_point())
            throw new ArgumentException($"{who}: edge weights must be floating point, got {weight.dtype}.", nameof(weight));
        if (!SameDevice(weight.device, edgeIndex.device))
            throw new ArgumentException($"{who}: edge weights are on {weight.device} but edge_index is on {edgeIndex.device}.", nameof(weight));
    }

    /// <summary>
    /// Edge weights a degree normalisation can take: finite and ≥ 0. A negative weight can make a weighted degree
    /// negative (or zero with edges), whose inverse square root is NaN (or ∞) and spreads to every output it reaches.
    /// The message names the first bad edge: its index, its endpoints and its weight.
    /// </summary>
    public static void NonNegativeEdgeWeights(string who, Tensor? weight, Tensor edgeIndex)
    {
        if (weight is null || weight.numel() == 0)
            return;
        long index;
        using (var scope = NewDisposeScope())
        {
            var bad = weight.lt(0).logical_or(weight.isfinite().logical_not());
            if (!bad.any().item<bool>())
                return;
            index = bad.nonzero()[0, 0].item<long>();
        }
        double value;
        long source, target;
        using (var scope = NewDisposeScope())
        {
            value = weight[index].to(ScalarType.Float64).item<double>();
            source = edgeIndex[0, index].item<long>();
            target = edgeIndex[1, index].item<long>();
        }
        var what = double.IsFinite(value) ? "is negative" : "is not finite";
        throw new ArgumentException(
            $"{who}: edge {index} ({source} → {target}) has weight {value.ToString(System.Globalization.CultureInfo.InvariantCulture)}, which {what}; " +
            "the symmetric normalisation divides by the square roots of weighted degrees, so edge weights must be finite and ≥ 0 " +
            "(for signed weights use normalize: false).", nameof(weight));
    }
}
