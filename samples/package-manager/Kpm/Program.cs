using Candor;
using Kpm;

// Everything about telemetry is in KpmTool.Create: one UseCandor call on the root command.
var kpm = KpmTool.Create(new CandorOptions { Assembly = typeof(KpmTool).Assembly }, Environment.CurrentDirectory);
return await kpm.InvokeAsync(args);
