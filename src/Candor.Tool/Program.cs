using Candor.CommandLine.Inspection;
using Candor.Tool;

return await CandorTool.RunAsync(args, CandorMachine.ForProcess());
