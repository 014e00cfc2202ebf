using Candor.Consent;

// Usage: Candor.Tests.SettingsWriter <product-prefix> <count>
// Sets a level for <count> products named <prefix>-<i> in the home named by CANDOR_HOME, one change at a
// time, and flips the machine-wide level between changes so every write also touches a shared member.
var prefix = args[0];
var count = int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture);
var settings = CandorSettings.Open();
for (var i = 0; i < count; i++)
{
    settings.SetLevel(i % 2 == 0 ? TelemetryLevel.Local : TelemetryLevel.All, $"{prefix}-{i}");
    settings.SetLevel(i % 2 == 0 ? TelemetryLevel.Errors : TelemetryLevel.All);
}

return 0;
