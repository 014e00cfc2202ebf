namespace Candor.Diagnostics;

/// <summary>
/// An opt-in log of Candor's own problems (as Serilog's <c>SelfLog</c>): a failed write, a dropped event,
/// an unreachable collector. Off by default; the SDK never writes to the tool's console on its own.
/// Setting <c>CANDOR_SELFLOG=stderr</c> enables it too.
/// </summary>
public static class SelfLog
{
    private static Action<string>? s_output = EnvironmentOutput();

    /// <summary>Sends Candor's diagnostic messages to <paramref name="output"/>. The action must not throw.</summary>
    public static void Enable(Action<string> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        s_output = output;
    }

    /// <summary>Sends Candor's diagnostic messages to <paramref name="writer"/>, synchronised.</summary>
    public static void Enable(TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        var synchronised = TextWriter.Synchronized(writer);
        s_output = synchronised.WriteLine;
    }

    /// <summary>Stops the self-log.</summary>
    public static void Disable() => s_output = null;

    internal static void Write(string message)
    {
        var output = s_output;
        if (output is null)
        {
            return;
        }

        try
        {
            output(DateTime.UtcNow.ToString("o", System.Globalization.CultureInfo.InvariantCulture) + " candor: " + message);
        }
        catch (Exception)
        {
            // The self-log is the last resort: a failing output has nowhere left to report to.
        }
    }

    internal static void Failure(string operation, Exception exception)
    {
        CandorTrace.Source?.Failure(operation, exception.GetType().FullName + ": " + exception.Message);
        Write($"failed while {operation}: {exception.GetType().FullName}: {exception.Message}");
    }

    private static Action<string>? EnvironmentOutput() =>
        string.Equals(Environment.GetEnvironmentVariable("CANDOR_SELFLOG"), "stderr", StringComparison.OrdinalIgnoreCase)
            ? TextWriter.Synchronized(Console.Error).WriteLine
            : null;
}
