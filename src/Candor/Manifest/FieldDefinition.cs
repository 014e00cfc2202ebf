using Candor.Json;

namespace Candor.Manifest;

/// <summary>One declared property or measurement of an event, as the manifest describes it.</summary>
public sealed class FieldDefinition
{
    // The encoded name and values are bytes, not System.Text.Json's JsonEncodedText, so that loading this type (every
    // start, telemetry off included) does not load that assembly; the serializer makes them on first use.
    private byte[]? _jsonMember;
    private byte[][]? _jsonMembers;

    // For each declared value, the instance it was last found by (the tool passes the same literal every time), and,
    // for a long list, each value's position: made by the first lookup, never at start-up. A short list is searched
    // in place: a dictionary keyed to an int is types of its own for every recording run to load.
    private string?[]? _seenValues;
    private Dictionary<string, int>? _valueIndex;
    private Dictionary<string, string>? _allowSet;
    private IReadOnlyList<string>? _bucketLabels;

    // Up to this many declared values, a lookup compares them in order rather than hashing.
    private const int ScannedValues = 16;

    internal FieldDefinition(
        string name,
        FieldKind kind,
        string description,
        IReadOnlyList<string> values,
        string? unit,
        double? minimum,
        double? maximum,
        IReadOnlyList<double> boundaries,
        IReadOnlyList<string> allow,
        FieldDefinition? item,
        int maxItems)
    {
        Name = name;
        Kind = kind;
        Description = description;
        Values = values;
        Unit = unit;
        Minimum = minimum;
        Maximum = maximum;
        Boundaries = boundaries;
        Allow = allow;
        Item = item;
        MaxItems = maxItems;
    }

    /// <summary>The property's name, unique within its event.</summary>
    public string Name { get; }

    /// <summary>
    /// The name as a JSON property name after a comma and before its colon (<c>,"name":</c>; the first member of an
    /// object is written without the comma), encoded once by the first writer that needs it (never at start-up).
    /// </summary>
    internal byte[] JsonMember => _jsonMember ??= [(byte)',', .. JsonBytes.Quoted(Name), (byte)':'];

    /// <summary>
    /// For <see cref="FieldKind.Enum"/>: the position of the declared value equal to <paramref name="raw"/> in
    /// <see cref="Values"/>, or -1. The instance it was found by is remembered and compared by reference first, so a
    /// tool that passes literals pays no hashing; racing threads can only overwrite a remembered instance with
    /// another that is equal to the same value.
    /// </summary>
    internal int IndexOfValue(string raw)
    {
        var seen = _seenValues ??= new string?[Values.Count];
        for (var i = 0; i < seen.Length; i++)
        {
            if (ReferenceEquals(seen[i], raw))
            {
                return i;
            }
        }

        var index = Find(raw);
        if (index >= 0)
        {
            seen[index] = raw;
        }

        return index;
    }

    // The position of the declared value equal to value (ordinally), or -1.
    private int Find(string value)
    {
        var values = Values;
        if (values.Count > ScannedValues)
        {
            return (_valueIndex ??= IndexValues()).TryGetValue(value, out var index) ? index : -1;
        }

        for (var i = 0; i < values.Count; i++)
        {
            if (string.Equals(values[i], value, StringComparison.Ordinal))
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>
    /// For <see cref="FieldKind.Enum"/>: the member with the value at <paramref name="index"/> in <see cref="Values"/>
    /// (<c>,"name":"value"</c>); for <see cref="FieldKind.Bool"/>, with <c>false</c> at 0 and <c>true</c> at 1. A value
    /// and its name are one copy for the writer rather than three. Encoded once, by the first writer that needs them;
    /// two writers may both encode them, and encode the same bytes.
    /// </summary>
    internal byte[] JsonMemberAt(int index) => (_jsonMembers ??= EncodeMembers())[index];

    /// <summary>What the property holds.</summary>
    public FieldKind Kind { get; }

    /// <summary>What the value means, shown on the privacy page.</summary>
    public string Description { get; }

    /// <summary>For <see cref="FieldKind.Enum"/>: the values that may be sent.</summary>
    public IReadOnlyList<string> Values { get; }

    /// <summary>For <see cref="FieldKind.Number"/> and <see cref="FieldKind.Bucket"/>: the unit of the raw value.</summary>
    public string? Unit { get; }

    /// <summary>For <see cref="FieldKind.Number"/>: the smallest value that may be sent.</summary>
    public double? Minimum { get; }

    /// <summary>For <see cref="FieldKind.Number"/>: the largest value that may be sent.</summary>
    public double? Maximum { get; }

    /// <summary>For <see cref="FieldKind.Bucket"/>: the ascending boundaries between buckets.</summary>
    public IReadOnlyList<double> Boundaries { get; }

    /// <summary>For <see cref="FieldKind.NameOrHash"/>: the names that may be sent verbatim.</summary>
    public IReadOnlyList<string> Allow { get; }

    /// <summary>For <see cref="FieldKind.List"/>: the kind of each item.</summary>
    public FieldDefinition? Item { get; }

    /// <summary>For <see cref="FieldKind.List"/>: the most items sent; more are dropped and counted.</summary>
    public int MaxItems { get; }

    /// <summary>The name instance this field was last looked up by (<see cref="EventDefinition.Lookup"/>); equal to <see cref="Name"/>.</summary>
    internal string? SeenName { get; set; }

    /// <summary>Whether the value is a measurement (a number on the wire) rather than a property.</summary>
    public bool IsMeasurement => Kind is FieldKind.Number or FieldKind.Duration;

    /// <summary>Whether <paramref name="value"/> is one of the declared <see cref="Values"/> (compared ordinally).</summary>
    /// <remarks>
    /// Through the search the tracking path uses, not a set made with every field: HashSet's type is forwarded through
    /// System.Collections, an assembly every recording run would load to build the manifest.
    /// </remarks>
    internal bool HasValue(string value) => Find(value) >= 0;

    // Maps any casing of an allowed name to the declared casing, so "ZLIB" and "zlib" count as one. Made by the first
    // lookup (only name-or-hash fields have one), not with every field of the manifest.
    private Dictionary<string, string> AllowSet => _allowSet ??= IndexAllowed();

    /// <summary>For <see cref="FieldKind.Bucket"/>: the label sent for each bucket, lowest first (<c>&lt;b0</c>, <c>b0-b1</c>, ..., <c>&gt;=bn</c>).</summary>
    /// <remarks>
    /// Made by the first caller that needs them (a run that records, the privacy page), never at start-up: formatting
    /// the boundaries uses the invariant culture, which loads ICU, and every run builds the manifest. Two threads may
    /// both make them; they make the same labels.
    /// </remarks>
    public IReadOnlyList<string> BucketLabels => _bucketLabels ??= BucketLabel.All(Boundaries);

    /// <summary>For <see cref="FieldKind.Bucket"/>: the label of the bucket that holds <paramref name="value"/>.</summary>
    public string BucketOf(double value) => BucketLabels[BucketLabel.IndexOf(Boundaries, value)];

    private Dictionary<string, string> IndexAllowed()
    {
        var set = new Dictionary<string, string>(Allow.Count, StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < Allow.Count; i++)
        {
            // The builder refuses names that differ only in case; until it throws, the first one counts. Indexed, not
            // enumerated: the list's interface enumerator is more types for every recording run to load.
            set.TryAdd(Allow[i], Allow[i]);
        }

        return set;
    }

    private Dictionary<string, int> IndexValues()
    {
        var index = new Dictionary<string, int>(Values.Count, StringComparer.Ordinal);
        for (var i = 0; i < Values.Count; i++)
        {
            // The builder refuses a value declared twice; until it throws, the first one counts.
            index.TryAdd(Values[i], i);
        }

        return index;
    }

    private byte[][] EncodeMembers()
    {
        if (Kind == FieldKind.Bool)
        {
            return [[.. JsonMember, .. "false"u8], [.. JsonMember, .. "true"u8]];
        }

        var encoded = new byte[Values.Count][];
        for (var i = 0; i < encoded.Length; i++)
        {
            encoded[i] = [.. JsonMember, .. JsonBytes.Quoted(Values[i])];
        }

        return encoded;
    }

    /// <summary>For <see cref="FieldKind.NameOrHash"/>: the allowed name in its declared casing when <paramref name="raw"/> is one in any casing, else null.</summary>
    public string? AllowedName(string raw) => AllowSet.TryGetValue(raw, out var name) ? name : null;
}

