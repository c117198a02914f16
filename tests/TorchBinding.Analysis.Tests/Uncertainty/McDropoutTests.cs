using TorchBinding.Analysis.Uncertainty;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchBinding.Analysis.Tests.Uncertainty;

public class McDropoutTests
{
    /// <summary>8 → 16 (batch norm, ReLU, dropout p) → 4 logits.</summary>
    static nn.Module<Tensor, Tensor> Net(double p) => nn.Sequential(
        ("fc1", nn.Linear(8, 16)), ("bn", nn.BatchNorm1d(16)), ("relu", nn.ReLU()), ("drop", nn.Dropout(p)), ("fc2", nn.Linear(16, 4)));

    static Tensor Inputs(int n = 32)
    {
        manual_seed(3);
        return randn(n, 8);
    }

    [Test]
    public void With_p_0_every_pass_is_the_same_network_so_the_mutual_information_is_zero()
    {
        manual_seed(1);
        var model = Net(0);
        using var x = Inputs();
        model.train();
        using (no_grad())
            model.call(x);                                     // non-trivial running statistics
        model.eval();
        using var expected = nn.functional.softmax(model.call(x), 1);
        using var p = McDropout.Predict(model, x, passes: 20);
        Assert.Multiple(() =>
        {
            Assert.That(p.MutualInformation.max().item<float>(), Is.LessThan(1e-6f), "H[p̄] − E H[p_t] = 0 when all passes agree");
            Assert.That(p.Entropy.min().item<float>(), Is.GreaterThan(0.01f), "the prediction itself is not certain: zero MI is not zero entropy");
            Assert.That(torch.allclose(p.Mean, expected, rtol: 1e-5, atol: 1e-6), Is.True, "the mean is the eval-mode softmax");
            Assert.That(torch.allclose(p.Entropy, p.ExpectedEntropy, atol: 1e-6), Is.True);
        });
    }

    [Test]
    public void The_summaries_follow_their_formulas_over_the_same_dropout_masks()
    {
        manual_seed(2);
        var model = Net(0.5);
        using var x = Inputs();
        const int passes = 7;
        manual_seed(10);
        using var p = McDropout.Predict(model, x, passes);

        // The same masks by hand: reseed, batch norm in eval, dropout in training mode, 7 passes of the whole batch.
        manual_seed(10);
        model.eval();
        ((nn.Module)model.named_modules().Single(m => m.name == "drop").module).train();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var probabilities = stack(Enumerable.Range(0, passes).Select(_ => nn.functional.softmax(model.call(x).to(float64), 1)).ToList());   // [T, N, K]
        var mean = probabilities.mean([0]);
        Tensor H(Tensor q) => -(q * q.log()).sum(dim: -1);
        var entropy = H(mean);
        var expectedEntropy = H(probabilities).mean([0]);
        Assert.Multiple(() =>
        {
            Assert.That(torch.allclose(p.Mean.to(float64), mean, atol: 1e-6), Is.True, "p̄ = mean of the passes' softmax");
            Assert.That(torch.allclose(p.Entropy.to(float64), entropy, atol: 1e-5), Is.True, "H[p̄]");
            Assert.That(torch.allclose(p.MutualInformation.to(float64), entropy - expectedEntropy, atol: 1e-5), Is.True, "H[p̄] − mean H[p_t]");
            Assert.That(p.MutualInformation.max().item<float>(), Is.GreaterThan(0.01f), "with p = 0.5 the passes disagree");
            Assert.That(p.Entropy.max().item<float>(), Is.LessThanOrEqualTo((float)Math.Log(4) + 1e-5f), "H ≤ log K");
            Assert.That(p.Mean.sum(1).sub(1).abs().max().item<float>(), Is.LessThan(1e-5f), "rows are distributions");
            Assert.That(p.Passes, Is.EqualTo(passes));
        });
    }

    [Test]
    public void Batch_norm_stays_in_eval_mode_and_every_modules_mode_is_put_back()
    {
        manual_seed(4);
        var model = Net(0.3);
        var bn = (TorchSharp.Modules.BatchNorm1d)model.named_modules().Single(m => m.name == "bn").module;
        using var x = Inputs(64) * 3 + 2;                      // far from the initial running mean 0, variance 1
        using var before = bn.running_mean!.clone();
        model.train();
        using (var p = McDropout.Predict(model, x, passes: 5, batchSize: 10))
        {
            Assert.That(p.Mean.shape, Is.EqualTo(new long[] { 64, 4 }), "batches of 10 cover all 64 inputs");
        }
        Assert.Multiple(() =>
        {
            Assert.That(torch.allclose(bn.running_mean!, before, rtol: 0, atol: 0), Is.True, "no pass updated batch norm's running statistics");
            Assert.That(model.training && bn.training, Is.True, "training mode is back");
        });
        model.eval();
        McDropout.Predict(model, x, passes: 2).Dispose();
        Assert.That(model.modules().All(m => !m.training), Is.True, "eval mode is back, dropout included");
    }

    [Test]
    public void Bad_use_is_explained()
    {
        using var x = Inputs(4);
        var noDropout = nn.Sequential(("fc", nn.Linear(8, 3)));
        var scalar = nn.Sequential(("fc", nn.Linear(8, 1)), ("drop", nn.Dropout(0.5)));
        Assert.Multiple(() =>
        {
            Assert.That(() => McDropout.Predict(noDropout, x), Throws.ArgumentException.With.Message.Contain("has no dropout module"));
            Assert.That(() => McDropout.Predict(Net(0.5), x, passes: 1), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contain("at least 2 passes"));
            Assert.That(() => McDropout.Predict(scalar, x), Throws.ArgumentException.With.Message.Contain("expected class logits [4, K] with K ≥ 2"));
            Assert.That(scalar.training, Is.True, "modes are restored after a failure too");
        });
    }
}
