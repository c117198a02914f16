using TorchBinding.Models.Transformers;
using TorchSharp;
using static TorchBinding.Models.Tests.ModelAssertions;
using static TorchSharp.torch;

namespace TorchBinding.Models.Tests.Transformers;

public class TransformerBlockTests
{
    [SetUp]
    public void Seed() => manual_seed(9);

    static float MaxDifference(Tensor a, Tensor b) => (a - b).abs().max().item<float>();

    [Test]
    public void Multi_head_attention_uses_the_course_layouts_for_heads()
    {
        // 'b n (qkv h d) -> qkv b h n d': rows [0, D) of to_qkv make the queries, head h owning rows h·d .. h·d + d − 1;
        // rows [D, 2D) the keys and [2D, 3D) the values likewise; heads join as 'b h n d -> b n (h d)'.
        var attention = new MultiHeadAttention(12, 3, new AttentionOptions { Implementation = AttentionImplementation.Explicit });
        attention.eval();
        var x = randn(2, 5, 12);
        var w = attention.QkvProjection.weight!;
        var b = attention.QkvProjection.bias!;
        var heads = new List<Tensor>();
        for (var h = 0; h < 3; h++)
        {
            Tensor Project(int part) => nn.functional.linear(x, w[(part * 12 + h * 4)..(part * 12 + h * 4 + 4)], b[(part * 12 + h * 4)..(part * 12 + h * 4 + 4)]);
            var (q, k, v) = (Project(0), Project(1), Project(2));
            heads.Add(matmul(softmax(matmul(q, k.transpose(1, 2)) / 2.0, -1), v));          // √(12/3) = 2
        }
        var expected = attention.OutputProjection.call(cat(heads, 2));
        Assert.That(MaxDifference(attention.call(x), expected), Is.LessThan(1e-5f));
        var (fromWeights, weights) = attention.ForwardWithWeights(x);
        Assert.That(weights.shape, Is.EqualTo(new long[] { 2, 3, 5, 5 }));
        Assert.That(MaxDifference(fromWeights, expected), Is.LessThan(1e-5f));
    }

    [Test]
    public void The_scale_is_per_head_by_default_and_per_model_dimension_as_in_the_course_vit()
    {
        var standard = new MultiHeadAttention(64, 8);
        var course = new MultiHeadAttention(64, 8, new AttentionOptions { Scale = AttentionScale.ModelDim, QkvBias = false });
        Assert.That(standard.Scale, Is.EqualTo(1 / Math.Sqrt(8)));
        Assert.That(course.Scale, Is.EqualTo(0.125));
        // qkv 64·192 (+192 bias), out 64·64 + 64.
        Assert.That(standard.ParameterCount(), Is.EqualTo(64 * 192 + 192 + 64 * 64 + 64));
        Assert.That(course.ParameterCount(), Is.EqualTo(64 * 192 + 64 * 64 + 64));
        Assert.That(new MultiHeadAttention(16, 4, new AttentionOptions { QkvBias = false, OutputBias = false }).ParameterCount(), Is.EqualTo(16 * 48 + 16 * 16));

        // The same weights with the two scales: the model-dim scale is the head-dim one on queries shrunk by √H.
        course.load_state_dict(new MultiHeadAttention(64, 8, new AttentionOptions { QkvBias = false }).state_dict());
        var x = randn(2, 5, 64);
        var (_, courseWeights) = course.ForwardWithWeights(x);
        var qkv = course.QkvProjection.call(x).view(2, 5, 3, 8, 8).permute(2, 0, 3, 1, 4);
        var expected = softmax(matmul(qkv[0], qkv[1].transpose(-2, -1)) * 0.125, -1);
        Assert.That(MaxDifference(courseWeights, expected), Is.LessThan(1e-6f));
        // Fused (scale folded into the queries) and explicit agree for the course scale too.
        var fused = new MultiHeadAttention(64, 8, new AttentionOptions { Scale = AttentionScale.ModelDim, QkvBias = false, Implementation = AttentionImplementation.Fused });
        fused.load_state_dict(course.state_dict());
        var plain = new MultiHeadAttention(64, 8, new AttentionOptions { Scale = AttentionScale.ModelDim, QkvBias = false, Implementation = AttentionImplementation.Explicit });
        plain.load_state_dict(course.state_dict());
        Assert.That(MaxDifference(fused.call(x), plain.call(x)), Is.LessThan(1e-6f));
    }

    [Test]
    public void A_head_count_that_does_not_divide_the_dimension_names_both_numbers()
    {
        Assert.Multiple(() =>
        {
            Assert.That(() => new MultiHeadAttention(64, 6), Throws.ArgumentException.With.Message.Contain("6 heads do not divide the model dimension 64"));
            Assert.That(() => new TransformerBlock(10, 4, 20), Throws.ArgumentException.With.Message.Contain("4 heads do not divide the model dimension 10"));
            Assert.That(() => new MultiHeadAttention(8, 2).call(randn(2, 3, 6)),
                Throws.ArgumentException.With.Message.Contain("attention expects a batch of sequences [N, T, 8]").And.Message.Contain("got [2, 3, 6]"));
            Assert.That(() => new TransformerBlock(8, 2, 16).call(randn(3, 8)),
                Throws.ArgumentException.With.Message.Contain("transformer_block expects a batch of sequences [N, T, 8]"));
            Assert.That(() => new MultiHeadAttention(8, 2).call(ones(2, 3, 8, dtype: ScalarType.Float64)),
                Throws.ArgumentException.With.Message.Contain("parameters are Float32 but the input is Float64"));
        });
    }

    [Test]
    public void The_block_is_pre_norm_with_a_gelu_mlp()
    {
        var block = new TransformerBlock(8, 2, 32, new TransformerBlockOptions { Attention = new AttentionOptions { Implementation = AttentionImplementation.Explicit } });
        block.eval();
        Assert.That(Children(block), Is.EqualTo(new[] { "norm1:LayerNorm", "attn:MultiHeadAttention", "norm2:LayerNorm", "mlp:Sequential" }));
        Assert.That(Children(block.Layer("mlp")), Is.EqualTo(new[] { "fc1:Linear", "act:GELU", "fc2:Linear" }));
        var x = randn(3, 4, 8);
        var norm1 = block.Layer<TorchSharp.Modules.LayerNorm>("norm1");
        var norm2 = block.Layer<TorchSharp.Modules.LayerNorm>("norm2");
        var (fc1, fc2) = block.Mlp;
        var y = x + block.Attention.call(norm1.call(x));
        var expected = y + fc2.call(nn.functional.gelu(fc1.call(norm2.call(y))));
        Assert.That(MaxDifference(block.call(x), expected), Is.LessThan(1e-5f));
        // LN 2·8 twice, qkv 8·24 + 24, out 8·8 + 8, fc1 8·32 + 32, fc2 32·8 + 8.
        Assert.That(block.ParameterCount(), Is.EqualTo(32 + 216 + 72 + 288 + 264));
    }

    [Test]
    public void Block_dropout_acts_in_training_only_and_every_parameter_learns()
    {
        var block = new TransformerBlock(8, 2, 16, new TransformerBlockOptions { Dropout = 0.3, Attention = new AttentionOptions { Dropout = 0.3 } });
        var x = randn(4, 6, 8);
        block.eval();
        Assert.That(MaxDifference(block.call(x), block.call(x)), Is.Zero, "deterministic in eval mode");
        block.train();
        Assert.That(MaxDifference(block.call(x), block.call(x)), Is.GreaterThan(0f), "random in training mode");
        block.zero_grad();
        block.call(x).pow(2).sum().backward();
        foreach (var (name, p) in block.named_parameters())
            Assert.That(p.grad!.abs().max().item<float>(), Is.GreaterThan(0f), name);
    }

    [Test]
    public void A_block_with_a_causal_mask_keeps_earlier_tokens_independent_of_later_ones()
    {
        var block = new TransformerBlock(8, 2, 16);
        block.eval();
        var x = randn(2, 5, 8);
        var changed = x.clone();
        changed[.., 4] = randn(2, 8);
        var (a, weights) = block.ForwardWithWeights(x, AttentionMask.CausalMask);
        var b = block.Forward(changed, AttentionMask.CausalMask);
        Assert.That(MaxDifference(a[.., ..4], b[.., ..4]), Is.LessThan(1e-6f));
        Assert.That(weights.shape, Is.EqualTo(new long[] { 2, 2, 5, 5 }));
    }

    [Test]
    public void A_causal_attention_layer_masks_the_future_by_itself()
    {
        var attention = new MultiHeadAttention(8, 2, new AttentionOptions { Causal = true });
        var x = randn(2, 5, 8);
        var changed = x.clone();
        changed[.., 3..] = randn(2, 2, 8);
        Assert.That(MaxDifference(attention.call(x)[.., ..3], attention.call(changed)[.., ..3]), Is.LessThan(1e-6f));
        var (_, weights) = attention.ForwardWithWeights(x, AttentionMask.FromLengths([5, 4], 5));
        Assert.That(weights.triu(1).abs().max().item<float>(), Is.Zero, "causal with a padding mask too");
        Assert.That(weights[1, .., .., 4].abs().max().item<float>(), Is.Zero, "and the padding mask still applies");
    }

    [Test]
    public void Sinusoidal_encoding_follows_the_formula()
    {
        var table = SinusoidalPositionalEncoding.Table(50, 16);
        Assert.That(table.shape, Is.EqualTo(new long[] { 50, 16 }));
        Assert.Multiple(() =>
        {
            foreach (var (p, i) in new[] { (0, 0), (1, 0), (7, 3), (49, 7), (20, 5) })
            {
                var angle = p / Math.Pow(10000, 2.0 * i / 16);
                Assert.That(table[p, 2 * i].item<float>(), Is.EqualTo(Math.Sin(angle)).Within(1e-6), $"PE[{p}, {2 * i}]");
                Assert.That(table[p, 2 * i + 1].item<float>(), Is.EqualTo(Math.Cos(angle)).Within(1e-6), $"PE[{p}, {2 * i + 1}]");
            }
        });
        // A shift by k is one rotation per frequency pair: PE[p + k] = R_k PE[p], so ⟨PE[p], PE[p + k]⟩ depends on k only.
        var dot = (table[10] * table[13]).sum().item<float>();
        Assert.That((table[30] * table[33]).sum().item<float>(), Is.EqualTo(dot).Within(1e-4));
        // Odd sizes: the last column is a sine.
        Assert.That(SinusoidalPositionalEncoding.Table(3, 5)[2, 4].item<float>(), Is.EqualTo(Math.Sin(2 / Math.Pow(10000, 4.0 / 5))).Within(1e-6));

        var encoding = new SinusoidalPositionalEncoding(10, 16);
        Assert.That(encoding.parameters(), Is.Empty, "nothing is learned");
        var x = randn(2, 7, 16);
        Assert.That(MaxDifference(encoding.call(x), x + SinusoidalPositionalEncoding.Table(7, 16)), Is.Zero);
    }

    [Test]
    public void Learned_position_embedding_adds_one_vector_per_position()
    {
        var embedding = new LearnedPositionalEmbedding(5, 4);
        Assert.That(embedding.ParameterCount(), Is.EqualTo(20));
        var x = randn(3, 4, 4);
        Assert.That(MaxDifference(embedding.call(x), x + embedding.Weight[..4]), Is.Zero);
        Assert.That(() => embedding.call(randn(1, 6, 4)), Throws.ArgumentException.With.Message.Contain("has 5 positions, got a sequence of 6 tokens"));
        Assert.That(() => new SinusoidalPositionalEncoding(5, 4).call(randn(1, 6, 4)), Throws.ArgumentException.With.Message.Contain("has 5 positions, got a sequence of 6 tokens"));
    }
}
