using System.CommandLine;
using Candor.CommandLine.Commands;
using Candor.CommandLine.Inspection;
using Candor.CommandLine.Output;

namespace Candor.Tool.Commands;

/// <summary><c>candor events [--product P] [--since ...]</c>: what was sent (the transparency logs) and what is kept locally.</summary>
internal static class EventsCommand
{
    public static Command Create(CandorMachine machine)
    {
        var json = SharedOptions.Json();
        var since = SharedOptions.Since(machine.Time);
        var product = ProductOption.Create(machine, "List this product's events only.");
        var command = new Command("events", "List the events sent from this machine (and those kept locally), exactly as they were sent.") { product, since, json };
        command.SetAction(parseResult =>
        {
            var output = CommandOutput.For(parseResult, parseResult.GetValue(json));
            var from = parseResult.GetValue(since);
            var events = ProductOption.Selected(machine, parseResult.GetValue(product))
                .SelectMany(p => machine.Events(p, from).Select(e => (Product: p, Event: e)))
                .OrderBy(e => e.Event.At)
                .ToList();
            if (output.Json)
            {
                output.WriteJson(writer =>
                {
                    writer.WriteStartArray();
                    foreach (var (p, e) in events)
                    {
                        writer.WriteStartObject();
                        writer.WriteString("product", p);
                        writer.WriteString("at", e.At);
                        writer.WriteString("state", e.State == EventState.Sent ? "sent" : "local");
                        writer.WritePropertyName("event");
                        writer.WriteRawValue(e.Json);
                        writer.WriteEndObject();
                    }

                    writer.WriteEndArray();
                });
                return ExitCodes.Success;
            }

            foreach (var group in events.GroupBy(e => e.Product))
            {
                Reports.WriteEvents(output, group.Key, [.. group.Select(e => e.Event)]);
            }

            if (events.Count == 0)
            {
                output.Line(from is null ? "No event was sent from this machine." : "No event was sent from this machine in that time.");
            }

            return ExitCodes.Success;
        });
        return command;
    }
}
