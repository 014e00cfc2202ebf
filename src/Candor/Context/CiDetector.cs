using Candor.Platform;

namespace Candor.Context;

/// <summary>
/// Recognises a continuous-integration run from the variables CI systems set, so CI runs are tagged (and
/// never shown the disclosure) instead of counting as users. Every marker follows <see cref="EnvironmentFlag"/>:
/// <c>false</c>, <c>0</c>, <c>no</c> and <c>off</c> mean unset, which lets a developer say <c>CI=false</c>.
/// </summary>
internal static class CiDetector
{
    // Specific vendors first: most of them also set CI=true, which alone only says "some CI".
    private static readonly Marker[] Markers =
    [
        new("github-actions", ["GITHUB_ACTIONS"]),
        new("azure-pipelines", ["TF_BUILD"]),
        new("azure-pipelines", ["SYSTEM_TEAMFOUNDATIONCOLLECTIONURI"]),
        new("gitlab", ["GITLAB_CI"]),
        new("circleci", ["CIRCLECI"]),
        new("travis", ["TRAVIS"]),
        new("jenkins", ["JENKINS_URL"]),
        // Jenkins (and Hudson) set the pair even where JENKINS_URL is not exported; either alone is too common.
        new("jenkins", ["BUILD_ID", "BUILD_URL"]),
        new("aws-codebuild", ["CODEBUILD_BUILD_ID"]),
        new("buildkite", ["BUILDKITE"]),
        new("teamcity", ["TEAMCITY_VERSION"]),
        new("appveyor", ["APPVEYOR"]),
        new("bitbucket", ["BITBUCKET_BUILD_NUMBER"]),
        new("generic", ["CI"]),
    ];

    /// <summary>The CI vendor (<c>github-actions</c>, <c>azure-pipelines</c>, <c>gitlab</c>, <c>jenkins</c>, ..., or <c>generic</c>), or null when this is not a CI run.</summary>
    public static string? Detect(IEnvironment environment)
    {
        foreach (var marker in Markers)
        {
            if (AllSet(environment, marker.Variables))
            {
                return marker.Vendor;
            }
        }

        return null;
    }

    // A loop rather than Enumerable.All: every start runs this, and LINQ is an assembly of its own to load.
    private static bool AllSet(IEnvironment environment, string[] variables)
    {
        foreach (var variable in variables)
        {
            if (!EnvironmentFlag.IsSet(environment.Get(variable)))
            {
                return false;
            }
        }

        return true;
    }

    // A class, not a tuple: every start reads the list, and a tuple of a string and an array is half a dozen generic
    // types for the runtime to load.
    private sealed class Marker(string vendor, string[] variables)
    {
        public string Vendor { get; } = vendor;

        public string[] Variables { get; } = variables;
    }
}
