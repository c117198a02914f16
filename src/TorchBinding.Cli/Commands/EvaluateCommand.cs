using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using TorchBinding.Data;
using TorchBinding.Losses;
using TorchBinding.Metrics;
using TorchBinding.Models;
using TorchBinding.Runtime;
using TorchBinding.Training;
using TorchBinding.Training.Checkpoints;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchBinding.Cli.Commands;

/// <summary>
/// <c>torchbinding evaluate</c>: the test loss and accuracy of a trained model, from a run's checkpoint
/// (<c>--checkpoint runs/x/best.ckpt</c>; the model and data come from the run's run.json unless given) or from
/// PyTorch weights (<c>--weights model.pt|.safetensors --model cnn-course</c>, keys as in the course notebooks).
/// </summary>
static class EvaluateCommand
{
    public static Command Create()
    {
        var checkpoint = new Option<string?>("--checkpoint") { Description = "a checkpoint of a train run (e.g. runs/x/best.ckpt)" };
        var weights = new Option<string?>("--weights") { Description = "PyTorch weights instead: a torch.save'd state dict (.pt, .pth) or .safetensors, with the notebook's key names" };
        var data = new Option<string?>("--data") { Description = "the data set to evaluate on (default: the run's): " + string.Join(", ", DatasetCatalog.Names) };
        var model = new Option<string?>("--model") { Description = "the model (default: the run's): " + string.Join(", ", ModelCatalog.Names) };
        var hidden = new Option<string?>("--hidden") { Description = "hidden sizes of the model, comma-separated (default: the run's)" };
        var loss = new Option<string?>("--loss") { Description = "the loss to report (default: the run's, else log)" };
        var device = new Option<string>("--device") { Description = "auto, cpu, cuda or cuda:N", DefaultValueFactory = _ => "auto" };
        var command = new Command("evaluate", "test loss and accuracy of a checkpoint (evaluate --checkpoint runs/x/best.ckpt --data mnist) or of PyTorch weights (--weights)");
        foreach (var option in new Option[] { checkpoint, weights, data, model, hidden, loss, device })
            command.Options.Add(option);
        command.SetAction(parse => Guard.Run(() => Evaluate(new Request(parse.GetValue(checkpoint), parse.GetValue(weights), parse.GetValue(data), parse.GetValue(model),
            parse.GetValue(hidden), parse.GetValue(loss), parse.GetValue(device)!))));
        return command;
    }

    sealed record Request(string? Checkpoint, string? Weights, string? Data, string? Model, string? Hidden, string? Loss, string Device);

    static int Evaluate(Request request)
    {
        if ((request.Checkpoint is null) == (request.Weights is null))
            throw new UsageException("evaluate needs one of --checkpoint (a train run's .ckpt) or --weights (a PyTorch .pt or .safetensors file).");
        var file = request.Checkpoint ?? request.Weights!;
        if (!File.Exists(file))
            throw new UsageException($"'{file}' does not exist.");
        var runConfig = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(file))!, "run.json");
        var run = File.Exists(runConfig) ? TrainSettings.FromFile(runConfig) : null;
        var modelName = request.Model ?? run?.Model ?? throw new UsageException($"--model is needed: there is no run.json beside '{file}' to say which model it holds.");
        var dataName = request.Data ?? run?.Data ?? throw new UsageException($"--data is needed: there is no run.json beside '{file}' to say which data set it was trained on.");
        var dataset = Guard.Name(() => DatasetCatalog.Get(dataName));
        var entry = Guard.Name(() => ModelCatalog.Get(modelName));
        var lossDefinition = Guard.Name(() => LossCatalog.Get((request.Loss ?? run?.Loss ?? "log").Replace('-', '_')));
        var deviceRequest = Guard.Name(() => Devices.Parse(request.Device));
        var hidden = request.Hidden is { } text
            ? text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(s => int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : throw new UsageException($"--hidden '{text}' is not a list of whole numbers.")).ToList()
            : run?.Hidden;

        TorchRuntime.EnsureInitialized();
        var device = Devices.Resolve(deviceRequest);
        var model = Workbench.CreateModel(entry, dataset, hidden);
        if (request.Checkpoint is { } checkpoint)
            LoadCheckpoint(model, checkpoint, entry.Name);
        else
            model.LoadPyTorchWeights(request.Weights!);
        model.to(device);

        using var test = dataset.Load(DatasetPart.Test);
        // Evaluate needs no optimizer; the trainer takes one, which is never stepped.
        var trainer = new Trainer(model, lossDefinition.Create(), Optim.Sgd(1e-3),
            new TrainerOptions { Metrics = [() => new Accuracy()], Progress = false });
        var scores = trainer.Evaluate(test);
        var table = Output.Table("model", "file", "data", "samples", lossDefinition.Name + " loss", "accuracy")
            .Row(entry.Name, file, $"{dataset.Name} (test)", test.Count.ToString(CultureInfo.InvariantCulture),
                scores["loss"].ToString("F4", CultureInfo.InvariantCulture), scores["accuracy"].ToString("P2", CultureInfo.InvariantCulture));
        Output.Console.Write(table);
        Console.WriteLine($"evaluate: {entry.Name} from {file}: test accuracy {scores["accuracy"].ToString("P2", CultureInfo.InvariantCulture)}, {lossDefinition.Name} loss {scores["loss"].ToString("F4", CultureInfo.InvariantCulture)} on {test.Count} {dataset.Name} test samples");
        return ExitCodes.Success;
    }

    /// <summary>The model's weights from a train run's checkpoint, after checking that it holds this architecture.</summary>
    static void LoadCheckpoint(nn.Module model, string path, string modelName)
    {
        var data = CheckpointFile.Read(path);
        var saved = (data.Metadata["parameters"] as JsonArray)?.ToDictionary(p => (string)p!["name"]!, p => string.Join("x", p!["shape"]!.AsArray().Select(d => (long)d!)))
            ?? throw new InvalidDataException($"Checkpoint '{path}' lists no parameters.");
        var ours = model.state_dict().ToDictionary(p => p.Key, p => string.Join("x", p.Value.shape));
        var differences = saved.Where(p => !ours.TryGetValue(p.Key, out var shape) || shape != p.Value).Select(p => p.Key)
            .Concat(ours.Keys.Where(k => !saved.ContainsKey(k))).Distinct().ToList();
        if (differences.Count > 0)
            throw new UsageException($"Checkpoint '{path}' does not hold a {modelName} for this data (it differs in {string.Join(", ", differences.Take(4).Select(d => $"'{d}'"))}); pass the run's --model and --data.");
        model.load(new MemoryStream(data.Model), strict: true);
    }
}
