using TorchBinding.Data;
using static TorchSharp.torch;

namespace TorchBinding.Tests.Data;

public class TablesAndNormalizationTests
{
    [Test]
    public void Iris_is_150_flowers_of_three_balanced_species()
    {
        using var iris = Iris.Load();
        Assert.Multiple(() =>
        {
            Assert.That(iris.Inputs.shape, Is.EqualTo(new long[] { 150, 4 }));
            Assert.That(iris.ClassNames, Is.EqualTo(new[] { "setosa", "versicolor", "virginica" }));
            Assert.That(iris.ClassLabels().GroupBy(l => l).Select(g => g.Count()), Is.EqualTo(new[] { 50, 50, 50 }));
            // First flower of Fisher's table: 5.1, 3.5, 1.4, 0.2.
            Assert.That(iris.Inputs[0].data<float>().ToArray(), Is.EqualTo(new[] { 5.1f, 3.5f, 1.4f, 0.2f }));
        });
    }

    [Test]
    public void Csv_table_reads_features_and_a_chosen_label_column_with_a_header()
    {
        var text = "label,a,b\n1,0.5,2\n0,1.5,-3\n";
        using var table = CsvTable.Read(new StringReader(text), "toy.csv", labelColumn: 0);
        Assert.Multiple(() =>
        {
            Assert.That(table.Inputs.data<float>().ToArray(), Is.EqualTo(new[] { 0.5f, 2f, 1.5f, -3f }));
            Assert.That(table.ClassLabels(), Is.EqualTo(new long[] { 1, 0 }));
        });
    }

    [TestCase("1,2,0\n3,4\n", "line 2: 2 cells where the rows before have 3 (ragged row)")]
    [TestCase("1,2,0\n3,x,1\n", "line 2, column 2: 'x' is not a number")]
    [TestCase("1,2,0.5\n", "label '0.5' is not a class index")]
    [TestCase("", "has no data rows")]
    [TestCase("1,NaN,0\n", "line 1, column 2: 'NaN' is not a finite number")]
    [TestCase("1,2,0\n-Infinity,2,1\n", "line 2, column 1: '-Infinity' is not a finite number")]
    [TestCase("1,1e400,0\n", "column 2: '1e400' is not a finite number")]
    [TestCase("1,1e39,0\n", "column 2: '1e39' is beyond the range of float32")]
    [TestCase("1,2,1e30\n", "line 1, column 3: label '1e30' is not a class index")]
    [TestCase("1,2,-1\n", "label '-1' is not a class index")]
    public void Bad_csv_is_named_with_file_line_and_column(string text, string problem)
    {
        Assert.That(() => CsvTable.Read(new StringReader(text), "bad.csv", hasHeader: false),
            Throws.TypeOf<InvalidDataException>().With.Message.Contain("bad.csv").And.Message.Contain(problem));
    }

    [Test]
    public void A_header_is_a_line_of_names_and_a_mistyped_first_row_is_an_error_not_a_header()
    {
        using var named = CsvTable.Read(new StringReader("width,height,class\n1,2,0\n"), "named.csv");
        Assert.Multiple(() =>
        {
            Assert.That(named.Count, Is.EqualTo(1), "the line of names was taken as the header");
            Assert.That(() => CsvTable.Read(new StringReader("1,2,O\n3,4,1\n"), "typo.csv"),
                Throws.TypeOf<InvalidDataException>().With.Message.Contain("typo.csv, line 1, column 3: 'O' is not a number"));
        });
    }

    [Test]
    public void Csv_file_that_does_not_exist_is_named()
    {
        Assert.That(() => CsvTable.Load("/nonexistent/table.csv"), Throws.TypeOf<FileNotFoundException>().With.Message.Contain("/nonexistent/table.csv"));
    }

    [Test]
    public void Normalisation_uses_the_training_split_only()
    {
        using var scope = NewDisposeScope();
        var generator = new TorchSharp.torch.Generator(5);
        using var train = new InMemoryDataset(randn([400, 3, 4, 4], generator: generator) * tensor(new[] { 2f, 0.5f, 3f }).reshape(1, 3, 1, 1) + tensor(new[] { 1f, -2f, 0f }).reshape(1, 3, 1, 1), zeros(400, dtype: int64), "train");
        using var test = new InMemoryDataset(randn([100, 3, 4, 4], generator: generator) + 5, zeros(100, dtype: int64), "test");
        var normalization = ChannelNormalization.Fit(train);
        using var trainNormalized = normalization.Apply(train);
        using var testNormalized = normalization.Apply(test);
        var trainMean = trainNormalized.Inputs.mean([0, 2, 3]);
        var trainStd = trainNormalized.Inputs.std([0, 2, 3], unbiased: false);
        Assert.Multiple(() =>
        {
            Assert.That(normalization.Mean, Has.Count.EqualTo(3));
            Assert.That(normalization.Mean[0], Is.EqualTo(1).Within(0.1));
            Assert.That(normalization.Std[2], Is.EqualTo(3).Within(0.2));
            Assert.That(trainMean.abs().max().item<float>(), Is.LessThan(1e-5f));
            Assert.That((trainStd - 1).abs().max().item<float>(), Is.LessThan(1e-4f));
            // The test split is shifted with the training statistics, not its own: its mean stays far from 0.
            Assert.That(testNormalized.Inputs.mean().item<float>(), Is.GreaterThan(1f));
        });
        Assert.That(() => normalization.Apply(zeros(2, 4)), Throws.ArgumentException.With.Message.Contain("3 channel(s)"));
    }
}
