using TorchBinding.Data;
using TorchBinding.Losses;
using TorchBinding.Training;
using static TorchSharp.torch;

namespace TorchBinding.Models.Graphs;

/// <summary>
/// The supervised step for graph classification with the <see cref="Trainer"/>: the trainer batches the graph
/// indices of <see cref="GraphDataset.AsIndexDataset"/> (shuffling, splits, progress, metrics and checkpoints work as
/// for any data set); this step combines each batch's graphs into one disjoint graph on the model's device, runs the
/// model on it (one output row per graph) and applies the loss to the batch's labels.
/// </summary>
public sealed class GraphClassificationStep : ITrainingStep
{
    readonly nn.Module<Graph, Tensor> _model;
    readonly GraphDataset _graphs;
    readonly LossFunction _loss;

    /// <summary>Creates the step.</summary>
    /// <param name="model">Maps a combined graph to one output row per graph, e.g. a <see cref="GraphClassifier"/>.</param>
    /// <param name="graphs">The graphs the batches' indices refer to.</param>
    /// <param name="loss">The loss of the outputs against the labels, e.g. cross-entropy.</param>
    public GraphClassificationStep(nn.Module<Graph, Tensor> model, GraphDataset graphs, LossFunction loss)
    {
        _model = model ?? throw new ArgumentNullException(nameof(model));
        _graphs = graphs ?? throw new ArgumentNullException(nameof(graphs));
        _loss = loss ?? throw new ArgumentNullException(nameof(loss));
    }

    /// <inheritdoc/>
    public nn.Module Model => _model;

    /// <inheritdoc/>
    public StepResult TrainStep(Batch batch, TrainingContext context)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(context);
        using var graph = _graphs.Collate(batch, context.Device);
        var output = _model.call(graph);
        return new StepResult(_loss(output, batch.Targets), output);
    }

    /// <inheritdoc/>
    public StepResult EvaluationStep(Batch batch, TrainingContext context)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(context);
        using var graph = _graphs.Collate(batch, context.Device);
        var output = _model.call(graph);
        return new StepResult(_loss(output, batch.Targets), output);
    }
}
