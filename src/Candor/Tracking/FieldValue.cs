using Candor.Manifest;

namespace Candor.Tracking;

/// <summary>
/// A raw value as the tool gave it, held until the background writer applies the privacy transform.
/// A struct with one reference and one number, so numbers and booleans are never boxed.
/// </summary>
internal readonly struct FieldValue
{
    private FieldValue(FieldDefinition field, object? reference, double number)
    {
        Field = field;
        Reference = reference;
        Number = number;
    }

    public FieldDefinition Field { get; }

    /// <summary>A string, an exception or a string list, depending on the field's kind.</summary>
    public object? Reference { get; }

    /// <summary>A number, or 1/0 for a boolean.</summary>
    public double Number { get; }

    public static FieldValue Text(FieldDefinition field, string value) => new(field, value, 0);

    public static FieldValue Numeric(FieldDefinition field, double value) => new(field, null, value);

    public static FieldValue Object(FieldDefinition field, object value) => new(field, value, 0);
}
