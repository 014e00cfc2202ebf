using System.CommandLine;
using Candor;
using Candor.CommandLine;
using TinyChecks;

// tinychecks: TinyChecks' command line, as `deepchecks telemetry disable`. Its only commands are Candor's
// `telemetry` group (status, enable, disable, show, events, reset-id): the decision it saves is the product's in
// the user's Candor home, which every environment of the user on this machine reads. It tracks nothing itself.
var root = new RootCommand("tinychecks: validates datasets (a Candor sample).");
var candor = root.UseCandor(
    new CandorOptions { Assembly = typeof(Dataset).Assembly },
    new CandorCommandLineOptions { TrackInvocations = false });
return await candor.InvokeAsync(args);
