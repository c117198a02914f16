using TorchBinding.Data;
using TorchBinding.Models.Generative;
using TorchBinding.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchBinding.Models.Tests.Generative;

public class GanStepTests
{
    [SetUp]
    public void Seed() => manual_seed(5);

    static Gan SmallGan(LabelConditioning? conditioning = null) => new(
        new MlpGenerator(new MlpGeneratorOptions { LatentSize = 2, HiddenSizes = [16], OutputShape = [1], Output = GanOutput.Linear, Conditioning = conditioning }),
        new MlpDiscriminator(new MlpDiscriminatorOptions { InputShape = [1], HiddenSizes = [16], Conditioning = conditioning }));

    /// <summary>
    /// Sees every AfterBackward of a GAN step: the 1st is the discriminator's (after its backward, before its
    /// optimizer step), the 2nd the generator's. At each discriminator call the generator's gradients must be
    /// exactly what the previous generator call left (none before the first).
    /// </summary>
    sealed class GeneratorGradientWatch(Gan gan) : TrainingCallback
    {
        int _calls;
        Tensor[]? _afterGeneratorStep;

        public List<string> Differences { get; } = [];

        public int DiscriminatorSteps { get; private set; }

        public override void OnAfterBackward(TrainingContext context)
        {
            var grads = gan.Generator.parameters().Select(p => p.grad?.clone().DetachFromDisposeScope()).ToArray(); // kept across steps
            if (_calls++ % 2 == 0)
            {
                DiscriminatorSteps++;
                for (var i = 0; i < grads.Length; i++)
                {
                    var before = _afterGeneratorStep?[i];
                    var now = grads[i];
                    var same = (before, now) switch
                    {
                        (null, null) => true,
                        (null, { } g) => g.abs().max().item<float>() == 0,
                        ({ } b, { } g) => b.allclose(g, rtol: 0, atol: 0),
                        _ => false,
                    };
                    if (!same)
                        Differences.Add($"step {context.GlobalStep}, generator parameter {i}");
                }
            }
            else
            {
                _afterGeneratorStep = grads.Select(g => g!).ToArray();
            }
        }
    }

    static InMemoryDataset Data(int n = 64) => new(randn(n, 1) * 0.5 + 2, randint(3, [n]), "normal");

    [Test]
    public void The_discriminator_step_leaves_the_generators_gradients_untouched()
    {
        var gan = SmallGan();
        var watch = new GeneratorGradientWatch(gan);
        using var data = Data();
        new Trainer(gan, new GanStep(gan), gan.CreateOptimizers(1e-3), new TrainerOptions { Epochs = 2, BatchSize = 16, Progress = false, Callbacks = [watch] }).Fit(data);
        Assert.That(watch.DiscriminatorSteps, Is.EqualTo(8));
        Assert.That(watch.Differences, Is.Empty);
    }

    [Test]
    public void Without_detach_the_discriminator_step_writes_into_the_generators_gradients()
    {
        // The control for the test above: the course's non-detached step is seen by the same watch.
        var gan = SmallGan();
        var watch = new GeneratorGradientWatch(gan);
        using var data = Data();
        new Trainer(gan, new GanStep(gan, new GanStepOptions { DetachFakeForDiscriminator = false }), gan.CreateOptimizers(1e-3),
            new TrainerOptions { Epochs = 1, BatchSize = 16, Progress = false, Callbacks = [watch] }).Fit(data);
        Assert.That(watch.Differences, Has.Count.GreaterThan(0));
    }

    /// <summary>Keeps every step's values (<see cref="TrainingContext.LastStep"/>).</summary>
    sealed class StepLog : TrainingCallback
    {
        public List<IReadOnlyDictionary<string, double>> Steps { get; } = [];

        public override void OnBatchEnd(TrainingContext context) => Steps.Add(context.LastStep);
    }

    [Test]
    public void Each_step_logs_d_loss_g_loss_and_D_of_real_and_fake_and_the_history_their_epoch_means()
    {
        var gan = SmallGan();
        var log = new StepLog();
        using var data = Data();
        var history = new Trainer(gan, new GanStep(gan), gan.CreateOptimizers(1e-3), new TrainerOptions { Epochs = 1, BatchSize = 16, Progress = false, Callbacks = [log] }).Fit(data);
        double[] Series(string name) => [.. log.Steps.Select(s => s[name])];
        Assert.Multiple(() =>
        {
            Assert.That(log.Steps, Has.Count.EqualTo(4));
            Assert.That(log.Steps[0].Keys, Is.EquivalentTo(new[] { "loss", "d_loss", "g_loss", "d_real", "d_fake" }));
            Assert.That(Series("loss"), Is.EqualTo(Series("d_loss")), "the step's loss is the discriminator's");
            Assert.That(Series("d_real").Concat(Series("d_fake")), Has.All.InRange(0.0, 1.0));
            // An untrained D is near chance: the losses start near ln 2 ≈ 0.69.
            Assert.That(Series("d_loss")[0], Is.InRange(0.4, 1.0));
            Assert.That(Series("g_loss")[0], Is.InRange(0.4, 1.0));
            Assert.That(history.Last("train_g_loss"), Is.EqualTo(Series("g_loss").Average()).Within(1e-9), "equal batches: the epoch mean is the mean of the steps");
            Assert.That(history.Last("train_d_fake"), Is.EqualTo(Series("d_fake").Average()).Within(1e-9));
        });
    }

    [Test]
    public void The_losses_are_the_closed_forms_with_smoothing_and_both_generator_losses()
    {
        var real = tensor(new[] { 2.0, -1.0 });
        var fake = tensor(new[] { 0.5, -3.0 });
        static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));
        static double Bce(double logit, double target) => -(target * Math.Log(Sigmoid(logit)) + (1 - target) * Math.Log(1 - Sigmoid(logit)));
        var smoothed = 0.5 * ((Bce(2, 0.9) + Bce(-1, 0.9)) / 2 + (Bce(0.5, 0) + Bce(-3, 0)) / 2);
        Assert.Multiple(() =>
        {
            Assert.That(GanStep.DiscriminatorLoss(real, fake, 0.9).item<double>(), Is.EqualTo(smoothed).Within(1e-12));
            Assert.That(GanStep.GeneratorLoss(fake, GanLoss.NonSaturating).item<double>(), Is.EqualTo(-(Math.Log(Sigmoid(0.5)) + Math.Log(Sigmoid(-3))) / 2).Within(1e-12));
            Assert.That(GanStep.GeneratorLoss(fake, GanLoss.Minimax).item<double>(), Is.EqualTo((Math.Log(1 - Sigmoid(0.5)) + Math.Log(1 - Sigmoid(-3))) / 2).Within(1e-12));
            Assert.That(() => new GanStep(SmallGan(), new GanStepOptions { RealLabel = 0 }), Throws.TypeOf<ArgumentOutOfRangeException>().With.Message.Contain("(0, 1]"));
        });
    }

    [Test]
    public void Optimizers_in_the_wrong_order_or_number_are_refused()
    {
        var gan = SmallGan();
        using var data = Data();
        var swapped = gan.CreateOptimizers().Reverse().ToList();
        Assert.Multiple(() =>
        {
            Assert.That(() => new Trainer(gan, new GanStep(gan), swapped, new TrainerOptions { Progress = false }).Fit(data),
                Throws.InvalidOperationException.With.Message.Contain("discriminator's optimizer first"));
            Assert.That(() => new Trainer(gan, new GanStep(gan), [optim.Adam(gan.parameters())], new TrainerOptions { Progress = false }).Fit(data),
                Throws.InvalidOperationException.With.Message.Contain("needs two optimizers"));
        });
    }

    [Test]
    public void A_conditional_gan_trains_on_the_batch_labels()
    {
        var gan = SmallGan(new LabelConditioning(3));
        using var data = Data();
        var history = new Trainer(gan, new GanStep(gan), gan.CreateOptimizers(1e-3), new TrainerOptions { Epochs = 1, BatchSize = 16, Progress = false }).Fit(data);
        Assert.That(history.StepLosses, Has.Count.EqualTo(4).And.All.Matches<double>(double.IsFinite));
    }

    [Test]
    public void A_one_dimensional_gan_learns_where_the_data_is()
    {
        // N(2, 0.5²) from z ~ N(0, I): a linear map suffices. 40 epochs of 16 steps (measured: the generated mean
        // reaches 1.9–2.1 from about 0 at the start); the bound 0.35 leaves room and is far from the start.
        var gan = SmallGan();
        using var data = Data(256);
        var start = gan.Generator.Sample(4000).mean().item<float>();
        new Trainer(gan, new GanStep(gan), gan.CreateOptimizers(2e-3), new TrainerOptions { Epochs = 40, BatchSize = 16, Progress = false, Seed = 1 }).Fit(data);
        var mean = gan.Generator.Sample(4000).mean().item<float>();
        Assert.That(Math.Abs(start - 2), Is.GreaterThan(1), "the untrained generator is elsewhere");
        Assert.That(mean, Is.EqualTo(2).Within(0.35));
    }

    [Test]
    public void Seeded_generator_samples_are_reproducible()
    {
        var g = SmallGan().Generator;
        using var a = new TorchSharp.torch.Generator(9);
        using var b = new TorchSharp.torch.Generator(9);
        Assert.That(g.Sample(10, generator: a).allclose(g.Sample(10, generator: b), rtol: 0, atol: 0), Is.True);
    }
}
