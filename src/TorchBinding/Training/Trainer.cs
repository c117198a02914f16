using System.Diagnostics;
using TorchBinding.Data;
using TorchBinding.Losses;
using TorchBinding.Metrics;
using TorchBinding.Runtime;
using TorchBinding.Training.Callbacks;
using TorchBinding.Training.Checkpoints;
using static TorchSharp.torch;

namespace TorchBinding.Training;

/// <summary>
/// The training loop, done right once: epochs of shuffled batches on the model's device, one dispose
/// scope per step (memory stays flat), train/eval modes, validation under <c>no_grad</c>, metrics,
/// callbacks, a history, checkpoints that resume exactly, and cancellation after the current step.
/// The model says what a step is (<see cref="ITrainingStep"/>, supervised by default), the trainer owns
/// the loop — Lightning's split; <see cref="Fit"/> returns the history, as Keras' <c>fit</c> does.
/// </summary>
/// <example>
/// <code>
/// var trainer = new Trainer(model, (o, y) =&gt; nn.functional.cross_entropy(o, y), Optim.Adam(1e-3),
///     new TrainerOptions { Epochs = 20, Metrics = [() =&gt; new Accuracy()], Callbacks = [new EarlyStopping("val_loss", patience: 3)] });
/// var history = trainer.Fit(train, validation);
/// </code>
/// </example>
public sealed class Trainer
{
    readonly nn.Module _model;
    readonly ITrainingStep _step;
    readonly IReadOnlyList<OptimizerRecipe> _recipes;
    List<optim.Optimizer>? _optimizers;

    /// <summary>A supervised trainer: one model, one loss, one optimizer recipe (e.g. <c>Optim.Adam(1e-3)</c>).</summary>
    public Trainer(nn.Module<Tensor, Tensor> model, LossFunction loss, OptimizerRecipe optimizer, TrainerOptions? options = null)
        : this(new SupervisedStep(model, loss), [optimizer], options)
    {
    }

    /// <summary>A trainer with a custom step (VAEs, diffusion, graph batches) and one optimizer recipe.</summary>
    public Trainer(ITrainingStep step, OptimizerRecipe optimizer, TrainerOptions? options = null)
        : this(step, [optimizer ?? throw new ArgumentNullException(nameof(optimizer))], options)
    {
    }

    /// <summary>
    /// A trainer with a custom step and several optimizer recipes (e.g. a GAN's, each <see cref="OptimizerRecipe.Of"/> its
    /// part of the model). The step's <see cref="ITrainingStep.Model"/> holds every trained module.
    /// </summary>
    public Trainer(ITrainingStep step, IReadOnlyList<OptimizerRecipe> optimizers, TrainerOptions? options = null)
    {
        TorchRuntime.EnsureInitialized();
        _step = step ?? throw new ArgumentNullException(nameof(step));
        _model = step.Model ?? throw new ArgumentException($"{step.GetType().Name}.Model is null: a step names the model it trains.", nameof(step));
        ArgumentNullException.ThrowIfNull(optimizers);
        _recipes = optimizers.Count > 0 ? optimizers.ToList() : throw new ArgumentException("A trainer needs at least one optimizer recipe (e.g. Optim.Adam(1e-3)).", nameof(optimizers));
        if (_recipes.Any(r => r is null))
            throw new ArgumentException("An optimizer recipe is null.", nameof(optimizers));
        Options = options ?? new TrainerOptions();
        Options.Validate();
    }

    /// <summary>The model the trainer trains (its step's).</summary>
    public nn.Module Model => _model;

    /// <summary>The optimizer recipes, in the order of <see cref="Optimizers"/>.</summary>
    public IReadOnlyList<OptimizerRecipe> Recipes => _recipes;

    /// <summary>
    /// The optimizers, built from the recipes over the model's parameters as they are at the first use (the first
    /// <see cref="Fit"/>, or this property): move the model to its device and settle its layers before that.
    /// </summary>
    public IReadOnlyList<optim.Optimizer> Optimizers => _optimizers ??= BuildOptimizers(null);

    /// <summary>The dtype inputs are converted to (bfloat16 in mixed precision), or null.</summary>
    ScalarType? InputType => Options.Precision == Precision.Bf16Mixed ? ScalarType.BFloat16 : null;

    /// <summary>The options.</summary>
    public TrainerOptions Options { get; }

    /// <summary>The history of the last (or current) <see cref="Fit"/>.</summary>
    public TrainingHistory History { get; private set; } = new();

    /// <summary>The device the model's parameters are on (the CPU for a model without parameters).</summary>
    public Device Device => _model.parameters().FirstOrDefault()?.device ?? CPU;

    /// <summary>
    /// Trains for <see cref="TrainerOptions.Epochs"/> epochs (or until a callback stops it) and returns the history.
    /// Before the first step it checks what would otherwise fail late or silently: the learning rates, and
    /// (for the supervised step) that the targets fit the model's outputs.
    /// </summary>
    /// <exception cref="OperationCanceledException">The token was cancelled; training stopped after the current step, callbacks (e.g. checkpoints) ran first.</exception>
    public TrainingHistory Fit(InMemoryDataset train, InMemoryDataset? validation = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(train);
        using var section = Profiler.Measure("fit");
        var resumeFrom = Options.ResumeFrom is { } path ? CheckpointFile.Read(path) : null;
        _optimizers ??= BuildOptimizers(resumeFrom);
        if (Options.Precision == Precision.Bf16Mixed)
            MixedPrecision.Check(_model, _optimizers);
        if (Options.Precision == Precision.Bf16Autocast)
            MixedPrecision.CheckAutocast();
        OptimizerCoverage.Check(_model, _optimizers);
        CheckLearningRates();
        var device = Device;
        _step.CheckData(train, device, InputType);
        if (validation is not null)
            _step.CheckData(validation, device, InputType);

        History = new TrainingHistory();
        var callbacks = CallbacksOfThisFit();
        using var loader = train.Batches(Options.BatchSize, new BatchOptions
        {
            Shuffle = Options.Shuffle, DropLast = Options.DropLast, Seed = Options.Seed ?? Seeding.NextSeed(), Device = device,
            Transform = Options.Augmentation, InputType = InputType,
        });
        if (loader.Count == 0)
            throw new ArgumentException($"{train.Name}: its {train.Count} samples make no full batch of {Options.BatchSize}, and DropLast is set.", nameof(train));
        // Built once: a validation set on another device is copied to the model's device once, not every epoch.
        using var validationBatches = validation?.Batches(Options.EvaluationBatchSize, EvaluationBatches(device));
        using var progress = new EpochProgress(loader);
        var checkpoint = new RunCheckpoint(_model, _optimizers, progress);
        var context = new TrainingContext(_model, _optimizers, History, callbacks, Options.Epochs, device, cancellation, checkpoint)
        {
            BatchesPerEpoch = Math.Min(loader.Count, Options.MaxStepsPerEpoch ?? int.MaxValue),
        };
        if (Options.ResumeFrom is { } resume)
        {
            var output = Options.ProgressWriter ?? Console.Out;
            foreach (var note in checkpoint.Restore(resume, resumeFrom!, context, Options.Epochs))
                output.WriteLine(note);
            if (context.Epoch == Options.Epochs)
                output.WriteLine($"'{resume}' has already trained all {Options.Epochs} epochs: nothing to train (set Epochs higher to train on).");
        }

        var trainMetrics = Options.TrainMetrics ? Options.Metrics.Select(f => f()).ToList() : [];
        using (Profiler.Measure("callbacks"))
        {
            foreach (var callback in callbacks)
                callback.OnFitStart(context);
        }
        while (context.Epoch < Options.Epochs && !context.StopRequested)
        {
            context.Epoch++;
            var clock = Stopwatch.StartNew();
            if (!TrainEpoch(progress, context, trainMetrics))
            {
                // Stopped inside the epoch: a checkpoint now resumes after the batches done so far.
                progress.Interrupt();
                context.RequestStop(cancellation.IsCancellationRequested ? $"cancelled at {context.Position}" : context.StopReason!);
                foreach (var callback in callbacks)
                    callback.OnInterrupted(context);
                break;
            }
            var record = EndOfEpoch(context, progress, trainMetrics, validationBatches, clock.Elapsed);
            History.AddEpoch(record);
            context.BatchInEpoch = 0;
            using (Profiler.Measure("callbacks"))
            {
                foreach (var callback in callbacks)
                    callback.OnEpochEnd(context, record);
                foreach (var callback in callbacks)
                    callback.OnEpochCompleted(context, record);
                if (context.StopRequested)
                {
                    foreach (var callback in callbacks)
                        callback.OnInterrupted(context);
                }
            }
        }

        History.StopReason = context.StopReason;
        foreach (var callback in callbacks)
            callback.OnFitEnd(context);
        cancellation.ThrowIfCancellationRequested();
        return History;
    }

    /// <summary>The loss and metrics of a data set, without learning (eval mode, no_grad).</summary>
    /// <returns><c>loss</c> and each metric by name.</returns>
    public IReadOnlyDictionary<string, double> Evaluate(InMemoryDataset data)
    {
        ArgumentNullException.ThrowIfNull(data);
        using var section = Profiler.Measure("evaluate");
        _step.CheckData(data, Device, InputType);
        using var batches = data.Batches(Options.EvaluationBatchSize, EvaluationBatches(Device));
        // Evaluation needs no optimizer: none is built for it.
        var context = new TrainingContext(_model, (IReadOnlyList<optim.Optimizer>?)_optimizers ?? [], History, [], Options.Epochs, Device, default);
        return Evaluate(batches, Options.Metrics.Select(f => f()).ToList(), context);
    }

    /// <summary>The model's outputs for a data set, batch by batch in eval mode, concatenated on the CPU.</summary>
    public Tensor Predict(InMemoryDataset data)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (_model is not nn.Module<Tensor, Tensor> model)
            throw new InvalidOperationException($"Predict needs a model that maps a tensor to a tensor; this trainer's model is a {_model.GetType().Name}.");
        using var section = Profiler.Measure("predict");
        _model.eval();
        using var loader = data.Batches(Options.EvaluationBatchSize, EvaluationBatches(Device));
        var outputs = new List<Tensor>();
        try
        {
            using var noGrad = no_grad();
            foreach (var batch in loader)
            {
                // One scope per batch: a scope around the loop would keep every batch's activations alive to the end
                // (14 GB for the course ResNet on the 10,000 MNIST test images, and 4x slower from the paging).
                using (NewDisposeScope())
                using (MixedPrecision.AutocastFor(Options.Precision, batch.Inputs.device))
                    outputs.Add(SupervisedStep.InFloat32(model.call(batch.Inputs)).cpu().DetachFromDisposeScope());
                ScalarSweeper.AtStepEnd();
            }
            return cat(outputs, 0);
        }
        finally
        {
            outputs.ForEach(o => o.Dispose());
        }
    }

    /// <summary>
    /// Builds every recipe over the model. Resuming, each optimizer is built in the implementation the checkpoint's run
    /// used (flat or TorchSharp's: their states are not interchangeable), so a checkpoint written with TorchSharp's
    /// optimizers — as every example wrote them before recipes — resumes exactly.
    /// </summary>
    List<optim.Optimizer> BuildOptimizers(CheckpointData? resume)
    {
        var optimizers = new List<optim.Optimizer>(_recipes.Count);
        for (var i = 0; i < _recipes.Count; i++)
        {
            var recipe = _recipes[i];
            if (resume is not null && !recipe.IsCustom && i < resume.Optimizers.Count && OptimizerStates.ImplementationOf(resume, i) is { } saved && saved != recipe.Implementation)
            {
                (Options.ProgressWriter ?? Console.Out).WriteLine($"Resuming: optimizer {i} is built as {(saved == OptimizerImplementation.Flat ? "a flat-buffer" : "TorchSharp's")} {recipe.Name}, as the checkpoint's run made it (their states differ).");
                recipe = recipe.With(saved);
            }
            optimizers.Add(recipe.Build(_model));
        }
        return optimizers;
    }

    BatchOptions EvaluationBatches(Device device) => new() { Shuffle = false, Seed = 0, Device = device, InputType = InputType };

    List<TrainingCallback> CallbacksOfThisFit()
    {
        var callbacks = new List<TrainingCallback>();
        if (Options.NonFiniteCheck != NonFiniteCheck.Off)
            callbacks.Add(new NonFiniteGuard(Options.NonFiniteCheck == NonFiniteCheck.LossAndGradients));
        callbacks.AddRange(Options.Callbacks);
        if (Options.Progress)
            callbacks.Add(new ProgressDisplay(Options.ProgressWriter));
        return callbacks;
    }

    /// <summary>A NaN or negative learning rate would only show later, as non-finite weights blamed on the gradients.</summary>
    void CheckLearningRates()
    {
        for (var i = 0; i < _optimizers!.Count; i++)
        {
            var groups = _optimizers[i].ParamGroups.ToList();
            for (var g = 0; g < groups.Count; g++)
            {
                var rate = groups[g].LearningRate;
                if (!double.IsFinite(rate) || rate < 0)
                    throw new ArgumentException($"Optimizer {i} ({_optimizers[i].GetType().Name}), parameter group {g}: the learning rate is {rate}; it must be a finite number ≥ 0.");
            }
        }
    }

    /// <summary>One epoch's training batches; false when the run stopped inside it.</summary>
    bool TrainEpoch(EpochProgress progress, TrainingContext context, List<IMetric> metrics)
    {
        progress.BeginEpoch();
        context.SamplesInEpoch = progress.Samples;
        metrics.ForEach(m => m.Reset());
        _model.train();
        foreach (var callback in context.Callbacks)
            callback.OnEpochStart(context);
        using var batches = progress.Loader.Take(context.BatchesPerEpoch).Skip(progress.ResumeAfter).GetEnumerator();
        while (NextBatch(batches) is { } batch)
        {
            context.BatchInEpoch = batch.Index;
            TrainStep(batch, context, progress, metrics);
            ScalarSweeper.AtStepEnd();
            using (Profiler.Measure("callbacks"))
            {
                foreach (var callback in context.Callbacks)
                    callback.OnBatchEnd(context);
            }
            if (context.Cancellation.IsCancellationRequested || (context.StopRequested && batch.Index + 1 < context.BatchesPerEpoch))
            {
                context.BatchInEpoch = batch.Index + 1;
                return false;
            }
        }
        progress.EndEpoch();
        return true;
    }

    /// <summary>The next batch (gathered, transformed and put on the device by the loader), timed as the profile's <c>data</c>.</summary>
    static Batch? NextBatch(IEnumerator<Batch> batches)
    {
        using var section = Profiler.Measure("data");
        return batches.MoveNext() ? batches.Current : null;
    }

    void TrainStep(Batch batch, TrainingContext context, EpochProgress progress, List<IMetric> metrics)
    {
        using var scope = NewDisposeScope();
        var learningRate = context.LearningRate;
        StepResult result;
        // The step's self time is its forward pass (and whatever else it computes); backward and optimizer are timed inside.
        using (Profiler.Measure("step"))
        {
            // Under autocast only the forward pass (and a manual step's own backward): backward follows its dtypes.
            using (MixedPrecision.AutocastFor(Options.Precision, context.Device))
                result = _step.TrainStep(batch, context);
            if (_step.AutomaticOptimization)
                context.MinimizeWith(result.Objective ?? result.Loss, context.Optimizers);
        }
        using var bookkeeping = Profiler.Measure("metrics");
        var values = new Dictionary<string, double>(StringComparer.Ordinal) { ["loss"] = context.LossValue(result.Loss) };
        foreach (var (name, value) in result.Values ?? new Dictionary<string, Tensor>())
            values[name] = ScalarRead.Value(value, name);
        if (result.Output is { } output && metrics.Count > 0)
        {
            using var detached = output.detach();
            foreach (var metric in metrics)
                metric.Update(detached, batch.Targets);
        }
        context.GlobalStep++;
        context.LastStep = values;
        context.SamplesInEpoch += batch.Size;
        History.AddStep(values["loss"], learningRate);
        progress.Record(values, batch.Size);
    }

    EpochRecord EndOfEpoch(TrainingContext context, EpochProgress progress, List<IMetric> trainMetrics, BatchLoader? validation, TimeSpan elapsed)
    {
        var values = new Dictionary<string, double>(StringComparer.Ordinal) { ["train_loss"] = progress.MeanLoss };
        // A custom step's further values (a GAN's d_loss, a VAE's kl): their epoch means, as train_NAME.
        foreach (var (name, sum) in progress.ValueSums)
            values[$"train_{name}"] = progress.Samples > 0 ? sum / progress.Samples : double.NaN;
        foreach (var metric in trainMetrics)
            values[$"train_{metric.Name}"] = metric.Compute();
        if (validation is not null)
        {
            using var section = Profiler.Measure("validation");
            foreach (var callback in context.Callbacks)
                callback.OnValidationStart(context);
            try
            {
                foreach (var (name, value) in Evaluate(validation, Options.Metrics.Select(f => f()).ToList(), context))
                    values[$"val_{name}"] = value;
            }
            finally
            {
                foreach (var callback in context.Callbacks)
                    callback.OnValidationEnd(context);
            }
            _model.train();
        }
        values["lr"] = context.LearningRate;
        values["seconds"] = elapsed.TotalSeconds;
        return new EpochRecord(context.Epoch, values);
    }

    Dictionary<string, double> Evaluate(BatchLoader batches, List<IMetric> metrics, TrainingContext context)
    {
        _model.eval();
        double lossSum = 0;
        long samples = 0;
        using (no_grad())
        {
            foreach (var batch in batches)
            {
                using (NewDisposeScope())
                {
                    using var autocast = MixedPrecision.AutocastFor(Options.Precision, context.Device);
                    var result = _step.EvaluationStep(batch, context);
                    lossSum += ScalarRead.Value(result.Loss, "loss") * batch.Size;
                    samples += batch.Size;
                    if (result.Output is { } output)
                    {
                        foreach (var metric in metrics)
                            metric.Update(output, batch.Targets);
                    }
                }
                ScalarSweeper.AtStepEnd();
            }
        }
        var values = new Dictionary<string, double>(StringComparer.Ordinal) { ["loss"] = lossSum / samples };
        foreach (var metric in metrics)
            values[metric.Name] = metric.Compute();
        return values;
    }
}
