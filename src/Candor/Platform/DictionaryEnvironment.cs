namespace Candor.Platform;

/// <summary>Environment variables from a dictionary, for a tool's own tests: no process variable, no config folder.</summary>
internal sealed class DictionaryEnvironment(IReadOnlyDictionary<string, string> variables) : IEnvironment
{
    public string? Get(string name) => variables.TryGetValue(name, out var value) ? value : null;

    public string? ConfigFolder() => null;
}
