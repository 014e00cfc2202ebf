using Candor.Delivery;
using Candor.Protocol;

namespace Candor.Tests.Delivery;

public class DeliveryOptionsTests
{
    [Fact]
    public void Validated_Defaults_AreAccepted()
    {
        var options = new DeliveryOptions().Validated();

        Assert.Equal(TimeSpan.FromMilliseconds(200), options.ExitBudget);
    }

    [Fact]
    public void Validated_LaterChangesToTheOriginal_DoNotReachTheCopy()
    {
        var original = new DeliveryOptions();
        var copy = original.Validated();

        original.MaxSpoolFiles = 1;

        Assert.Equal(10_000, copy.MaxSpoolFiles);
    }

    [Fact]
    public void Validated_OfACheckedCopy_IsThatCopy_AndTheCheckedDefaultsAreTheDefaults()
    {
        var copy = new DeliveryOptions().Validated();

        Assert.Same(copy, copy.Validated());
        var defaults = DeliveryOptions.CheckedDefaults();
        Assert.Same(defaults, defaults.Validated());
        Assert.Equivalent(new DeliveryOptions(), defaults);
    }

    [Fact]
    public void Validated_OfACallersOptions_IsAlwaysANewCheckedCopy()
    {
        var original = new DeliveryOptions();
        var first = original.Validated();

        original.MaxSpoolFiles = 0;

        Assert.NotSame(original, first);
        Assert.Throws<ArgumentOutOfRangeException>(() => original.Validated());
    }

    public static TheoryData<Action<DeliveryOptions>, string> OutOfRange => new()
    {
        { o => o.ExitBudget = TimeSpan.FromMilliseconds(-1), nameof(DeliveryOptions.ExitBudget) },
        { o => o.RequestTimeout = TimeSpan.Zero, nameof(DeliveryOptions.RequestTimeout) },
        { o => o.MaxSpoolFiles = 0, nameof(DeliveryOptions.MaxSpoolFiles) },
        { o => o.MaxSpoolBytes = ProtocolConstants.MaxEventBytes - 1, nameof(DeliveryOptions.MaxSpoolBytes) },
        { o => o.MaxSpoolAge = TimeSpan.Zero, nameof(DeliveryOptions.MaxSpoolAge) },
        { o => o.MaxCorruptFiles = -1, nameof(DeliveryOptions.MaxCorruptFiles) },
        { o => o.MaxSentLogBytes = 1000, nameof(DeliveryOptions.MaxSentLogBytes) },
        { o => o.MaxRejectedLogBytes = 1000, nameof(DeliveryOptions.MaxRejectedLogBytes) },
        { o => o.RetryBaseDelay = TimeSpan.Zero, nameof(DeliveryOptions.RetryBaseDelay) },
        { o => o.RetryMaxDelay = TimeSpan.FromSeconds(1), nameof(DeliveryOptions.RetryMaxDelay) },
        { o => o.RefusedRetryDelay = TimeSpan.Zero, nameof(DeliveryOptions.RefusedRetryDelay) },
    };

    [Theory]
    [MemberData(nameof(OutOfRange))]
    public void Validated_OutOfRange_ThrowsNamingTheOption(Action<DeliveryOptions> change, string name)
    {
        var options = new DeliveryOptions();
        change(options);

        var e = Assert.Throws<ArgumentOutOfRangeException>(() => options.Validated());

        Assert.Equal(name, e.ParamName);
    }
}
