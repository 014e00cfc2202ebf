using System.CommandLine;
using ModelToolkit;

// opt_in_out: one switch for the telemetry of every Model Toolkit tool, as OpenVINO's `opt_in_out --opt_in` and
// `opt_in_out --opt_out`. It changes the decision and collects nothing about itself: no "opted out" event.
var optIn = new Option<bool>("--opt_in") { Description = "Turn telemetry on for every Model Toolkit tool." };
var optOut = new Option<bool>("--opt_out") { Description = "Turn telemetry off for every Model Toolkit tool, and erase its data on this machine." };
var root = new RootCommand("opt_in_out: changes the Model Toolkit's telemetry decision.") { optIn, optOut };
root.Validators.Add(result =>
{
    if (result.GetValue(optIn) == result.GetValue(optOut))
    {
        result.AddError("Give exactly one of --opt_in and --opt_out.");
    }
});
root.SetAction(parseResult => ToolkitTelemetry.ChangeConsent(
    parseResult.GetValue(optIn), parseResult.InvocationConfiguration.Output, parseResult.InvocationConfiguration.Error));

return await root.Parse(args).InvokeAsync();
