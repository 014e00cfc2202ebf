using System.CommandLine;
using Candor.Catalog;
using Candor.CommandLine.Commands;
using Candor.CommandLine.Inspection;
using Candor.CommandLine.Output;
using Candor.Consent;
using Candor.Delivery;

namespace Candor.Tool.Commands;

/// <summary>
/// <c>candor send [--product P]</c>: uploads the events waiting on this machine now, instead of with a later run of
/// their tool (a run's events wait when its uploader could not reach the collector, or could not start). It sends to the
/// collector and with the key the tool's official build recorded, only what the user's consent allows here and now,
/// and it honours a collector's earlier request to wait.
/// </summary>
internal static class SendCommand
{
    // Longer than a tool's exit budget: here someone asked for the upload and waits for its answer.
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(30);

    public static Command Create(CandorMachine machine, Func<HttpMessageHandler>? http)
    {
        var json = SharedOptions.Json();
        var product = ProductOption.Create(machine, "Send this product's waiting events only.");
        var command = new Command("send", "Send the events waiting on this machine now, instead of with a later run of their tool.") { product, json };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var output = CommandOutput.For(parseResult, parseResult.GetValue(json));
            // One status per product: it lists the spool and resolves consent, both of which the send needs.
            var waiting = ProductOption.Selected(machine, parseResult.GetValue(product))
                .Select(p => (Record: machine.Record(p), Product: p))
                .Select(p => (p.Record, Status: machine.Status(p.Product, p.Record?.Manifest)))
                .Where(p => p.Status.Pending > 0)
                .ToList();
            var outcomes = new List<Outcome>();
            foreach (var (record, status) in waiting)
            {
                outcomes.Add(await SendAsync(machine, record, status, http, cancellationToken).ConfigureAwait(false));
            }

            if (output.Json)
            {
                output.WriteJson(writer =>
                {
                    writer.WriteStartArray();
                    foreach (var outcome in outcomes)
                    {
                        writer.WriteStartObject();
                        writer.WriteString("product", outcome.Product);
                        writer.WriteNumber("sent", outcome.Sent);
                        writer.WriteNumber("waiting", outcome.Left);
                        writer.WriteString("message", outcome.Message);
                        writer.WriteEndObject();
                    }

                    writer.WriteEndArray();
                });
            }
            else
            {
                outcomes.ForEach(o => output.Line(o.Message));
                if (outcomes.Count == 0)
                {
                    output.Line("No event is waiting to be sent.");
                }
            }

            return outcomes.Any(o => o.Left > 0) ? ExitCodes.Failed : ExitCodes.Success;
        });
        return command;
    }

    private static async Task<Outcome> SendAsync(CandorMachine machine, ProductRecord? record, ProductStatus status, Func<HttpMessageHandler>? http, CancellationToken cancellationToken)
    {
        var (product, count) = (status.Product, status.Pending);
        if (record?.Endpoint is null || record.IngestionKey is null)
        {
            return new(product, 0, count, $"{product}: {count} event(s) wait, but no official build of {product} recorded where to send them; nothing sent.");
        }

        var level = status.Decision?.Level;
        if (level is null or TelemetryLevel.Off or TelemetryLevel.Local)
        {
            return new(product, 0, count, $"{product}: telemetry is {(level is null ? "undecided" : TelemetryLevelText.ToText(level.Value))} here ('candor status' says why); nothing sent.");
        }

        using var delivery = new EventDelivery(machine.Home!, product, record.Endpoint, record.IngestionKey, files: machine.Files, time: machine.Time, handler: http?.Invoke());
        using var budget = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        budget.CancelAfter(Budget);
        var result = await delivery.UploadNowAsync(budget.Token).ConfigureAwait(false);

        // What the collector acknowledged or refused, not what left the spool: the spool's bounds may drop events too.
        var sent = result.Acknowledged;
        var left = machine.Pending(product).Count;
        if (left == 0 && result.Status is UploadStatus.Delivered or UploadStatus.NothingToSend)
        {
            return new(product, sent, 0, $"{product}: sent {sent} event(s) to {record.Endpoint}.{Refused(result)}");
        }

        var why = result.Status switch
        {
            UploadStatus.Cancelled => $"the collector did not answer within {Budget.TotalSeconds:0} s",
            UploadStatus.Busy when machine.UploadLockProblem() is null => "another upload of this machine is under way and will send them",
            _ => WhyLeft(machine, product),
        };
        return new(product, sent, left, $"{product}: sent {sent} event(s); {left} still wait ({why}). A later run of {product}, or 'candor send', tries again.{Refused(result)}");
    }

    private static string Refused(UploadResult result) =>
        result.Rejected == 0 ? "" : $" The collector refused {result.Rejected} as invalid ('candor events' lists them).";

    // A problem with this machine's files is said as one: blaming the collector would send the user the wrong way.
    private static string WhyLeft(CandorMachine machine, string product)
    {
        if (machine.UploadLockProblem() is { } local)
        {
            return local;
        }

        var state = new DeliveryStateStore(machine.Home!.DeliveryState(product), machine.Files).Read().Value;
        if (state?.NextAttempt is { } next && next > machine.Time.GetUtcNow())
        {
            return state.LastFailure is { } failure
                ? $"the last upload failed ({failure}); the next waits until {Reports.Time(next)}"
                : $"the collector asked to wait until {Reports.Time(next)}";
        }

        return "the collector did not take them";
    }

    private sealed record Outcome(string Product, int Sent, int Left, string Message);
}
