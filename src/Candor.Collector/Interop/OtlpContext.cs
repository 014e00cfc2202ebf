namespace Candor.Collector.Interop;

/// <summary>What both OTLP encodings share: the resource attributes that make the context, a log record's name, and times.</summary>
internal static class OtlpContext
{
    /// <summary>
    /// The context from the semantic conventions' resource attributes (service.version, os.type, os.version,
    /// host.arch, process.runtime.version), keeping every attribute for the install ID's, which the mapping names.
    /// </summary>
    public static ForeignContext From(List<KeyValuePair<string, ForeignValue>> attributes)
    {
        var context = ForeignContext.Empty with { Resource = attributes };
        return context with
        {
            Version = context.Attribute("service.version"),
            Os = context.Attribute("os.type"),
            OsVersion = context.Attribute("os.version"),
            Arch = context.Attribute("host.arch"),
            Runtime = context.Attribute("process.runtime.version"),
        };
    }

    /// <summary>
    /// A log record's event name: the record's event_name field, else its <c>event.name</c> attribute, else the
    /// <c>EventName</c> attribute OpenTelemetry .NET's exporter writes for an ILogger event ID's name.
    /// </summary>
    public static string? LogName(string? eventName, List<KeyValuePair<string, ForeignValue>> attributes) =>
        !string.IsNullOrEmpty(eventName) ? eventName
        : attributes.FirstOrDefault(a => a.Key is "event.name").Value.Text
          ?? attributes.FirstOrDefault(a => a.Key is "EventName").Value.Text;

    public static DateTimeOffset? Time(ulong unixNanoseconds) =>
        unixNanoseconds == 0 ? null : DateTimeOffset.UnixEpoch.AddTicks((long)(unixNanoseconds / 100));
}
