using System.Text.Json;
using TorchBinding.Runtime;
using TorchBinding.Training;
using static TorchBinding.Tests.Training.TrainingFixtures;

namespace TorchBinding.Tests.Runtime;

public class ProfilerTests
{
    static void Busy(TimeSpan duration)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (clock.Elapsed < duration)
            Thread.SpinWait(100);
    }

    [Test]
    public void Self_time_excludes_the_sections_inside_and_the_self_times_add_up()
    {
        using var profiler = Profiler.Start();
        using (Profiler.Measure("outer"))
        {
            Busy(TimeSpan.FromMilliseconds(30));
            for (var i = 0; i < 2; i++)
            {
                using (Profiler.Measure("inner"))
                    Busy(TimeSpan.FromMilliseconds(40));
            }
        }
        var entries = profiler.Entries.ToDictionary(e => e.Path);
        var (outer, inner) = (entries["outer"], entries["outer/inner"]);
        Assert.Multiple(() =>
        {
            Assert.That(entries.Keys, Is.EquivalentTo(new[] { "outer", "outer/inner" }));
            Assert.That(inner.Calls, Is.EqualTo(2));
            Assert.That(inner.WallSeconds, Is.GreaterThanOrEqualTo(0.08));
            Assert.That(outer.WallSeconds, Is.EqualTo(outer.SelfWallSeconds + inner.WallSeconds).Within(1e-9), "a parent's time is its self time plus its children's");
            Assert.That(outer.SelfWallSeconds, Is.GreaterThanOrEqualTo(0.03).And.LessThan(outer.WallSeconds));
            Assert.That(inner.CpuSeconds, Is.GreaterThan(0), "spinning costs CPU time");
        });
    }

    [Test]
    public void Measure_is_a_no_op_without_a_profiler_and_after_one_is_disposed()
    {
        Assert.That(Profiler.Current, Is.Null);
        using (Profiler.Measure("nothing records this")) { }
        var profiler = Profiler.Start();
        Assert.That(Profiler.Current, Is.SameAs(profiler));
        profiler.Dispose();
        using (Profiler.Measure("after")) { }
        Assert.Multiple(() =>
        {
            Assert.That(Profiler.Current, Is.Null, "disposing restores the previous (none)");
            Assert.That(profiler.Entries, Is.Empty);
        });
    }

    [Test]
    public void Sections_of_other_threads_are_ignored()
    {
        using var profiler = Profiler.Start();
        // The execution context flows into the thread, so it sees the profiler, but its sections are not this thread's.
        Profiler? seen = null;
        var other = new Thread(() =>
        {
            seen = Profiler.Current;
            using (Profiler.Measure("elsewhere"))
                Busy(TimeSpan.FromMilliseconds(5));
        });
        other.Start();
        other.Join();
        using (Profiler.Measure("here")) { }
        Assert.Multiple(() =>
        {
            Assert.That(seen, Is.SameAs(profiler));
            Assert.That(profiler.Entries.Select(e => e.Path), Is.EqualTo(new[] { "here" }));
        });
    }

    [Test]
    public void A_section_closed_out_of_order_closes_the_ones_inside_it()
    {
        using var profiler = Profiler.Start();
        var outer = Profiler.Measure("outer");
        Profiler.Measure("left open");
        outer.Dispose();
        using (Profiler.Measure("next")) { }
        Assert.That(profiler.Entries.Select(e => e.Path), Is.EquivalentTo(new[] { "outer", "outer/left open", "next" }));
    }

    [Test]
    public void The_trainer_marks_data_step_backward_optimizer_and_validation()
    {
        var (train, test) = Digits();
        using (train)
        using (test)
        {
            using var profiler = Profiler.Start();
            var trainer = new Trainer(Mlp(), CrossEntropy, Optim.Adam(1e-3), new TrainerOptions { Epochs = 2, BatchSize = 100, Progress = false });
            trainer.Fit(train, test);
            using (trainer.Predict(test)) { }
            var entries = profiler.Entries.ToDictionary(e => e.Path);
            var steps = 2 * ((train.Count + 99) / 100);
            Assert.Multiple(() =>
            {
                Assert.That(entries["fit"].Calls, Is.EqualTo(1));
                Assert.That(entries["fit/step"].Calls, Is.EqualTo(steps));
                Assert.That(entries["fit/step/backward"].Calls, Is.EqualTo(steps));
                Assert.That(entries["fit/step/optimizer"].Calls, Is.EqualTo(2 * steps), "zero_grad before backward, step after");
                Assert.That(entries["fit/data"].Calls, Is.EqualTo(steps + 2), "each epoch's last fetch finds the end");
                Assert.That(entries["fit/validation"].Calls, Is.EqualTo(2));
                Assert.That(entries["predict"].Calls, Is.EqualTo(1));
                Assert.That(entries["fit"].WallSeconds, Is.GreaterThanOrEqualTo(entries["fit/step"].WallSeconds + entries["fit/validation"].WallSeconds));
            });
        }
    }

    [Test]
    public void The_report_and_the_json_name_every_section_with_its_seconds()
    {
        using var folder = TestSupport.TemporaryFolder();
        using var profiler = Profiler.Start();
        using (Profiler.Measure("sampling"))
            Busy(TimeSpan.FromMilliseconds(20));
        var report = profiler.Report();
        var path = Path.Combine(folder.Path, "profile.json");
        profiler.WriteJson(path);
        using var json = JsonDocument.Parse(File.ReadAllText(path));
        var section = json.RootElement.GetProperty("sections")[0];
        Assert.Multiple(() =>
        {
            Assert.That(report, Does.Contain("sampling").And.Contain("(outside any section)").And.Contain("total"));
            Assert.That(section.GetProperty("path").GetString(), Is.EqualTo("sampling"));
            Assert.That(section.GetProperty("calls").GetInt64(), Is.EqualTo(1));
            Assert.That(section.GetProperty("wall_seconds").GetDouble(), Is.GreaterThanOrEqualTo(0.02));
            Assert.That(json.RootElement.GetProperty("total_wall_seconds").GetDouble(), Is.GreaterThanOrEqualTo(0.02));
        });
    }
}
