using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace TorchBinding.Usage.Tests;

/// <summary>
/// A real single-node Slurm cluster for the tests, from Debian's slurm-wlm and munge: munged with a generated key, and
/// slurmctld and slurmd in the foreground, all with a minimal slurm.conf in a temporary folder (free ports, no
/// accounting). Commands find it through SLURM_CONF (<see cref="Environment"/>). Where the packages are missing, or
/// the tests do not run as root (slurmd runs jobs as their user), the test is ignored, saying why.
/// </summary>
sealed class SlurmCluster : IDisposable
{
    readonly TemporaryFolder _folder = TestSupport.TemporaryFolder();
    readonly List<Process> _daemons = [];

    /// <summary>The slurm.conf path.</summary>
    public string ConfigPath => Path.Combine(_folder.Path, "slurm.conf");

    /// <summary>What a command needs to reach this cluster.</summary>
    public IReadOnlyDictionary<string, string> Environment => new Dictionary<string, string> { ["SLURM_CONF"] = ConfigPath };

    SlurmCluster()
    {
    }

    /// <summary>Starts the cluster and waits for its node to be idle; ignores the test where that cannot be done here.</summary>
    public static SlurmCluster Start()
    {
        var missing = new[] { "/usr/sbin/munged", "/usr/sbin/slurmctld", "/usr/sbin/slurmd", "/usr/bin/sbatch", "/usr/bin/squeue", "/usr/bin/sinfo", "/usr/bin/scancel" }.Where(p => !File.Exists(p)).ToList();
        if (missing.Count > 0)
            Assert.Ignore($"Slurm is not installed here ({string.Join(", ", missing)} missing): apt-get install slurm-wlm munge (CI installs them).");
        if (System.Environment.UserName != "root")
            Assert.Ignore($"the test cluster's slurmd must run as root to start jobs; these tests run as '{System.Environment.UserName}'.");
        var cluster = new SlurmCluster();
        try
        {
            cluster.Launch();
            return cluster;
        }
        catch
        {
            cluster.Dispose();
            throw;
        }
    }

    void Launch()
    {
        if (!OperatingSystem.IsLinux())
            throw new PlatformNotSupportedException("The test cluster is Linux's (Debian's slurm-wlm).");
        var folder = _folder.Path;
        File.SetUnixFileMode(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var key = Path.Combine(folder, "munge.key");
        File.WriteAllBytes(key, System.Security.Cryptography.RandomNumberGenerator.GetBytes(128));
        File.SetUnixFileMode(key, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        Directory.CreateDirectory(Path.Combine(folder, "state"));
        Directory.CreateDirectory(Path.Combine(folder, "spool"));
        var socket = Path.Combine(folder, "munge.sock");
        Daemon("/usr/sbin/munged", "--foreground", "--force", $"--socket={socket}", $"--key-file={key}", $"--pid-file={folder}/munged.pid",
            $"--log-file={folder}/munged.log", $"--seed-file={folder}/munge.seed");
        WaitFor(() => File.Exists(socket), TimeSpan.FromSeconds(20), "munged's socket");

        var host = Dns.GetHostName().Split('.')[0];
        File.WriteAllLines(ConfigPath,
        [
            "ClusterName=torchbinding-test",
            $"SlurmctldHost={host}(127.0.0.1)",
            $"SlurmctldPort={FreePort()}",
            $"SlurmdPort={FreePort()}",
            "AuthType=auth/munge",
            "CredType=cred/munge",
            $"AuthInfo=socket={socket}",
            "SlurmUser=root",
            "SlurmdUser=root",
            $"StateSaveLocation={folder}/state",
            $"SlurmdSpoolDir={folder}/spool",
            $"SlurmctldPidFile={folder}/slurmctld.pid",
            $"SlurmdPidFile={folder}/slurmd.pid",
            $"SlurmctldLogFile={folder}/slurmctld.log",
            $"SlurmdLogFile={folder}/slurmd.log",
            "ProctrackType=proctrack/linuxproc",
            "TaskPlugin=task/none",
            "SelectType=select/cons_tres",
            "SelectTypeParameters=CR_CPU",
            "MpiDefault=none",
            "ReturnToService=2",
            "KillWait=30",
            "JobAcctGatherType=jobacct_gather/none",
            "AccountingStorageType=accounting_storage/none",
            "JobCompType=jobcomp/none",
            $"NodeName={host} NodeAddr=127.0.0.1 CPUs={System.Environment.ProcessorCount} State=UNKNOWN",
            $"PartitionName=test Nodes={host} Default=YES MaxTime=INFINITE State=UP",
        ]);
        Daemon("/usr/sbin/slurmctld", "-D", "-f", ConfigPath);
        Daemon("/usr/sbin/slurmd", "-D", "-f", ConfigPath);
        WaitFor(() => Command("/usr/bin/sinfo", "-h", "-o", "%t").Output.Trim() == "idle", TimeSpan.FromSeconds(60), "the node to be idle (sinfo)");
    }

    /// <summary>Runs a Slurm command against this cluster.</summary>
    public TestSupport.ProcessResult Command(string file, params string[] arguments)
    {
        var start = new ProcessStartInfo(file, arguments) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.Environment["SLURM_CONF"] = ConfigPath;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        return new TestSupport.ProcessResult(process.ExitCode, output.Result, error.Result);
    }

    /// <summary>Waits until the queue holds no task of the job (finished, failed or cancelled).</summary>
    public void WaitForJob(string job, TimeSpan timeout) =>
        WaitFor(() => Command("/usr/bin/squeue", "-h", "-r", "-j", job, "-o", "%i").Output.Trim().Length == 0, timeout, $"job {job} to leave the queue ({Logs()})");

    /// <summary>The daemons' logs' last lines, for a failure's message.</summary>
    public string Logs() => string.Join("\n", new[] { "slurmctld.log", "slurmd.log" }.Select(name => Path.Combine(_folder.Path, name))
        .Where(File.Exists).SelectMany(path => File.ReadLines(path).TakeLast(5).Select(line => $"{Path.GetFileName(path)}: {line}")));

    public static void WaitFor(Func<bool> condition, TimeSpan timeout, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > timeout)
                Assert.Fail($"timed out after {timeout.TotalSeconds:F0} s waiting for {what}");
            Thread.Sleep(250);
        }
    }

    void Daemon(string file, params string[] arguments)
    {
        var start = new ProcessStartInfo(file, arguments) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.Environment["SLURM_CONF"] = ConfigPath;
        var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {file}");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _daemons.Add(process);
    }

    static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        // slurmd first (it ends the jobs it runs), then the controller, then munged.
        foreach (var daemon in Enumerable.Reverse(_daemons))
        {
            try
            {
                if (!daemon.HasExited)
                {
                    daemon.Kill(entireProcessTree: true);
                    daemon.WaitForExit(10_000);
                }
            }
            catch (InvalidOperationException)
            {
            }
            daemon.Dispose();
        }
        _folder.Dispose();
    }
}
