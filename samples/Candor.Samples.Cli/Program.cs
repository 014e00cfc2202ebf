using Candor;
using Candor.Samples.Cli;

// Everything about telemetry is in PackTool.Create: one UseCandor call on the root command.
var pack = PackTool.Create(new CandorOptions { Assembly = typeof(PackTool).Assembly });
return await pack.InvokeAsync(args);
