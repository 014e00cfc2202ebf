using Candor.Platform;

namespace Candor.CommandLine.Tests.Support;

/// <summary>An environment of the test's own, so in-process tests never change the process's variables.</summary>
internal sealed class FakeEnvironment : IEnvironment
{
    private readonly Dictionary<string, string> _variables = new(StringComparer.Ordinal);

    public FakeEnvironment With(string name, string value)
    {
        _variables[name] = value;
        return this;
    }

    public string? Get(string name) => _variables.GetValueOrDefault(name);

    public string? ConfigFolder() => null;
}
