using System.Runtime.CompilerServices;
using Candor.Privacy;

namespace Candor.Tests.Privacy;

public class StackSignatureTests
{
    private static readonly string[] Declared = ["Candor.Tests.Privacy"];

    private static bool IsOwn(System.Reflection.Assembly assembly) => assembly == typeof(StackSignatureTests).Assembly;

    [Fact]
    public void From_Exception_KeepsTypesAndOwnFramesButNoMessageOrPath()
    {
        var exception = Capture(() => Installer.Run("/home/alice/secret-project/vcpkg.json"));

        var signature = StackSignature.From(exception, IsOwn, Declared);

        Assert.StartsWith("System.InvalidOperationException <- System.IO.FileNotFoundException at ", signature);
        Assert.Contains("Candor.Tests.Privacy.StackSignatureTests.Installer.Open", signature);
        Assert.Contains("Candor.Tests.Privacy.StackSignatureTests.Installer.Run", signature);
        Assert.DoesNotContain("alice", signature);
        Assert.DoesNotContain("/home", signature);
        Assert.DoesNotContain(".cs", signature);
        Assert.DoesNotContain("line", signature);
    }

    [Fact]
    public void From_ExternalFrames_AreCollapsed()
    {
        var exception = Capture(() => _ = int.Parse("not a number", System.Globalization.CultureInfo.InvariantCulture));

        var signature = StackSignature.From(exception, IsOwn, Declared);

        Assert.StartsWith("System.FormatException at ", signature);
        Assert.DoesNotContain("System.Number", signature);
        Assert.DoesNotContain("not a number", signature);
    }

    [Fact]
    public async Task From_AsyncMethod_NamesTheMethodNotTheStateMachine()
    {
        Exception? caught = null;
        try
        {
            await Installer.RunAsync();
        }
        catch (Exception ex)
        {
            caught = ex;
        }

        var signature = StackSignature.From(caught!, IsOwn, Declared);

        Assert.Contains("Installer.RunAsync", signature);
        Assert.DoesNotContain("d__", signature);
        Assert.DoesNotContain("MoveNext", signature);
    }

    [Fact]
    public void From_NothingOwn_KeepsOnlyTypes()
    {
        var exception = Capture(() => throw new ArgumentException("C:\\Users\\bob\\file.txt"));

        var signature = StackSignature.From(exception, _ => false, Declared);

        Assert.Equal("System.ArgumentException", signature);
    }

    [Fact]
    public void From_OwnFramesOutsideTheDeclaredNamespaces_AreExternal()
    {
        var exception = Capture(() => Installer.Run("/home/alice/x"));

        // Own code, but its namespace is not declared: the manifest, not the assembly, has the last word.
        var signature = StackSignature.From(exception, IsOwn, ["Candor.Tests.Tracking"]);

        Assert.Equal("System.InvalidOperationException <- System.IO.FileNotFoundException", signature);
    }

    [Fact]
    public void From_DeclaredNamespace_MatchesWholeSegmentsOnly()
    {
        var exception = Capture(() => Installer.Run("/home/alice/x"));

        Assert.DoesNotContain("Installer", StackSignature.From(exception, IsOwn, ["Candor.Tests.Priv"]), StringComparison.Ordinal);
        Assert.Contains(" at Candor.Tests.Privacy.StackSignatureTests.Installer.Open", StackSignature.From(exception, IsOwn, ["Candor"]), StringComparison.Ordinal);
    }

    [Fact]
    public void From_ThirdPartyExceptionType_IsExternal_FrameworkAndDeclaredTypesAreKept()
    {
        var exception = Capture(() => throw new InvalidOperationException("outer", new Vendor.Library.JsmithAtHomeException()));

        Assert.StartsWith("System.InvalidOperationException <- [external] at ", StackSignature.From(exception, IsOwn, Declared), StringComparison.Ordinal);
        Assert.StartsWith("System.InvalidOperationException <- Vendor.Library.JsmithAtHomeException at ", StackSignature.From(exception, IsOwn, [.. Declared, "Vendor"]), StringComparison.Ordinal);
    }

    private static Exception Capture(Action action)
    {
        try
        {
            action();
        }
        catch (Exception ex)
        {
            return ex;
        }

        throw new InvalidOperationException("expected an exception");
    }

    private static class Installer
    {
        [MethodImpl(MethodImplOptions.NoInlining)]
        public static void Run(string path)
        {
            try
            {
                Open(path);
            }
            catch (FileNotFoundException ex)
            {
                throw new InvalidOperationException("could not install from " + path, ex);
            }
        }

        public static async Task RunAsync()
        {
            await Task.Yield();
            throw new TimeoutException("/home/alice");
        }

        [MethodImpl(MethodImplOptions.NoInlining)]
        private static void Open(string path) => throw new FileNotFoundException("missing", path);
    }
}

