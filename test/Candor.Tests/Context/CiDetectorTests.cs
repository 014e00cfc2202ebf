using Candor.Context;
using Candor.Tests.Support;

namespace Candor.Tests.Context;

public class CiDetectorTests
{
    [Theory]
    [InlineData("CI", "true", "generic")]
    [InlineData("TF_BUILD", "True", "azure-pipelines")]
    [InlineData("SYSTEM_TEAMFOUNDATIONCOLLECTIONURI", "https://dev.azure.com/org/", "azure-pipelines")]
    [InlineData("GITHUB_ACTIONS", "true", "github-actions")]
    [InlineData("GITLAB_CI", "true", "gitlab")]
    [InlineData("CIRCLECI", "true", "circleci")]
    [InlineData("TRAVIS", "true", "travis")]
    [InlineData("JENKINS_URL", "https://ci.example.org/", "jenkins")]
    [InlineData("CODEBUILD_BUILD_ID", "project:1234", "aws-codebuild")]
    [InlineData("BUILDKITE", "true", "buildkite")]
    [InlineData("TEAMCITY_VERSION", "2024.1", "teamcity")]
    [InlineData("APPVEYOR", "True", "appveyor")]
    [InlineData("BITBUCKET_BUILD_NUMBER", "42", "bitbucket")]
    public void Detect_VendorVariable_NamesTheVendor(string variable, string value, string vendor)
    {
        Assert.Equal(vendor, CiDetector.Detect(new FakeEnvironment().With(variable, value)));
    }

    [Fact]
    public void Detect_BuildIdWithBuildUrl_IsJenkins()
    {
        var environment = new FakeEnvironment().With("BUILD_ID", "17").With("BUILD_URL", "https://ci.example.org/job/17/");

        Assert.Equal("jenkins", CiDetector.Detect(environment));
    }

    [Theory]
    [InlineData("BUILD_ID")]
    [InlineData("BUILD_URL")]
    public void Detect_OnlyOneOfTheJenkinsPair_IsNotCi(string variable)
    {
        Assert.Null(CiDetector.Detect(new FakeEnvironment().With(variable, "17")));
    }

    [Theory]
    [InlineData("false")]
    [InlineData("0")]
    [InlineData("no")]
    [InlineData("off")]
    [InlineData("")]
    [InlineData("FALSE")]
    public void Detect_MarkerSetToAFalseValue_IsNotCi(string value)
    {
        Assert.Null(CiDetector.Detect(new FakeEnvironment().With("CI", value).With("GITHUB_ACTIONS", value)));
    }

    [Fact]
    public void Detect_NoMarker_IsNotCi()
    {
        Assert.Null(CiDetector.Detect(new FakeEnvironment()));
    }

    [Fact]
    public void Detect_VendorAndGenericCi_NamesTheVendor()
    {
        Assert.Equal("gitlab", CiDetector.Detect(new FakeEnvironment().With("CI", "true").With("GITLAB_CI", "true")));
    }
}
