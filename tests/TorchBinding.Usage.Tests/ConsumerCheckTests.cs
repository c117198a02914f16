namespace TorchBinding.Usage.Tests;

/// <summary>The packages as a user consumes them: scripts/consumer-check.sh packs them into a temporary feed and builds fresh apps outside the repository.</summary>
public class ConsumerCheckTests
{
    [Test]
    public void Fresh_apps_consume_the_packages_from_a_local_feed()
    {
        // The libraries are already built (this project's build builds them, through the CLI and the analysis package
        // it references), so the script packs that build instead of building Release again.
        var configuration = typeof(ConsumerCheckTests).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyMetadataAttribute), false)
            .Cast<System.Reflection.AssemblyMetadataAttribute>().Single(a => a.Key == "BuildConfiguration").Value!;
        var result = TestSupport.Run("bash", [Path.Combine(TestSupport.RepositoryRoot, "scripts", "consumer-check.sh"), "-c", configuration, "--no-build"],
            new Dictionary<string, string?> { ["TORCHBINDING_THREADS"] = "1" }, TimeSpan.FromMinutes(6));
        Assert.That(result.ExitCode, Is.Zero, result.ToString());
        Assert.That(result.Output.TrimEnd().Split('\n')[^1], Does.StartWith("consumer-check: 4 consumers passed"));
        Assert.That(result.Output, Does.Contain("torch.ones(2, 3).sum() = 6").And.Contain("course CNN: 28938 parameters").And.Contain("the weight rows: True"));
    }
}
