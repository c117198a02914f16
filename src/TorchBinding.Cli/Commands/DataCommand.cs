using System.CommandLine;
using TorchBinding.Data;
using TorchBinding.Data.Files;

namespace TorchBinding.Cli.Commands;

/// <summary>
/// <c>torchbinding data fetch mnist|fashion-mnist</c>: finds each file of the data set (the given folder,
/// TORCHBINDING_DATA, the cache, system folders) or downloads it into the cache, verifies its checksum, and says where it is.
/// </summary>
static class DataCommand
{
    public static Command Create()
    {
        var fetchable = DatasetCatalog.All.Where(e => e.Files is not null).Select(e => e.Name).ToList();
        var name = new Argument<string>("name") { Description = "the data set: " + string.Join(", ", fetchable) };
        var folder = new Option<string?>("--dir") { Description = "look in this folder first (files in it or in its NAME/ sub-folder)" };
        var offline = new Option<bool>("--offline") { Description = "only look on this machine; never download" };
        var fetch = new Command("fetch", "find or download a data set's files into the cache, checksums verified");
        fetch.Arguments.Add(name);
        fetch.Options.Add(folder);
        fetch.Options.Add(offline);
        fetch.SetAction(parse => Guard.Run(() => Fetch(parse.GetValue(name)!, parse.GetValue(folder), parse.GetValue(offline), fetchable)));
        var data = new Command("data", "data sets: fetch");
        data.Subcommands.Add(fetch);
        return data;
    }

    static int Fetch(string name, string? folder, bool offline, IReadOnlyList<string> fetchable)
    {
        var entry = Guard.Name(() => DatasetCatalog.Get(name));
        if (entry.Files is not { } definition)
            throw new UsageException($"'{entry.Name}' is embedded in TorchBinding: there is nothing to fetch. The data sets with files are: {string.Join(", ", fetchable)}.");
        var location = new DataLocation { Directory = folder, AllowDownload = !offline };
        var table = Output.Table("file", "bytes", "from");
        foreach (var file in definition.Files)
        {
            var located = DatasetFiles.Locate(definition, file.Name, location);
            table.Row(file.Name, located.Content.Length.ToString("N0", System.Globalization.CultureInfo.InvariantCulture), located.Path);
        }
        Output.Console.Write(table);
        Console.WriteLine($"data fetch: {entry.Name}: all {definition.Files.Count} files present and verified (MD5 of the content).");
        return ExitCodes.Success;
    }
}
