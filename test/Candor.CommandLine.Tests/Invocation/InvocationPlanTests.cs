using Candor.CommandLine.Invocation;
using Candor.Manifest;

namespace Candor.CommandLine.Tests.Invocation;

public sealed class InvocationPlanTests
{
    private enum Mode
    {
        Fast,
    }

    [Theory]
    [InlineData(FieldKind.Enum, "Release", "Release")]
    [InlineData(FieldKind.Enum, true, "true")]
    [InlineData(FieldKind.Enum, 3, "3")]
    [InlineData(FieldKind.Bool, true, true)]
    [InlineData(FieldKind.Number, 4, 4.0)]
    [InlineData(FieldKind.Bucket, 2.5f, 2.5)]
    [InlineData(FieldKind.Number, "4", null)]
    [InlineData(FieldKind.Bool, "true", null)]
    [InlineData(FieldKind.Enum, null, null)]
    public void Convert_GivesTheValueInTheFieldsForm_OrNothing(FieldKind kind, object? value, object? expected)
    {
        Assert.Equal(expected, InvocationPlan.Convert(value, kind));
    }

    [Fact]
    public void Convert_EnumMemberAndDuration()
    {
        Assert.Equal("Fast", InvocationPlan.Convert(Mode.Fast, FieldKind.Enum));
        Assert.Equal(TimeSpan.FromSeconds(3), InvocationPlan.Convert(TimeSpan.FromSeconds(3), FieldKind.Duration));
        Assert.Null(InvocationPlan.Convert(new FileInfo("/tmp/x"), FieldKind.Enum));
    }

    [Theory]
    [InlineData("--jobs", "jobs")]
    [InlineData("-j", "j")]
    [InlineData("jobs", "jobs")]
    public void Bare_DropsTheLeadingDashes(string option, string bare)
    {
        Assert.Equal(bare, InvocationPlan.Bare(option));
    }
}
