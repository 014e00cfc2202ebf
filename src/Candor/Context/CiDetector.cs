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
    private static readonly (string Vendor, string[] Variables)[] Markers =
    [
        ("github-actions", ["GITHUB_ACTIONS"]),
        ("azure-pipelines", ["TF_BUILD"]),
        ("azure-pipelines", ["SYSTEM_TEAMFOUNDATIONCOLLECTIONURI"]),
        ("gitlab", ["GITLAB_CI"]),
        ("circleci", ["CIRCLECI"]),
        ("travis", ["TRAVIS"]),
        ("jenkins", ["JENKINS_URL"]),
        // Jenkins (and Hudson) set the pair even where JENKINS_URL is not exported; either alone is too common.
        ("jenkins", ["BUILD_ID", "BUILD_URL"]),
        ("aws-codebuild", ["CODEBUILD_BUILD_ID"]),
        ("buildkite", ["BUILDKITE"]),
        ("teamcity", ["TEAMCITY_VERSION"]),
        ("appveyor", ["APPVEYOR"]),
        ("bitbucket", ["BITBUCKET_BUILD_NUMBER"]),
        ("generic", ["CI"]),
    ];

    /// <summary>The CI vendor (<c>github-actions</c>, <c>azure-pipelines</c>, <c>gitlab</c>, <c>jenkins</c>, ..., or <c>generic</c>), or null when this is not a CI run.</summary>
    public static string? Detect(IEnvironment environment)
    {
        foreach (var (vendor, variables) in Markers)
        {
            if (AllSet(environment, variables))
            {
                return vendor;
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
}
