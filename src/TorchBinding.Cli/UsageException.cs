namespace TorchBinding.Cli;

/// <summary>A mistake in how the command was called (an unknown name, a missing option): printed, exit code 2.</summary>
sealed class UsageException(string message) : Exception(message);

/// <summary>The command's exit codes.</summary>
static class ExitCodes
{
    /// <summary>Done.</summary>
    public const int Success = 0;

    /// <summary>The command ran and failed (a file could not be read, training diverged, ...).</summary>
    public const int Failure = 1;

    /// <summary>The command was called wrongly: unknown option or name, a missing or malformed value.</summary>
    public const int Usage = 2;

    /// <summary>Interrupted with Ctrl+C (128 + SIGINT, as shells report it).</summary>
    public const int Interrupted = 130;
}

/// <summary>Runs a command's body: usage mistakes exit 2, failures exit 1, each with one line saying what went wrong.</summary>
static class Guard
{
    public static int Run(Func<int> body)
    {
        try
        {
            return body();
        }
        catch (UsageException e)
        {
            Console.Error.WriteLine($"torchbinding: {e.Message}");
            return ExitCodes.Usage;
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException or ArgumentException or InvalidOperationException or NotSupportedException)
        {
            Console.Error.WriteLine($"torchbinding: {Message(e)}");
            if (Environment.GetEnvironmentVariable("TORCHBINDING_VERBOSE") == "1")
                Console.Error.WriteLine(e);
            return ExitCodes.Failure;
        }
    }

    /// <summary>A catalog lookup whose unknown name (an <see cref="ArgumentException"/> listing the names) is a usage mistake.</summary>
    public static T Name<T>(Func<T> lookup)
    {
        try
        {
            return lookup();
        }
        catch (ArgumentException e)
        {
            throw new UsageException(Message(e));
        }
    }

    /// <summary>An exception's message without the " (Parameter 'name')" that ArgumentException appends.</summary>
    public static string Message(Exception e) =>
        e is ArgumentException { ParamName: { } name } ? e.Message.Replace($" (Parameter '{name}')", "", StringComparison.Ordinal) : e.Message;
}
