namespace Candor.Manifest;

/// <summary>What a product does when no user choice, variable or flag has spoken.</summary>
public enum ConsentModel
{
    /// <summary>Collect after the first-run disclosure until the user opts out (the seeds' model).</summary>
    OptOut,

    /// <summary>Collect nothing until the user opts in.</summary>
    OptIn,
}
