namespace Candor.Manifest;

/// <summary>
/// The part of a <see cref="TelemetryManifest"/> that only a run that records or registers reads: the events (and the
/// index by name the tracking path looks them up in), the mappings and the file's text.
/// </summary>
internal sealed class ManifestBody
{
    public ManifestBody(IReadOnlyList<EventDefinition> events, ManifestMappings? mappings, string json)
    {
        Events = events;
        Mappings = mappings;
        Json = json;

        // Dictionary rather than FrozenDictionary: freezing analyses the keys and loads System.Collections.Immutable,
        // milliseconds at every start-up, to save nanoseconds on a handful of lookups per run.
        EventsByName = new Dictionary<string, EventDefinition>(events.Count, StringComparer.Ordinal);
        for (var i = 0; i < events.Count; i++)
        {
            // A name declared twice is an error the builder reports after this; until then the first one counts.
            // Indexed: the list's interface enumerator is more types for every recording run to load (ListCopy).
            EventsByName.TryAdd(events[i].Name, events[i]);
        }
    }

    public IReadOnlyList<EventDefinition> Events { get; }

    public ManifestMappings? Mappings { get; }

    public string Json { get; }

    public Dictionary<string, EventDefinition> EventsByName { get; }
}
