using Candor;
using ModelBuilder;

// Everything about telemetry is in ModelBuilderTool.Create: one UseCandor call on the root command.
var mlb = ModelBuilderTool.Create(new CandorOptions { Assembly = typeof(ModelBuilderTool).Assembly });
return await mlb.InvokeAsync(args);
