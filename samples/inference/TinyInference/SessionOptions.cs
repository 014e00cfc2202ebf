namespace TinyInference;

/// <summary>How a session runs.</summary>
public sealed class SessionOptions
{
    /// <summary>The execution provider: <c>cpu</c> (default), <c>cuda</c> or <c>directml</c>.</summary>
    public string ExecutionProvider { get; set; } = "cpu";

    /// <summary>The graph optimization level: <c>disabled</c>, <c>basic</c>, <c>extended</c> or <c>all</c> (default).</summary>
    public string Optimization { get; set; } = "all";
}
