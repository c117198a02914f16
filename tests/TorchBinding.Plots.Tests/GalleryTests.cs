namespace TorchBinding.Plots.Tests;

public class GalleryTests
{
    /// <summary>The repository root, found from the test assembly's folder.</summary>
    static string RepositoryRoot()
    {
        var folder = new DirectoryInfo(AppContext.BaseDirectory);
        while (folder is not null && !File.Exists(Path.Combine(folder.FullName, "TorchBinding.sln")))
            folder = folder.Parent;
        return folder?.FullName ?? throw new InvalidOperationException("The repository root was not found above " + AppContext.BaseDirectory);
    }

    [TestCaseSource(typeof(Gallery), nameof(Gallery.All))]
    public void Gallery_figure_renders_and_stays_small((string Name, Func<Figure> Create) entry)
    {
        var figure = entry.Create();
        var png = figure.ToPng();
        using var bitmap = Png.AssertValid(png, figure.Width, figure.Height);
        Assert.That(png.Length, Is.LessThan(200 * 1024), "gallery PNGs stay under 200 KB");
        if (Environment.GetEnvironmentVariable("TORCHBINDING_WRITE_GALLERY") == "1")
            figure.Save(Path.Combine(RepositoryRoot(), "docs", "gallery", entry.Name + ".png"));
    }
}
