using System.CommandLine;
using TorchBinding.Activations;
using TorchBinding.Data;
using TorchBinding.Losses;
using TorchBinding.Models;
using TorchBinding.Runtime;
using TorchBinding.Training;

namespace TorchBinding.Cli.Commands;

/// <summary><c>torchbinding info</c>: the runtime (libtorch, where its natives came from, CUDA devices), the data sets found on this machine, and the names of every catalog.</summary>
static class InfoCommand
{
    public static Command Create()
    {
        var command = new Command("info", "runtime, devices, data sets found, and the names train accepts");
        command.SetAction(_ => Guard.Run(Info));
        return command;
    }

    static int Info()
    {
        TorchRuntime.EnsureInitialized();
        Console.WriteLine(TorchRuntime.Describe());
        Console.WriteLine();

        var data = Output.Table("data set", "found", "where", "what");
        foreach (var entry in DatasetCatalog.All)
        {
            var paths = entry.FindLocally();
            var (found, where) = paths switch
            {
                null => ("no", $"torchbinding data fetch {entry.Name}"),
                { Count: 0 } => ("yes", "embedded in TorchBinding"),
                _ => ("yes", Path.GetDirectoryName(paths[0]) ?? paths[0]),
            };
            data.Row(entry.Name, found, where, entry.Description);
        }
        Output.Console.Write(data);

        var names = Output.Table("catalog", "names");
        names.Row("models (--model)", string.Join(", ", ModelCatalog.Names));
        names.Row("data sets (--data)", string.Join(", ", DatasetCatalog.Names));
        names.Row("optimizers (--optimizer)", string.Join(", ", Optimizers.Names));
        names.Row("losses (--loss)", string.Join(", ", LossCatalog.All.Select(l => l.Name)));
        names.Row("activations", string.Join(", ", Enum.GetNames<Activation>().Select(n => n.ToLowerInvariant())));
        Output.Console.Write(names);
        return ExitCodes.Success;
    }
}
