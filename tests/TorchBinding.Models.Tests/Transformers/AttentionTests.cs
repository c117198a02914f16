using TorchBinding.Models.Transformers;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchBinding.Models.Tests.Transformers;

public class AttentionTests
{
    [SetUp]
    public void Seed() => manual_seed(5);

    static float MaxDifference(Tensor a, Tensor b) => (a - b).abs().max().item<float>();

    [Test]
    public void Attention_rows_are_distributions_and_the_output_is_their_average_of_the_values()
    {
        var (q, k, v) = (randn(2, 3, 5, 4), randn(2, 3, 7, 4), randn(2, 3, 7, 6));
        var (output, weights) = ScaledDotProductAttention.ComputeWithWeights(q, k, v);
        Assert.That(output.shape, Is.EqualTo(new long[] { 2, 3, 5, 6 }));
        Assert.That(weights.shape, Is.EqualTo(new long[] { 2, 3, 5, 7 }));
        Assert.That(MaxDifference(weights.sum(-1), ones(2, 3, 5)), Is.LessThan(1e-6f), "each row sums to 1");
        Assert.That(weights.min().item<float>(), Is.GreaterThanOrEqualTo(0f));
        // By the definition: softmax(q kᵀ / √d) v, one query at a time.
        var scores = new float[7];
        for (var j = 0; j < 7; j++)
            scores[j] = (q[1, 2, 4] * k[1, 2, j]).sum().item<float>() / 2f;          // √4 = 2
        var e = scores.Select(s => Math.Exp(s)).ToArray();
        var expected = zeros(6);
        for (var j = 0; j < 7; j++)
            expected += v[1, 2, j] * (float)(e[j] / e.Sum());
        Assert.That(MaxDifference(output[1, 2, 4], expected), Is.LessThan(1e-5f));
    }

    [Test]
    public void Fused_attention_equals_the_explicit_one_to_1e_6()
    {
        var (q, k, v) = (randn(4, 2, 6, 8), randn(4, 2, 6, 8), randn(4, 2, 6, 8));
        var masks = new (string Name, AttentionMask? Mask)[]
        {
            ("none", null),
            ("causal", AttentionMask.CausalMask),
            ("padding", AttentionMask.FromLengths([6, 4, 1, 3], 6)),
            ("causal + padding", AttentionMask.FromLengths([6, 4, 1, 3], 6) with { Causal = true }),
            ("allowed [T, S]", new AttentionMask { Allowed = rand(6, 6).gt(0.4) }),
            ("allowed [N, T, S]", new AttentionMask { Allowed = rand(4, 6, 6).gt(0.4) }),
            ("allowed [N, H, T, S] + padding", new AttentionMask { Allowed = rand(4, 2, 6, 6).gt(0.3), KeyPadding = AttentionMask.FromLengths([6, 4, 1, 3], 6).KeyPadding }),
        };
        Assert.Multiple(() =>
        {
            foreach (var (name, mask) in masks)
            {
                foreach (var scale in new double?[] { null, 0.125, 0.9 })
                {
                    var fused = ScaledDotProductAttention.Compute(q, k, v, mask, scale: scale, implementation: AttentionImplementation.Fused);
                    var plain = ScaledDotProductAttention.Compute(q, k, v, mask, scale: scale, implementation: AttentionImplementation.Explicit);
                    Assert.That(fused.isfinite().all().item<bool>(), Is.True, $"{name}, scale {scale}: finite");
                    Assert.That(MaxDifference(fused, plain), Is.LessThan(1e-6f), $"{name}, scale {scale?.ToString() ?? "1/√d"}");
                }
            }
        });
        // Three-dimensional (single-head) inputs too.
        var (q3, k3, v3) = (randn(3, 5, 4), randn(3, 5, 4), randn(3, 5, 4));
        Assert.That(MaxDifference(
            ScaledDotProductAttention.Compute(q3, k3, v3, AttentionMask.CausalMask, implementation: AttentionImplementation.Fused),
            ScaledDotProductAttention.Compute(q3, k3, v3, AttentionMask.CausalMask, implementation: AttentionImplementation.Explicit)), Is.LessThan(1e-6f));
    }

    [Test]
    public void With_a_causal_mask_output_t_does_not_depend_on_later_tokens()
    {
        foreach (var implementation in new[] { AttentionImplementation.Explicit, AttentionImplementation.Fused })
        {
            var (q, k, v) = (randn(2, 6, 4), randn(2, 6, 4), randn(2, 6, 4));
            var before = ScaledDotProductAttention.Compute(q, k, v, AttentionMask.CausalMask, implementation: implementation);
            // Change everything from token 3 on.
            var (q2, k2, v2) = (q.clone(), k.clone(), v.clone());
            foreach (var t in new[] { q2, k2, v2 })
                t[.., 3..] = randn(2, 3, 4);
            var after = ScaledDotProductAttention.Compute(q2, k2, v2, AttentionMask.CausalMask, implementation: implementation);
            Assert.That(MaxDifference(before[.., ..3], after[.., ..3]), Is.Zero, $"{implementation}: tokens 0..2 unchanged");
            Assert.That(MaxDifference(before[.., 3..], after[.., 3..]), Is.GreaterThan(1e-3f), $"{implementation}: later tokens do change");
        }
        var (_, weights) = ScaledDotProductAttention.ComputeWithWeights(randn(1, 4, 2), randn(1, 4, 2), randn(1, 4, 2), AttentionMask.CausalMask);
        Assert.That(weights[0].triu(1).abs().max().item<float>(), Is.Zero, "no weight above the diagonal");
        Assert.That(weights[0, 0, 0].item<float>(), Is.EqualTo(1f), "the first token can only attend to itself");
    }

    [Test]
    public void Padded_keys_are_ignored()
    {
        var (q, k, v) = (randn(2, 5, 4), randn(2, 5, 4), randn(2, 5, 4));
        var mask = AttentionMask.FromLengths([5, 3], 5);
        var (padded, weights) = ScaledDotProductAttention.ComputeWithWeights(q, k, v, mask);
        Assert.That(weights[1, .., 3..].abs().max().item<float>(), Is.Zero, "no weight on sample 1's padding");
        // Sample 1 computed with only its 3 real keys gives the same output.
        var alone = ScaledDotProductAttention.Compute(q[1..2], k[1..2, ..3], v[1..2, ..3], implementation: AttentionImplementation.Explicit);
        Assert.That(MaxDifference(padded[1..2], alone), Is.LessThan(1e-6f));
        // Whatever the padding holds, nothing changes.
        var (k2, v2) = (k.clone(), v.clone());
        k2[1, 3..] = randn(2, 4) * 100;
        v2[1, 3..] = randn(2, 4) * 100;
        foreach (var implementation in new[] { AttentionImplementation.Explicit, AttentionImplementation.Fused })
            Assert.That(MaxDifference(ScaledDotProductAttention.Compute(q, k2, v2, mask, implementation: implementation), padded), Is.LessThan(1e-5f), implementation.ToString());
    }

    [Test]
    public void A_query_with_no_key_left_attends_to_nothing_in_both_implementations()
    {
        var (q, k, v) = (randn(1, 3, 2), randn(1, 3, 2), randn(1, 3, 2));
        var allowed = ones(3, 3, dtype: ScalarType.Bool);
        allowed[1] = zeros(3, dtype: ScalarType.Bool);
        var mask = new AttentionMask { Allowed = allowed };
        var (plain, weights) = ScaledDotProductAttention.ComputeWithWeights(q, k, v, mask);
        var fused = ScaledDotProductAttention.Compute(q, k, v, mask, implementation: AttentionImplementation.Fused);
        Assert.That(weights[0, 1].abs().max().item<float>(), Is.Zero);
        Assert.That(plain[0, 1].abs().max().item<float>(), Is.Zero);
        Assert.That(MaxDifference(plain, fused), Is.LessThan(1e-6f));
        Assert.That(weights.sum(-1)[0, 0].item<float>(), Is.EqualTo(1f).Within(1e-6));
    }

    [Test]
    public void Dropout_thins_the_weights_only_where_asked_and_the_returned_weights_are_the_softmax()
    {
        var (q, k, v) = (randn(8, 10, 4), randn(8, 10, 4), randn(8, 10, 4));
        var (output, weights) = ScaledDotProductAttention.ComputeWithWeights(q, k, v, dropout: 0.5);
        Assert.That(MaxDifference(weights.sum(-1), ones(8, 10)), Is.LessThan(1e-5f), "the returned weights are before dropout");
        var (clean, _) = ScaledDotProductAttention.ComputeWithWeights(q, k, v);
        Assert.That(MaxDifference(output, clean), Is.GreaterThan(1e-3f), "dropout changed the output");
        var fused = ScaledDotProductAttention.Compute(q, k, v, dropout: 0.5, implementation: AttentionImplementation.Fused);
        Assert.That(MaxDifference(fused, clean), Is.GreaterThan(1e-3f), "the fused kernel drops too");
    }

    [Test]
    public void Bad_shapes_and_masks_are_explained()
    {
        Assert.Multiple(() =>
        {
            Assert.That(() => ScaledDotProductAttention.Compute(randn(2, 5, 4), randn(2, 5, 3), randn(2, 5, 4)),
                Throws.ArgumentException.With.Message.Contain("query d = 4 and key d = 3"));
            Assert.That(() => ScaledDotProductAttention.Compute(randn(2, 5, 4), randn(2, 6, 4), randn(2, 5, 4)),
                Throws.ArgumentException.With.Message.Contain("6 keys and 5 values"));
            Assert.That(() => ScaledDotProductAttention.Compute(randn(5, 4), randn(5, 4), randn(5, 4)),
                Throws.ArgumentException.With.Message.Contain("[N, T, d] or [N, H, T, d]"));
            Assert.That(() => ScaledDotProductAttention.Compute(randn(2, 5, 4), randn(3, 5, 4), randn(3, 5, 4)),
                Throws.ArgumentException.With.Message.Contain("leading (batch) dimensions"));
            Assert.That(() => ScaledDotProductAttention.Compute(randn(2, 5, 4), randn(2, 5, 4), randn(2, 5, 4), new AttentionMask { KeyPadding = zeros(2, 4, dtype: ScalarType.Bool) }),
                Throws.ArgumentException.With.Message.Contain("KeyPadding must be [N, S] = [2, 5]").And.Message.Contain("got [2, 4]"));
            Assert.That(() => ScaledDotProductAttention.Compute(randn(2, 5, 4), randn(2, 5, 4), randn(2, 5, 4), new AttentionMask { KeyPadding = zeros(2, 5) }),
                Throws.ArgumentException.With.Message.Contain("must be a bool tensor"));
            Assert.That(() => ScaledDotProductAttention.Compute(randn(2, 5, 4), randn(2, 5, 4), randn(2, 5, 4), new AttentionMask { Allowed = ones(5, 4, dtype: ScalarType.Bool) }),
                Throws.ArgumentException.With.Message.Contain("(5 queries, 5 keys), got [5, 4]"));
            Assert.That(() => AttentionMask.FromLengths([3, 7], 5), Throws.ArgumentException.With.Message.Contain("sample 1 has length 7, outside 0..5"));
            Assert.That(() => ScaledDotProductAttention.Compute(randn(2, 5, 4), randn(2, 5, 4), randn(2, 5, 4), dropout: 1.0), Throws.InstanceOf<ArgumentOutOfRangeException>());
        });
    }
}
