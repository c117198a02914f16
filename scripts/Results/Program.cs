// scripts/record.sh's helper (run from the repository root):
//   readme README.md docs/results   rewrites the README's recorded parts from the results files
//   stale docs/results              lists results older than their example's code (exit 1 if any) or the library's
using TorchBinding.Experiments;

var root = Directory.GetCurrentDirectory();
switch (args)
{
    case ["readme", var readmePath, var directory]:
    {
        var results = RecordedResult.LoadAll(directory);
        var readme = File.ReadAllText(readmePath);
        var rendered = ResultsReadme.Render(readme, results);
        if (rendered == readme)
        {
            Console.WriteLine($"results: {readmePath} already shows the {results.Count} recorded results");
        }
        else
        {
            TorchBinding.Runtime.AtomicFile.WriteAllText(readmePath, rendered);
            Console.WriteLine($"results: {readmePath} rendered from {results.Count} recorded results");
        }
        return Report(results);
    }
    case ["stale", var directory]:
        return Report(RecordedResult.LoadAll(directory));
    default:
        Console.Error.WriteLine("usage: Results readme README.md docs/results | stale docs/results");
        return 2;
}

int Report(IReadOnlyList<RecordedResult> results)
{
    string? Tree(string path) => ResultsFreshness.GitTree(root, path);
    var stale = ResultsFreshness.Stale(results, Tree);
    foreach (var line in stale)
        Console.WriteLine($"stale: {line}");
    var library = ResultsFreshness.LibraryChanged(results, Tree);
    if (library.Count > 0)
        Console.WriteLine($"recorded with an earlier library (src has changed since; most changes move no number): {string.Join(", ", library)}");
    return stale.Count > 0 ? 1 : 0;
}
