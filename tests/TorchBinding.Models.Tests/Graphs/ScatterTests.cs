using TorchBinding.Models.Graphs;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchBinding.Models.Tests.Graphs;

/// <summary>The aggregations against loops over the rows, their gradients, and the edge helpers.</summary>
public class ScatterTests
{
    static readonly long[] Slots = [2, 0, 2, 2, 4, 0, 1, 2];   // slot 3 receives nothing

    [Test]
    public void Sum_mean_and_max_equal_a_loop_over_the_rows_and_leave_empty_slots_at_zero()
    {
        using var scope = NewDisposeScope();
        random.manual_seed(1);
        var src = randn(Slots.Length, 3, dtype: float64);
        var index = tensor(Slots);
        var sum = Scatter.Sum(src, index, 5);
        var mean = Scatter.Mean(src, index, 5);
        var max = Scatter.Max(src, index, 5);
        for (var slot = 0; slot < 5; slot++)
        {
            var rows = Enumerable.Range(0, Slots.Length).Where(k => Slots[k] == slot).Select(k => src[k]).ToList();
            var (expectedSum, expectedMean, expectedMax) = rows.Count == 0
                ? (zeros(3, dtype: float64), zeros(3, dtype: float64), zeros(3, dtype: float64))
                : (stack(rows).sum(dim: 0), stack(rows).mean([0]), stack(rows).amax([0]));
            Assert.Multiple(() =>
            {
                Assert.That((sum[slot] - expectedSum).abs().max().item<double>(), Is.LessThan(1e-12), $"sum, slot {slot}");
                Assert.That((mean[slot] - expectedMean).abs().max().item<double>(), Is.LessThan(1e-12), $"mean, slot {slot}");
                Assert.That((max[slot] - expectedMax).abs().max().item<double>(), Is.LessThan(1e-12), $"max, slot {slot}");
            });
        }
    }

    [Test]
    public void The_maximum_passes_its_gradient_to_the_maximal_row_only()
    {
        using var scope = NewDisposeScope();
        random.manual_seed(2);
        var src = randn(Slots.Length, 2, dtype: float64).requires_grad_(true);
        var index = tensor(Slots);
        Scatter.Max(src, index, 5).sum().backward();
        var expected = zeros(Slots.Length, 2, dtype: float64);
        for (var slot = 0; slot < 5; slot++)
        {
            for (var column = 0; column < 2; column++)
            {
                var rows = Enumerable.Range(0, Slots.Length).Where(k => Slots[k] == slot).ToList();
                if (rows.Count > 0)
                    expected[rows.MaxBy(k => src[k, column].item<double>()), column] = 1.0;
            }
        }
        Assert.That(GraphTestData.Same(src.grad!, expected), Is.True);
    }

    [Test]
    public void Max_works_on_rows_of_any_rank_and_with_negative_values()
    {
        using var scope = NewDisposeScope();
        var src = -arange(24, dtype: float64).view(6, 2, 2) - 1;   // all negative: an empty slot's 0 must not win
        var index = tensor(new long[] { 1, 1, 0, 0, 0, 1 });
        var max = Scatter.Max(src, index, 3);
        Assert.That(max.shape, Is.EqualTo(new long[] { 3, 2, 2 }));
        Assert.That(GraphTestData.Same(max[0], src[2]), Is.True);
        Assert.That(GraphTestData.Same(max[1], src[0]), Is.True);
        Assert.That(GraphTestData.Same(max[2], zeros(2, 2, dtype: float64)), Is.True);
    }

    [Test]
    public void Softmax_sums_to_one_per_group_and_equals_a_dense_softmax()
    {
        using var scope = NewDisposeScope();
        random.manual_seed(3);
        var scores = randn(Slots.Length, 2, dtype: float64) * 30;   // large scores: stable only because the group maximum is subtracted
        var index = tensor(Slots);
        var alpha = Scatter.Softmax(scores, index, 5);
        var sums = Scatter.Sum(alpha, index, 5);
        Assert.That((sums - tensor(new double[,] { { 1, 1 }, { 1, 1 }, { 1, 1 }, { 0, 0 }, { 1, 1 } })).abs().max().item<double>(), Is.LessThan(1e-12));
        var group = Enumerable.Range(0, Slots.Length).Where(k => Slots[k] == 2).Select(k => (long)k).ToArray();
        var dense = scores.index_select(0, tensor(group)).softmax(0);
        Assert.That((alpha.index_select(0, tensor(group)) - dense).abs().max().item<double>(), Is.LessThan(1e-12));
    }

    [Test]
    public void Self_loop_helpers_follow_pyg()
    {
        using var scope = NewDisposeScope();
        var edges = tensor(new long[,] { { 0, 1, 1, 2 }, { 1, 1, 0, 2 } });
        Assert.That(Edges.RemoveSelfLoops(edges).data<long>().ToArray(), Is.EqualTo(new long[] { 0, 1, 1, 0 }));
        Assert.That(Edges.AddSelfLoops(edges, 4).shape, Is.EqualTo(new long[] { 2, 8 }));
        var (withLoops, weights) = Edges.AddRemainingSelfLoops(edges, tensor(new float[] { 1, 5, 1, 7 }), 4);
        // Nodes 1 and 2 keep their loops (weights 5 and 7); nodes 0 and 3 get one of weight 1.
        Assert.That(withLoops.data<long>().ToArray(), Is.EqualTo(new long[] { 0, 1, 1, 2, 0, 3, 1, 1, 0, 2, 0, 3 }));
        Assert.That(weights.data<float>().ToArray(), Is.EqualTo(new float[] { 1, 5, 1, 7, 1, 1 }));
        Assert.That(Edges.InDegree(edges, 4).data<float>().ToArray(), Is.EqualTo(new float[] { 1, 2, 1, 0 }));
        var complete = Edges.Complete(3);
        Assert.That(complete.shape, Is.EqualTo(new long[] { 2, 9 }));
        Assert.That(complete[1].data<long>().ToArray(), Is.EqualTo(new long[] { 0, 0, 0, 1, 1, 1, 2, 2, 2 }), "grouped by target");
        Assert.That(Edges.Complete(3, selfLoops: false).shape, Is.EqualTo(new long[] { 2, 6 }));
        var mask = tensor(new bool[,] { { true, false }, { true, true } });   // [query/target, key/source]
        Assert.That(Edges.FromMask(mask).data<long>().ToArray(), Is.EqualTo(new long[] { 0, 0, 1, 0, 1, 1 }));
    }
}
