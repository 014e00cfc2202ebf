using Candor.Platform;

namespace Candor.Tests.Support;

/// <summary>An environment of the test's own, so tests never change the process's variables.</summary>
internal sealed class FakeEnvironment : IEnvironment
{
    private readonly Dictionary<string, string> _variables = new(StringComparer.Ordinal);

    public FakeEnvironment(string? configFolder = null)
    {
        Config = configFolder;
    }

    public string? Config { get; set; }

    public FakeEnvironment With(string name, string? value)
    {
        if (value is null)
        {
            _variables.Remove(name);
        }
        else
        {
            _variables[name] = value;
        }

        return this;
    }

    public string? Get(string name) => _variables.GetValueOrDefault(name);

    public string? ConfigFolder() => Config;
}
