using Spectre.Console;

namespace TorchBinding.Cli;

/// <summary>The console the commands write tables to: Spectre.Console, wide and plain when the output is redirected (logs, tests).</summary>
static class Output
{
    public static IAnsiConsole Console { get; } = Create();

    static IAnsiConsole Create()
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(System.Console.Out) });
        if (System.Console.IsOutputRedirected)
        {
            console.Profile.Width = 200;
            console.Profile.Capabilities.Ansi = false;
            console.Profile.Capabilities.ColorSystem = ColorSystem.NoColors;
        }
        return console;
    }

    /// <summary>A table with the given column headers, rounded borders on a terminal, ASCII when redirected.</summary>
    public static Table Table(params string[] columns)
    {
        var table = new Table { Border = System.Console.IsOutputRedirected ? TableBorder.Ascii : TableBorder.Rounded };
        foreach (var column in columns)
            table.AddColumn(new TableColumn(Markup.Escape(column)));
        return table;
    }

    /// <summary>Adds a row of plain (escaped) text cells.</summary>
    public static Table Row(this Table table, params string[] cells)
    {
        table.AddRow(cells.Select(c => (Spectre.Console.Rendering.IRenderable)new Text(c)).ToArray());
        return table;
    }
}
