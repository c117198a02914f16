// torchbinding: the command line of TorchBinding. Each subcommand lives in Commands/; this file wires them up
// and turns mistakes into exit code 2 with the problem and the usage, and failures into exit code 1.
using System.CommandLine;
using TorchBinding.Cli;
using TorchBinding.Cli.Commands;

var root = new RootCommand("torchbinding: train, evaluate and compare the course's models from the command line (TorchBinding over TorchSharp/libtorch).");
root.Subcommands.Add(InfoCommand.Create());
root.Subcommands.Add(DoctorCommand.Create());
root.Subcommands.Add(TrainCommand.Create());
root.Subcommands.Add(EvaluateCommand.Create());
root.Subcommands.Add(DataCommand.Create());
root.Subcommands.Add(RunsCommand.Create());
root.Subcommands.Add(SweepCommand.Create());

var parse = root.Parse(args);
if (parse.Errors.Count > 0)
{
    foreach (var error in parse.Errors)
        Console.Error.WriteLine($"torchbinding: {error.Message}");
    Console.Error.WriteLine($"See 'torchbinding {string.Join(' ', CommandPath(parse.CommandResult.Command, root))} --help'.".Replace("  ", " ", StringComparison.Ordinal));
    return ExitCodes.Usage;
}
return parse.Invoke();

static IEnumerable<string> CommandPath(Command command, RootCommand root)
{
    var path = new List<string>();
    for (var c = command; c is not null && c != root; c = c.Parents.OfType<Command>().FirstOrDefault())
        path.Insert(0, c.Name);
    return path;
}
