using TorchBinding.Metrics;
using static TorchSharp.torch;

namespace TorchBinding.Tests.Metrics;

public class RankingAndLanguageMetricTests
{
    [Test]
    public void Roc_auc_counts_correctly_ordered_pairs_with_ties_as_halves()
    {
        // Positives score 0.9, 0.4, 0.35; negatives 0.8, 0.3, 0.35.
        // Pairs (pos > neg): 0.9 beats all 3; 0.4 beats 0.3 and 0.35; 0.35 beats 0.3 and ties 0.35 (½): 3 + 2 + 1.5 = 6.5 of 9.
        using var scores = tensor(new[] { 0.9, 0.8, 0.4, 0.3, 0.35, 0.35 });
        using var labels = tensor(new long[] { 1, 0, 1, 0, 1, 0 });
        Assert.That(RocAuc.Of(scores, labels), Is.EqualTo(6.5 / 9).Within(1e-12));
    }

    [Test]
    public void Roc_auc_is_one_for_a_perfect_ranking_a_half_for_constant_scores_and_accumulates()
    {
        using var perfect = tensor(new[] { -2.0, -1.0, 1.0, 3.0 }).reshape(4, 1);
        using var plusMinus = tensor(new[] { -1.0, -1, 1, 1 });
        using var constant = zeros(4);
        var accumulated = new RocAuc();
        using (var a = tensor(new[] { 0.9, 0.8, 0.4 })) using (var ya = tensor(new long[] { 1, 0, 1 })) accumulated.Update(a, ya);
        using (var b = tensor(new[] { 0.3, 0.35, 0.35 })) using (var yb = tensor(new long[] { 0, 1, 0 })) accumulated.Update(b, yb);
        Assert.Multiple(() =>
        {
            Assert.That(RocAuc.Of(perfect, plusMinus), Is.EqualTo(1.0));
            Assert.That(RocAuc.Of(constant, plusMinus), Is.EqualTo(0.5));
            Assert.That(accumulated.Compute(), Is.EqualTo(6.5 / 9).Within(1e-12), "batches add up to the whole");
            Assert.That(RocAuc.Of(constant, zeros(4, dtype: int64)), Is.NaN, "one class only: undefined");
            Assert.That(() => RocAuc.Of(zeros(3, 2), zeros(3)), Throws.ArgumentException.With.Message.Contain("one score per sample"));
            Assert.That(() => RocAuc.Of(zeros(2), tensor(new[] { 0.0, 2.0 })), Throws.ArgumentException.With.Message.Contain("label 2"));
        });
    }

    [Test]
    public void Perplexity_of_a_uniform_model_is_the_vocabulary_size_and_of_a_sure_model_one()
    {
        var uniform = new Perplexity();
        using (var logits = zeros(4, 5, 7)) using (var tokens = randint(0, 7, [4, 5], dtype: int64)) uniform.Update(logits, tokens);
        // A model putting probability p on the right token everywhere has perplexity 1/p.
        using var sure = tensor(new[] { 0.0, 0.0, 100.0 }).reshape(1, 3).expand(6, 3);
        using var right = full(6, 2L, dtype: int64);
        var confident = new Perplexity();
        confident.Update(sure, right);
        using var half = log(tensor(new[] { 0.5, 0.25, 0.25 })).reshape(1, 3).expand(10, 3);
        var halfModel = new Perplexity();
        halfModel.Update(half, zeros(10, dtype: int64));
        Assert.Multiple(() =>
        {
            Assert.That(uniform.Compute(), Is.EqualTo(7).Within(1e-9));
            Assert.That(confident.Compute(), Is.EqualTo(1).Within(1e-9));
            Assert.That(halfModel.Compute(), Is.EqualTo(2).Within(1e-9));
            Assert.That(() => new Perplexity().Update(zeros(3, 4), full(3, 4L, dtype: int64)), Throws.ArgumentException.With.Message.Contain("0..3"));
            Assert.That(() => new Perplexity().Update(zeros(3, 4), zeros(2, dtype: int64)), Throws.ArgumentException.With.Message.Contain("[3, 4]"));
        });
    }
}
