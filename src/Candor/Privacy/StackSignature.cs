using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using System.Text;

namespace Candor.Privacy;

/// <summary>
/// Turns an exception into a signature that is safe to send: the exception type names (outer first, then
/// inner ones) and the methods of the tool's own assemblies, innermost frame first. Messages, file paths,
/// line numbers and frames of other code never appear: a message can hold a path or a user name, and a
/// stack trace of a build kept in a user's folder discloses that folder (kmpkg's page warns of exactly this).
/// </summary>
internal static class StackSignature
{
    public const int MaxLength = 1024;
    private const int MaxFrames = 16;
    private const int MaxInner = 4;
    private const string External = "[external]";

    public static string From(Exception exception, Func<Assembly, bool> isOwn)
    {
        var text = new StringBuilder(256);
        var current = exception;
        for (var depth = 0; current is not null && depth <= MaxInner; depth++, current = current.InnerException)
        {
            if (depth > 0)
            {
                text.Append(" <- ");
            }

            text.Append(current.GetType().FullName ?? current.GetType().Name);
        }

        // Innermost exception first: that is where the failure began; the outer ones add where it was wrapped.
        var chain = new List<Exception>();
        for (var e = exception; e is not null && chain.Count <= MaxInner; e = e.InnerException)
        {
            chain.Add(e);
        }

        var written = 0;
        var last = "";
        for (var i = chain.Count - 1; i >= 0 && written < MaxFrames; i--)
        {
            foreach (var frame in new StackTrace(chain[i], fNeedFileInfo: false).GetFrames())
            {
                if (written == MaxFrames)
                {
                    break;
                }

                var method = MethodOf(frame);
                var described = method is not null && isOwn(method.Module.Assembly) ? Describe(method) : External;
                if (described == last || (described == External && written == 0))
                {
                    continue;
                }

                text.Append(written == 0 ? " at " : " | ").Append(described);
                last = described;
                written++;
            }
        }

        return text.Length <= MaxLength ? text.ToString() : text.ToString(0, MaxLength);
    }

    // Without metadata (a trimmed or Native AOT app that removed it) the frame cannot be attributed to the
    // tool's own code, and an unattributed frame is treated as external: less detail, never more.
    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = "A missing method is handled as an external frame.")]
    private static MethodBase? MethodOf(StackFrame frame) => frame.GetMethod();

    private static string Describe(MethodBase method)
    {
        var type = method.DeclaringType;
        var name = method.Name;

        // Async and iterator methods run in a compiler-generated type "<Name>d__N" nested in the real one.
        if (type is not null && type.Name.StartsWith('<') && type.DeclaringType is not null)
        {
            var end = type.Name.IndexOf('>', StringComparison.Ordinal);
            name = end > 1 ? type.Name[1..end] : name;
            type = type.DeclaringType;
        }

        return type is null ? name : (type.FullName ?? type.Name).Replace('+', '.') + "." + name;
    }
}
