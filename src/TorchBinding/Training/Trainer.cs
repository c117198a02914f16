using System.Diagnostics;
using System.Text.Json.Nodes;
using TorchBinding.Data;
using TorchBinding.Losses;
using TorchBinding.Metrics;
using TorchBinding.Runtime;
using TorchBinding.Training.Callbacks;
using TorchBinding.Training.Checkpoints;
using TorchSharp;
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
/// var trainer = new Trainer(model, (o, y) =&gt; nn.functional.cross_entropy(o, y), optim.Adam(model.parameters()),
///     new TrainerOptions { Epochs = 20, Metrics = [() =&gt; new Accuracy()], Callbacks = [new EarlyStopping("val_loss", patience: 3)] });
/// var history = trainer.Fit(train, validation);
/// </code>
/// </example>
public sealed class Trainer
{
    readonly nn.Module _model;
    readonly ITrainingStep _step;
    readonly IReadOnlyList<optim.Optimizer> _optimizers;

    /// <summary>A supervised trainer: one model, one loss, one optimizer.</summary>
    public Trainer(nn.Module<Tensor, Tensor> model, LossFunction loss, optim.Optimizer optimizer, TrainerOptions? options = null)
        : this(model, new SupervisedStep(model, loss), [optimizer], options)
    {
    }

    /// <summary>A trainer with a custom step (GANs, VAEs, diffusion): the model holds every trained module.</summary>
    public Trainer(nn.Module model, ITrainingStep step, IReadOnlyList<optim.Optimizer> optimizers, TrainerOptions? options = null)
    {
        TorchRuntime.EnsureInitialized();
        _model = model ?? throw new ArgumentNullException(nameof(model));
        _step = step ?? throw new ArgumentNullException(nameof(step));
        _optimizers = optimizers is { Count: > 0 } ? optimizers : throw new ArgumentException("A trainer needs at least one optimizer.", nameof(optimizers));
        Options = options ?? new TrainerOptions();
        Options.Validate();
    }

    /// <summary>The options.</summary>
    public TrainerOptions Options { get; }

    /// <summary>The history of the last (or current) <see cref="Fit"/>.</summary>
    public TrainingHistory History { get; private set; } = new();

    /// <summary>The device the model's parameters are on (the CPU for a model without parameters).</summary>
    public Device Device => _model.parameters().FirstOrDefault()?.device ?? CPU;

    /// <summary>
    /// Trains for <see cref="TrainerOptions.Epochs"/> epochs (or until a callback stops it) and returns the history.
    /// </summary>
    /// <exception cref="OperationCanceledException">The token was cancelled; training stopped after the current step, callbacks (e.g. checkpoints) ran first.</exception>
    public TrainingHistory Fit(InMemoryDataset train, InMemoryDataset? validation = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(train);
        History = new TrainingHistory();
        var callbacks = new List<TrainingCallback>();
        if (Options.NonFiniteCheck != NonFiniteCheck.Off)
            callbacks.Add(new NonFiniteGuard(Options.NonFiniteCheck == NonFiniteCheck.LossAndGradients));
        callbacks.AddRange(Options.Callbacks);
        if (Options.Progress)
            callbacks.Add(new ProgressDisplay(Options.ProgressWriter));

        var device = Device;
        using var loader = train.Batches(Options.BatchSize, new BatchOptions
        {
            Shuffle = Options.Shuffle, DropLast = Options.DropLast, Seed = Options.Seed ?? Seeding.NextSeed(), Device = device,
            Transform = Options.Augmentation,
        });
        if (loader.Count == 0)
            throw new ArgumentException($"{train.Name}: {train.Count} samples make no batch of {Options.BatchSize} with DropLast set.", nameof(train));
        var context = new TrainingContext(_model, _optimizers, History, callbacks, Options.Epochs, device, cancellation)
        {
            BatchesPerEpoch = Math.Min(loader.Count, Options.MaxStepsPerEpoch ?? int.MaxValue),
        };
        var run = new RunState(loader);
        context.CaptureCheckpoint = () => Capture(context, run);
        if (Options.ResumeFrom is { } resume)
            Restore(CheckpointFile.Read(resume), resume, context, run, callbacks);

        var trainMetrics = Options.TrainMetrics ? Options.Metrics.Select(f => f()).ToList() : [];
        foreach (var callback in callbacks)
            callback.OnFitStart(context);

        for (var epoch = context.Epoch + 1; epoch <= Options.Epochs && !context.StopRequested; epoch++)
        {
            context.Epoch = epoch;
            var clock = Stopwatch.StartNew();
            if (run.SkipBatches == 0)
            {
                run.EpochStartLoaderState?.Dispose();
                run.EpochStartLoaderState = loader.GeneratorState;
                (run.LossSum, run.Samples) = (0, 0);
                run.ValueSums.Clear();
            }
            context.SamplesInEpoch = run.Samples;
            trainMetrics.ForEach(m => m.Reset());
            _model.train();
            foreach (var callback in callbacks)
                callback.OnEpochStart(context);

            var interrupted = false;
            var index = 0;
            foreach (var batch in loader)
            {
                if (index >= context.BatchesPerEpoch)
                    break;
                if (index < run.SkipBatches)
                {
                    index++; // resumed mid-epoch: these batches were trained before the checkpoint
                    continue;
                }
                context.BatchInEpoch = index;
                TrainOne(batch, context, run, trainMetrics);
                foreach (var callback in callbacks)
                    callback.OnBatchEnd(context);
                index++;
                if (context.StopRequested || cancellation.IsCancellationRequested)
                {
                    interrupted = index < context.BatchesPerEpoch || cancellation.IsCancellationRequested;
                    break;
                }
            }
            run.SkipBatches = 0;

            if (interrupted)
            {
                // Mid-epoch: the checkpoint resumes after the batches done so far.
                context.BatchInEpoch = index;
                run.MidEpoch = true;
                context.RequestStop(cancellation.IsCancellationRequested ? $"cancelled at {context.Position}" : context.StopReason!);
                foreach (var callback in callbacks)
                    callback.OnInterrupted(context);
                break;
            }

            var record = EndOfEpoch(context, run, trainMetrics, validation, clock.Elapsed);
            History.AddEpoch(record);
            context.BatchInEpoch = 0;
            run.MidEpoch = false;
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

        History.StopReason = context.StopReason;
        foreach (var callback in callbacks)
            callback.OnFitEnd(context);
        run.EpochStartLoaderState?.Dispose();
        cancellation.ThrowIfCancellationRequested();
        return History;
    }

    /// <summary>The loss and metrics of a data set, without learning (eval mode, no_grad).</summary>
    /// <returns><c>loss</c> and each metric by name.</returns>
    public IReadOnlyDictionary<string, double> Evaluate(InMemoryDataset data)
    {
        ArgumentNullException.ThrowIfNull(data);
        var metrics = Options.Metrics.Select(f => f()).ToList();
        var context = new TrainingContext(_model, _optimizers, History, [], Options.Epochs, Device, default);
        return Evaluate(data, metrics, context);
    }

    /// <summary>The model's outputs for a data set, batch by batch in eval mode, concatenated on the CPU.</summary>
    public Tensor Predict(InMemoryDataset data)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (_model is not nn.Module<Tensor, Tensor> model)
            throw new InvalidOperationException($"Predict needs a model that maps a tensor to a tensor; this trainer's model is a {_model.GetType().Name}.");
        _model.eval();
        using var loader = data.Batches(Options.EvaluationBatchSize, new BatchOptions { Shuffle = false, Seed = 0, Device = Device });
        var outputs = new List<Tensor>();
        using (no_grad())
        using (var scope = NewDisposeScope())
        {
            foreach (var batch in loader)
                outputs.Add(model.call(batch.Inputs).cpu());
            return cat(outputs, 0).MoveToOuterDisposeScope();
        }
    }

    void TrainOne(Batch batch, TrainingContext context, RunState run, List<IMetric> metrics)
    {
        using var scope = NewDisposeScope();
        var learningRate = context.LearningRate;
        var result = _step.TrainStep(batch, context);
        // AfterBackward already read the loss of this step (one read, one device sync).
        var loss = context.LossValueOf(result.Loss) ?? ScalarValue(result.Loss, "loss");
        var values = new Dictionary<string, double>(StringComparer.Ordinal) { ["loss"] = loss };
        foreach (var (name, value) in result.Values ?? new Dictionary<string, Tensor>())
            values[name] = ScalarValue(value, name);
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
        run.LossSum += values["loss"] * batch.Size;
        run.Samples += batch.Size;
        foreach (var (name, value) in values)
        {
            if (name != "loss")
                run.ValueSums[name] = run.ValueSums.GetValueOrDefault(name) + value * batch.Size;
        }
    }

    /// <summary>
    /// A scalar tensor's value with one read: the common float32 loss costs what <c>item()</c> costs in a
    /// hand-written loop (the trainer's per-step overhead is measured against one).
    /// </summary>
    internal static double ScalarValue(Tensor value, string name)
    {
        try
        {
            return value.dtype == ScalarType.Float32 ? value.item<float>() : value.ToDouble();
        }
        catch (ArgumentException e)
        {
            throw new InvalidOperationException($"The step's '{name}' must be a scalar tensor; it has shape {Shapes.Format(value)}.", e);
        }
    }

    EpochRecord EndOfEpoch(TrainingContext context, RunState run, List<IMetric> trainMetrics, InMemoryDataset? validation, TimeSpan elapsed)
    {
        var values = new Dictionary<string, double>(StringComparer.Ordinal)
        {
            ["train_loss"] = run.Samples > 0 ? run.LossSum / run.Samples : double.NaN,
        };
        // A custom step's further values (a GAN's d_loss, a VAE's kl): their epoch means, as train_NAME.
        foreach (var (name, sum) in run.ValueSums)
            values[$"train_{name}"] = run.Samples > 0 ? sum / run.Samples : double.NaN;
        foreach (var metric in trainMetrics)
            values[$"train_{metric.Name}"] = metric.Compute();
        if (validation is not null)
        {
            var metrics = Options.Metrics.Select(f => f()).ToList();
            foreach (var (name, value) in Evaluate(validation, metrics, context))
                values[$"val_{name}"] = value;
            _model.train();
        }
        values["lr"] = context.LearningRate;
        values["seconds"] = elapsed.TotalSeconds;
        return new EpochRecord(context.Epoch, values);
    }

    Dictionary<string, double> Evaluate(InMemoryDataset data, List<IMetric> metrics, TrainingContext context)
    {
        _model.eval();
        using var loader = data.Batches(Options.EvaluationBatchSize, new BatchOptions { Shuffle = false, Seed = 0, Device = Device });
        double lossSum = 0;
        long samples = 0;
        using (no_grad())
        {
            foreach (var batch in loader)
            {
                using var scope = NewDisposeScope();
                var result = _step.EvaluationStep(batch, context);
                lossSum += ScalarValue(result.Loss, "loss") * batch.Size;
                samples += batch.Size;
                if (result.Output is { } output)
                {
                    foreach (var metric in metrics)
                        metric.Update(output, batch.Targets);
                }
            }
        }
        var values = new Dictionary<string, double>(StringComparer.Ordinal) { ["loss"] = lossSum / samples };
        foreach (var metric in metrics)
            values[metric.Name] = metric.Compute();
        return values;
    }

    /// <summary>What a checkpoint needs beyond the context: the loader and the partial epoch.</summary>
    sealed class RunState(BatchLoader loader)
    {
        public BatchLoader Loader { get; } = loader;
        public Tensor? EpochStartLoaderState { get; set; }
        public double LossSum { get; set; }
        public long Samples { get; set; }
        public Dictionary<string, double> ValueSums { get; } = new(StringComparer.Ordinal);
        public int SkipBatches { get; set; }
        public bool MidEpoch { get; set; }
    }

    CheckpointData Capture(TrainingContext context, RunState run)
    {
        var completed = run.MidEpoch ? context.Epoch - 1 : context.Epoch;
        var metadata = new JsonObject
        {
            ["format"] = "torchbinding-checkpoint",
            ["epoch"] = completed,
            ["batch_in_epoch"] = run.MidEpoch ? context.BatchInEpoch : 0,
            ["global_step"] = context.GlobalStep,
            ["epoch_loss_sum"] = run.MidEpoch ? run.LossSum : 0,
            ["epoch_samples"] = run.MidEpoch ? run.Samples : 0,
            ["epoch_value_sums"] = new JsonObject(run.MidEpoch ? run.ValueSums.Select(p => KeyValuePair.Create(p.Key, (JsonNode?)p.Value)) : []),
            ["stop_reason"] = context.StopReason,
            ["parameters"] = ParameterShapes(_model),
            ["history"] = History.ToJson(),
            ["callbacks"] = CallbackStates(context),
        };
        using var model = new MemoryStream();
        _model.save(model);
        var optimizers = _optimizers.Select(o =>
        {
            using var stream = new MemoryStream();
            using (var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true))
                Checkpointable(o).save_state_dict(writer);
            return stream.ToArray();
        }).ToList();
        using var random = torch.random.get_rng_state();
        var loaderState = run.MidEpoch ? run.EpochStartLoaderState : null;
        using var current = loaderState is null ? run.Loader.GeneratorState : null;
        return new CheckpointData(metadata, model.ToArray(), optimizers, Bytes(random), Bytes(loaderState ?? current!));
    }

    static JsonObject CallbackStates(TrainingContext context)
    {
        var states = new JsonObject();
        foreach (var callback in context.Callbacks)
        {
            if (callback.StateKey is { } key && callback.SaveState() is { } state)
                states[key] = state;
        }
        return states;
    }

    void Restore(CheckpointData data, string path, TrainingContext context, RunState run, IReadOnlyList<TrainingCallback> callbacks)
    {
        CheckArchitecture(data.Metadata["parameters"]?.AsArray(), path);
        if (data.Optimizers.Count != _optimizers.Count)
            throw new InvalidDataException($"Checkpoint '{path}' holds {data.Optimizers.Count} optimizer state(s); this trainer has {_optimizers.Count}.");
        _model.load(new MemoryStream(data.Model), strict: true);
        for (var i = 0; i < _optimizers.Count; i++)
        {
            try
            {
                using var reader = new BinaryReader(new MemoryStream(data.Optimizers[i]));
                Checkpointable(_optimizers[i]).load_state_dict(reader);
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException or EndOfStreamException or IOException)
            {
                throw new InvalidDataException($"Checkpoint '{path}': optimizer {i}'s state does not fit this trainer's {_optimizers[i].GetType().Name} ({e.Message}).", e);
            }
        }
        using (var random = tensor(data.RandomState, dtype: ScalarType.Byte))
            torch.random.set_rng_state(random);
        if (data.LoaderState is { } loaderState)
        {
            using var state = tensor(loaderState, dtype: ScalarType.Byte);
            run.Loader.RestoreGeneratorState(state);
        }
        var metadata = data.Metadata;
        context.Epoch = (int)metadata["epoch"]!;
        context.GlobalStep = (long)metadata["global_step"]!;
        run.SkipBatches = (int)metadata["batch_in_epoch"]!;
        run.LossSum = (double)metadata["epoch_loss_sum"]!;
        run.Samples = (long)metadata["epoch_samples"]!;
        run.ValueSums.Clear();
        foreach (var (name, sum) in metadata["epoch_value_sums"]?.AsObject() ?? [])
            run.ValueSums[name] = (double)sum!;
        History.LoadJson(metadata["history"]!.AsObject());
        var states = metadata["callbacks"]?.AsObject();
        foreach (var callback in callbacks)
        {
            if (callback.StateKey is { } key && states?[key] is { } state)
                callback.LoadState(state);
        }
    }

    static JsonArray ParameterShapes(nn.Module model) =>
        new(model.state_dict().Select(p => (JsonNode)new JsonObject
        {
            ["name"] = p.Key,
            ["shape"] = new JsonArray(p.Value.shape.Select(d => (JsonNode)d).ToArray()),
        }).ToArray());

    /// <summary>Refuses a checkpoint of another architecture before TorchSharp sees it, naming the first difference.</summary>
    void CheckArchitecture(JsonArray? saved, string path)
    {
        if (saved is null)
            throw new InvalidDataException($"Checkpoint '{path}' lists no parameters.");
        var expected = saved.ToDictionary(p => (string)p!["name"]!, p => "[" + string.Join(", ", p!["shape"]!.AsArray().Select(d => (long)d!)) + "]");
        var actual = _model.state_dict().ToDictionary(p => p.Key, p => Shapes.Format(p.Value));
        var missing = expected.Keys.Except(actual.Keys).ToList();
        var extra = actual.Keys.Except(expected.Keys).ToList();
        var different = expected.Keys.Intersect(actual.Keys).Where(k => expected[k] != actual[k]).ToList();
        if (missing.Count + extra.Count + different.Count == 0)
            return;
        var problems = new List<string>();
        if (different.Count > 0)
            problems.Add(string.Join("; ", different.Take(3).Select(k => $"'{k}' is {expected[k]} there and {actual[k]} here")));
        if (missing.Count > 0)
            problems.Add($"this model has no {string.Join(", ", missing.Take(3).Select(k => $"'{k}'"))}");
        if (extra.Count > 0)
            problems.Add($"the checkpoint has no {string.Join(", ", extra.Take(3).Select(k => $"'{k}'"))}");
        throw new InvalidDataException($"Checkpoint '{path}' was saved from a different architecture: {string.Join("; ", problems)}.");
    }

    static TorchSharp.Modules.OptimizerHelper Checkpointable(optim.Optimizer optimizer) =>
        optimizer as TorchSharp.Modules.OptimizerHelper
        ?? throw new NotSupportedException($"Optimizers of type {optimizer.GetType().Name} cannot be checkpointed (TorchSharp's built-in optimizers can).");

    static byte[] Bytes(Tensor state)
    {
        using var cpu = state.cpu();
        return cpu.data<byte>().ToArray();
    }
}
