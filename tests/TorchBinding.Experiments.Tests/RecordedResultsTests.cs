using System.Reflection;
using TorchBinding.Experiments;

namespace TorchBinding.Experiments.Tests;

public class RecordedResultsTests
{
    static string RepositoryRoot =>
        typeof(RecordedResultsTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "RepositoryRoot").Value!;

    // ---- The repository's own results: what the README says is what was recorded, and still describes the code ----

    [Test]
    public void The_readme_shows_exactly_the_recorded_results()
    {
        var results = RecordedResult.LoadAll(Path.Combine(RepositoryRoot, "docs", "results"));
        var readme = File.ReadAllText(Path.Combine(RepositoryRoot, "README.md"));
        Assert.That(results, Is.Not.Empty, "docs/results holds the course's recorded results");
        var rendered = ResultsReadme.Render(readme, results);
        var differing = readme.Split('\n').Except(rendered.Split('\n')).Take(3).ToList();
        Assert.That(rendered, Is.EqualTo(readme),
            $"README.md disagrees with docs/results (run scripts/record.sh --readme); first differing lines:\n{string.Join("\n", differing)}");
    }

    [Test]
    public void Every_recorded_result_was_recorded_from_its_example_code_as_it_is_now()
    {
        var results = RecordedResult.LoadAll(Path.Combine(RepositoryRoot, "docs", "results"));
        string? Tree(string path) => ResultsFreshness.GitTree(RepositoryRoot, path);
        Assert.That(Tree("src"), Is.Not.Null, "the check needs the repository's git history (HEAD's trees)");
        var library = ResultsFreshness.LibraryChanged(results, Tree);
        if (library.Count > 0)
            TestContext.Out.WriteLine($"Recorded with an earlier library (listed, not refused): {string.Join(", ", library)}");
        Assert.That(ResultsFreshness.Stale(results, Tree), Is.Empty);
    }

    [Test]
    public void Every_example_with_a_row_in_the_readme_table_has_a_recorded_result()
    {
        var recorded = RecordedResult.LoadAll(Path.Combine(RepositoryRoot, "docs", "results")).Where(r => r.Variant is null).Select(r => r.Example).ToHashSet();
        var examples = Directory.GetDirectories(Path.Combine(RepositoryRoot, "examples")).Select(Path.GetFileName)
            .Where(name => File.Exists(Path.Combine(RepositoryRoot, "examples", name!, name + ".csproj"))).ToList();
        Assert.That(examples.Where(e => !recorded.Contains(e!)), Is.Empty, "examples without a results file (scripts/record.sh <Example>)");
    }

    // ---- The mechanism, on made-up results ----

    const string Readme = """
        # Title

        | example | lecture topic | what it shows | recorded result |
        |---|---|---|---|
        | `Alpha` | first | a thing | old text |
        | `Beta` | second | a \| piped thing | older text |
        | `Shared` | none | not an example | none |

        <!-- recorded: other recipes -->
        - stale line
        <!-- /recorded: other recipes -->

        ## Performance
        <!-- recorded: course table -->
        <!-- /recorded: course table -->
        The end.
        """;

    static RecordedResult Result(string example, string? variant, double wall, string summary, params string[] arguments) =>
        new(example, variant, "0123456789abcdef", "tree-" + example, "library", "2026-12-08", "AMD EPYC", 2, 2, "2.10.0",
            wall, wall * 2, 300, "fit/step 50.0 %", arguments, summary, new Dictionary<string, double?> { ["accuracy"] = 0.98 });

    [Test]
    public void Rendering_replaces_the_result_column_the_course_table_and_the_other_recipes_and_nothing_else()
    {
        var rendered = ResultsReadme.Render(Readme,
        [
            Result("Alpha", null, 12.4, "Alpha: accuracy 98.00 % (a | b)"),
            Result("Beta", null, 600, "Beta: loss 0.1"),
            Result("Beta", "long", 1249, "Beta: loss 0.05", "--epochs", "10"),
        ]);
        var lines = rendered.Split('\n');
        Assert.Multiple(() =>
        {
            Assert.That(lines, Does.Contain("| `Alpha` | first | a thing | accuracy 98.00 % (a \\| b) (12 s; commit 0123456, 2026-12-08) |"));
            Assert.That(lines, Does.Contain("| `Beta` | second | a \\| piped thing | loss 0.1 (600 s (10.0 min); commit 0123456, 2026-12-08) |"));
            Assert.That(lines, Does.Contain("| `Shared` | none | not an example | none |"), "rows without a result stay as written");
            Assert.That(lines, Does.Contain("- `Beta --epochs 10` (1249 s (20.8 min); commit 0123456, 2026-12-08): loss 0.05"));
            Assert.That(lines, Does.Not.Contain("- stale line"));
            Assert.That(lines, Does.Contain("| `Alpha` | 12 | 25 | 300 | fit/step 50.0 % | commit 0123456, 2026-12-08 |"));
            Assert.That(lines, Does.Contain("| **total (2 examples)** | 612 | 1225 | 300 (largest) | AMD EPYC (2 cores, 2 threads, libtorch 2.10.0) | |"));
            Assert.That(lines[^1], Is.EqualTo("The end."));
            Assert.That(ResultsReadme.Render(rendered, [Result("Alpha", null, 12.4, "Alpha: accuracy 98.00 % (a | b)"), Result("Beta", null, 600, "Beta: loss 0.1"),
                Result("Beta", "long", 1249, "Beta: loss 0.05", "--epochs", "10")]), Is.EqualTo(rendered), "rendering twice changes nothing");
        });
    }

    [Test]
    public void A_result_for_an_example_the_table_lacks_or_a_missing_marker_is_refused_by_name()
    {
        Assert.Multiple(() =>
        {
            Assert.That(() => ResultsReadme.Render(Readme, [Result("Gamma", null, 1, "Gamma: x")]),
                Throws.TypeOf<InvalidDataException>().With.Message.Contain("'Gamma', which the example table has no row for"));
            Assert.That(() => ResultsReadme.Render(Readme.Replace("<!-- /recorded: course table -->", ""), []),
                Throws.TypeOf<InvalidDataException>().With.Message.Contain("<!-- /recorded: course table -->"));
            Assert.That(() => ResultsReadme.Render("# no table", []), Throws.TypeOf<InvalidDataException>().With.Message.Contain("no example table"));
        });
    }

    [Test]
    public void A_result_is_stale_when_its_example_code_changed_and_listed_when_the_library_did()
    {
        RecordedResult[] results = [Result("Alpha", null, 1, "Alpha: x"), Result("Beta", "long", 1, "Beta: y")];
        var trees = new Dictionary<string, string?> { ["examples/Alpha"] = "tree-Alpha", ["examples/Beta"] = "tree-Beta-changed", ["src"] = "library-2" };
        var stale = ResultsFreshness.Stale(results, p => trees.GetValueOrDefault(p));
        Assert.Multiple(() =>
        {
            Assert.That(stale, Has.Count.EqualTo(1));
            Assert.That(stale[0], Does.StartWith("Beta.long: recorded at commit 0123456, 2026-12-08").And.EndWith("(scripts/record.sh Beta --variant long)"));
            Assert.That(ResultsFreshness.LibraryChanged(results, p => trees.GetValueOrDefault(p)), Has.Count.EqualTo(2));
        });
    }

    [Test]
    public void A_results_file_is_read_with_its_provenance_and_a_broken_one_is_named()
    {
        using var folder = TestSupport.TemporaryFolder();
        var path = Path.Combine(folder.Path, "Alpha.json");
        File.WriteAllText(path, """
            {
              "example": "Alpha", "variant": null, "commit": "0123456789abcdef", "code_tree": "t1", "library_tree": "t2",
              "date": "2026-12-08", "cpu": "AMD EPYC", "cores": 2, "wall_seconds": 12.5, "cpu_seconds": 24.1, "peak_mb": 300,
              "where_the_time_went": "fit/step 50.0 %",
              "provenance": { "arguments": ["--seed", "42", "--out", "runs/x"], "summary": "Alpha: accuracy 98.00 %", "libtorch": "2.10.0", "intra_op_threads": 2 },
              "metrics": { "accuracy": 0.98, "diverged": null }
            }
            """);
        var result = RecordedResult.Load(path);
        Assert.Multiple(() =>
        {
            Assert.That(result.Arguments, Is.EqualTo(new[] { "--seed", "42" }), "--out is where it went, not the recipe");
            Assert.That(result.Result, Is.EqualTo("accuracy 98.00 %"));
            Assert.That(result.Metrics["accuracy"], Is.EqualTo(0.98));
            Assert.That(result.Metrics["diverged"], Is.Null);
            Assert.That((result.Threads, result.LibTorch, result.CodeTree), Is.EqualTo((2, "2.10.0", "t1")));
        });
        File.WriteAllText(Path.Combine(folder.Path, "Beta.json"), File.ReadAllText(path));
        Assert.That(() => RecordedResult.Load(Path.Combine(folder.Path, "Beta.json")), Throws.TypeOf<InvalidDataException>().With.Message.Contain("must be named Alpha.json"));
        File.WriteAllText(path, File.ReadAllText(path).Replace("\"code_tree\": \"t1\",", ""));
        Assert.That(() => RecordedResult.Load(path), Throws.TypeOf<InvalidDataException>().With.Message.Contain("Alpha.json: the recorded result has no 'code_tree'"));
    }
}
