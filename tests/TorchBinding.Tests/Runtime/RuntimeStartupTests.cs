using TorchBinding.Runtime;
using static TorchSharp.torch;

namespace TorchBinding.Tests.Runtime;

public class RuntimeStartupTests
{
    static string Probe => TestSupport.ProjectOutput("tests/TorchBinding.TestChild", "TorchBinding.TestChild");

    [Test]
    public void Runtime_starts_on_this_host_without_any_manual_step()
    {
        TorchRuntime.EnsureInitialized();
        var description = TorchRuntime.Describe();
        Assert.Multiple(() =>
        {
            Assert.That(TorchRuntime.IsInitialized, Is.True);
            Assert.That(description.LibTorchVersion, Is.EqualTo("2.10.0"));
            Assert.That(description.Source, Is.EqualTo("libtorch-cpu package"));
            Assert.That(description.CompatibilityFixApplied, Is.EqualTo(HostLoader.HostLacksGlibcxx3432()));
            Assert.That(description.IntraOpThreads, Is.GreaterThan(0));
            Assert.That(description.ToString(), Does.Contain("libtorch         2.10.0 from libtorch-cpu package"));
        });
    }

    [Test]
    public void Lecture_autograd_example_gives_the_known_gradients()
    {
        TorchRuntime.EnsureInitialized();
        using var scope = NewDisposeScope();
        var a = tensor(2.0, requires_grad: true);
        var b = tensor(1.0, requires_grad: true);
        var e = (a + b) * (b + 1);
        e.backward();
        Assert.Multiple(() =>
        {
            Assert.That(e.item<double>(), Is.EqualTo(6.0));
            Assert.That(a.grad!.item<double>(), Is.EqualTo(2.0));
            Assert.That(b.grad!.item<double>(), Is.EqualTo(5.0));
        });
    }

    [Test]
    public void Initialize_with_other_options_after_start_is_refused()
    {
        TorchRuntime.EnsureInitialized();
        Assert.That(() => TorchRuntime.Initialize(new RuntimeOptions { Threads = 1, Verbose = true }),
            Throws.InvalidOperationException.With.Message.Contain("already started"));
    }

    [Test]
    public void App_that_uses_TorchSharp_first_starts_through_the_hook()
    {
        var result = TestSupport.RunDotnet(Probe, []);
        Assert.Multiple(() =>
        {
            Assert.That(result.ExitCode, Is.Zero, result.ToString());
            Assert.That(result.Output, Does.Contain("e=6 de/da=2 de/db=5"));
            Assert.That(result.Output, Does.Contain(HostLoader.HostLacksGlibcxx3432() ? "GLIBCXX fix      applied" : "GLIBCXX fix      not needed"));
        });
    }

    [Test]
    public void Fix_is_announced_once_when_verbose()
    {
        if (!HostLoader.HostLacksGlibcxx3432())
            Assert.Ignore("This host needs no GLIBCXX fix.");
        var result = TestSupport.RunDotnet(Probe, [], new Dictionary<string, string?> { ["TORCHBINDING_VERBOSE"] = "1" });
        Assert.That(result.ExitCode, Is.Zero, result.ToString());
        Assert.That(result.Error.Split('\n').Count(l => l.Contains("marked weak", StringComparison.Ordinal)), Is.EqualTo(1), result.ToString());
    }

    [Test]
    public void Fix_turned_off_fails_with_a_message_naming_the_missing_version()
    {
        if (!HostLoader.HostLacksGlibcxx3432())
            Assert.Ignore("This host needs no GLIBCXX fix, so turning it off changes nothing.");
        var result = TestSupport.RunDotnet(Probe, [], new Dictionary<string, string?> { ["TORCHBINDING_COMPAT_FIX"] = "0" });
        Assert.Multiple(() =>
        {
            Assert.That(result.ExitCode, Is.EqualTo(3), result.ToString());
            Assert.That(result.Error, Does.Contain("GLIBCXX_3.4.32").And.Contain("turned off"));
        });
    }

    [Test]
    public void External_libtorch_folder_that_does_not_exist_is_named_in_the_error()
    {
        var result = TestSupport.RunDotnet(Probe, [], new Dictionary<string, string?> { ["TORCHBINDING_LIBTORCH"] = "/nonexistent/libtorch/lib" });
        Assert.Multiple(() =>
        {
            Assert.That(result.ExitCode, Is.EqualTo(3), result.ToString());
            Assert.That(result.Error, Does.Contain("/nonexistent/libtorch/lib").And.Contain("is not a folder"));
        });
    }

    [Test]
    public void External_libtorch_beside_libtorch_cpu_natives_in_the_app_is_refused_before_loading()
    {
        using var folder = TestSupport.TemporaryFolder();
        File.WriteAllText(Path.Combine(folder.Path, "libtorch_cpu.so"), "never loaded: refused before any load");
        File.WriteAllText(Path.Combine(folder.Path, "version.py"), "__version__ = '2.10.0+cu128'\n");
        var result = TestSupport.RunDotnet(Probe, [], new Dictionary<string, string?> { ["TORCHBINDING_LIBTORCH"] = folder.Path });
        Assert.Multiple(() =>
        {
            Assert.That(result.ExitCode, Is.EqualTo(3), result.ToString());
            Assert.That(result.Error, Does.Contain("carries libtorch-cpu natives").And.Contain("TorchBindingLibTorch=external"));
        });
    }

    [Test]
    public void External_libtorch_of_an_unsupported_version_is_refused()
    {
        using var folder = TestSupport.TemporaryFolder();
        var lib = Directory.CreateDirectory(Path.Combine(folder.Path, "torch", "lib")).FullName;
        File.WriteAllText(Path.Combine(lib, "libtorch_cpu.so"), "never loaded");
        File.WriteAllText(Path.Combine(folder.Path, "torch", "version.py"), "__version__ = '2.9.1+cu126'\n");
        var result = TestSupport.RunDotnet(Probe, [], new Dictionary<string, string?> { ["TORCHBINDING_LIBTORCH"] = lib });
        Assert.Multiple(() =>
        {
            Assert.That(result.ExitCode, Is.EqualTo(3), result.ToString());
            Assert.That(result.Error, Does.Contain("2.9.1+cu126").And.Contain("TORCHBINDING_LIBTORCH_VERSION_CHECK=warn"));
        });
    }

    [Test]
    public void External_libtorch_in_the_apps_own_folder_loads_by_path()
    {
        var natives = Path.Combine(Path.GetDirectoryName(Probe)!, "runtimes", "linux-x64", "native");
        var result = TestSupport.RunDotnet(Probe, [], new Dictionary<string, string?> { ["TORCHBINDING_LIBTORCH"] = natives });
        Assert.Multiple(() =>
        {
            Assert.That(result.ExitCode, Is.Zero, result.ToString());
            Assert.That(result.Output, Does.Contain("e=6 de/da=2 de/db=5"));
            Assert.That(result.Output, Does.Contain($"from TORCHBINDING_LIBTORCH={natives}"));
            Assert.That(result.Error, Does.Contain("could not tell the version"), "a folder without version.py is accepted with a warning");
        });
    }

    [Test]
    public void App_without_libtorch_natives_runs_on_a_libtorch_elsewhere()
    {
        // The layout a CUDA build has (-p:TorchBindingLibTorch=external): the app carries TorchSharp's
        // libLibTorchSharp but no libtorch; libtorch comes from TORCHBINDING_LIBTORCH. Here that is the
        // CPU libtorch of the test host, in another folder, so the mechanism is checked without a GPU.
        using var copy = TestSupport.TemporaryFolder();
        var source = Path.GetDirectoryName(Probe)!;
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var name = Path.GetFileName(file);
            if (file.Contains($"{Path.DirectorySeparatorChar}native{Path.DirectorySeparatorChar}", StringComparison.Ordinal) && name != "libLibTorchSharp.so")
                continue; // leave the libtorch natives behind
            var target = Path.Combine(copy.Path, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
        var app = Path.Combine(copy.Path, Path.GetFileName(Probe));
        var withoutLibTorch = TestSupport.RunDotnet(app, []);
        var external = TestSupport.RunDotnet(app, [], new Dictionary<string, string?> { ["TORCHBINDING_LIBTORCH"] = TestSupport.NativesFolder });
        Assert.Multiple(() =>
        {
            Assert.That(withoutLibTorch.ExitCode, Is.EqualTo(3), withoutLibTorch.ToString());
            Assert.That(withoutLibTorch.Error, Does.Contain("No libtorch natives were found").And.Contain("libtorch-cpu").And.Contain("TORCHBINDING_LIBTORCH"));
            Assert.That(external.ExitCode, Is.Zero, external.ToString());
            Assert.That(external.Output, Does.Contain("e=6 de/da=2 de/db=5"));
            Assert.That(external.Output, Does.Contain($"natives folder   {TestSupport.NativesFolder}"));
        });
    }
}
