using System.CommandLine;
using System.Text;
using Candor.CommandLine.Commands;
using Candor.CommandLine.Inspection;
using Candor.CommandLine.Output;

namespace Candor.Tool.Commands;

/// <summary><c>candor pending [--product P]</c>: what is spooled and not yet sent, byte for byte as it will be sent.</summary>
internal static class PendingCommand
{
    public static Command Create(CandorMachine machine)
    {
        var json = SharedOptions.Json();
        var product = ProductOption.Create(machine, "List this product's waiting events only.");
        var command = new Command("pending", "List the events waiting to be sent, exactly as they will be sent.") { product, json };
        command.SetAction(parseResult =>
        {
            var output = CommandOutput.For(parseResult, parseResult.GetValue(json));
            var pending = ProductOption.Selected(machine, parseResult.GetValue(product))
                .Select(p => (Product: p, Events: machine.Pending(p)))
                .Where(p => p.Events.Count > 0)
                .ToList();
            if (output.Json)
            {
                output.WriteJson(writer =>
                {
                    writer.WriteStartArray();
                    foreach (var (p, events) in pending)
                    {
                        foreach (var e in events)
                        {
                            writer.WriteStartObject();
                            writer.WriteString("product", p);
                            writer.WriteString("spooled", e.SpooledAt);
                            writer.WritePropertyName("event");
                            writer.WriteRawValue(Encoding.UTF8.GetString(e.Json));
                            writer.WriteEndObject();
                        }
                    }

                    writer.WriteEndArray();
                });
                return ExitCodes.Success;
            }

            foreach (var (p, events) in pending)
            {
                Reports.WritePending(output, p, events);
            }

            if (pending.Count == 0)
            {
                output.Line("No event is waiting to be sent.");
            }

            return ExitCodes.Success;
        });
        return command;
    }
}
