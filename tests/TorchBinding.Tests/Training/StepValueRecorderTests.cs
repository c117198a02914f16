using TorchBinding.Data;
using TorchBinding.Training;
using TorchBinding.Training.Callbacks;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchBinding.Tests.Training;

public class StepValueRecorderTests
{
    /// <summary>A step that reports the global step as <c>a</c>, and <c>b</c> only on even steps.</summary>
    sealed class CountingStep : ITrainingStep
    {
        public StepResult TrainStep(Batch batch, TrainingContext context)
        {
            var values = new Dictionary<string, Tensor> { ["a"] = tensor((double)context.GlobalStep) };
            if (context.GlobalStep % 2 == 0)
                values["b"] = tensor(10.0 * context.GlobalStep);
            return new StepResult(tensor(1.0), null, values);
        }

        public StepResult EvaluationStep(Batch batch, TrainingContext context) => new(tensor(1.0));
    }

    static (StepValueRecorder Recorder, Trainer Trainer) Run(int epochs, string? checkpoint = null, string? resume = null)
    {
        var model = nn.Linear(1, 1);
        var recorder = new StepValueRecorder();
        var callbacks = new List<TrainingCallback> { recorder };
        if (checkpoint is not null)
            callbacks.Add(new ModelCheckpoint(checkpoint, monitor: null));
        var trainer = new Trainer(model, new CountingStep(), [optim.SGD(model.parameters(), 0.1)],
            new TrainerOptions { Epochs = epochs, BatchSize = 2, Progress = false, Callbacks = callbacks, ResumeFrom = resume, Seed = 1 });
        using var data = new InMemoryDataset(ones(6, 1), zeros(6, dtype: int64));
        trainer.Fit(data);
        return (recorder, trainer);
    }

    [Test]
    public void It_records_every_step_and_the_epoch_means_with_NaN_where_a_step_was_silent()
    {
        var (recorder, _) = Run(epochs: 2); // 3 steps per epoch
        Assert.Multiple(() =>
        {
            Assert.That(recorder.Names, Is.EqualTo(new[] { "loss", "a", "b" }));
            Assert.That(recorder.StepCount, Is.EqualTo(6));
            Assert.That(recorder.Steps("a"), Is.EqualTo(new double[] { 0, 1, 2, 3, 4, 5 }));
            Assert.That(recorder.Steps("b"), Is.EqualTo(new[] { 0, double.NaN, 20, double.NaN, 40, double.NaN }));
            Assert.That(recorder.EpochMeans("a"), Is.EqualTo(new double[] { 1, 4 }));
            Assert.That(recorder.EpochMeans("b"), Is.EqualTo(new double[] { 10, 40 }), "NaN steps are left out of the mean");
            Assert.That(() => recorder.Steps("c"), Throws.TypeOf<KeyNotFoundException>().With.Message.Contain("loss, a, b"));
        });
    }

    [Test]
    public void A_resumed_run_continues_the_record()
    {
        using var folder = TestSupport.TemporaryFolder();
        Run(epochs: 1, checkpoint: folder.Path);
        var (resumed, _) = Run(epochs: 2, resume: Path.Combine(folder.Path, "last.ckpt"));
        Assert.That(resumed.Steps("a"), Is.EqualTo(new double[] { 0, 1, 2, 3, 4, 5 }));
        Assert.That(resumed.EpochMeans("a"), Is.EqualTo(new double[] { 1, 4 }));
    }
}
