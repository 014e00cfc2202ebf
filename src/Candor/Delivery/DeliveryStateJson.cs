using System.Text.Json;
using Candor.Json;

namespace Candor.Delivery;

/// <summary>
/// Reads and writes <c>delivery.json</c> (<see cref="DeliveryState"/>) with the JSON reader and writer directly:
/// a run whose spool is due reads it to know whether it may upload (see <see cref="JsonValues"/> for why not the
/// serializer). Compact, camel case, without null members; unknown members are ignored.
/// </summary>
internal static class DeliveryStateJson
{
    /// <summary>The state in <paramref name="json"/>, or null when the file holds JSON <c>null</c>.</summary>
    /// <exception cref="JsonException">The file is not valid JSON or a member has the wrong type.</exception>
    public static DeliveryState? Read(ReadOnlySpan<byte> json)
    {
        var reader = new JsonScanner(json);
        if (!JsonFields.StartRoot(ref reader))
        {
            return null;
        }

        var state = new DeliveryState();
        while (JsonFields.NextProperty(ref reader))
        {
            if (JsonFields.IsMember(ref reader, "nextAttempt"u8))
            {
                state.NextAttempt = JsonFields.NullableDateTimeOffset(ref reader);
            }
            else if (JsonFields.IsMember(ref reader, "failures"u8))
            {
                state.Failures = JsonFields.Int32(ref reader);
            }
            else if (JsonFields.IsMember(ref reader, "lastFailure"u8))
            {
                state.LastFailure = JsonFields.NullableString(ref reader);
            }
            else if (JsonFields.IsMember(ref reader, "lastSuccess"u8))
            {
                state.LastSuccess = JsonFields.NullableDateTimeOffset(ref reader);
            }
            else
            {
                reader.Skip();
            }
        }

        JsonFields.EndRoot(ref reader);
        return state;
    }

    /// <summary>The state as the file holds it.</summary>
    public static byte[] Write(DeliveryState state) => JsonValues.Write(JsonValues.Compact, writer =>
    {
        writer.WriteStartObject();
        JsonValues.WriteIfNotNull(writer, "nextAttempt"u8, state.NextAttempt);
        writer.WriteNumber("failures"u8, state.Failures);
        JsonValues.WriteIfNotNull(writer, "lastFailure"u8, state.LastFailure);
        JsonValues.WriteIfNotNull(writer, "lastSuccess"u8, state.LastSuccess);
        writer.WriteEndObject();
    });
}
