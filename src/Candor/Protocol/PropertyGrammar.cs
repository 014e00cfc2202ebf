using System.Globalization;
using Candor.Manifest;

namespace Candor.Protocol;

/// <summary>
/// The one grammar of each field kind's value on the wire, for a field as the manifest declares it. The SDK
/// produces only values that pass these checks; the collector refuses an event with a value that does not.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item><c>enum</c>: one of the field's declared <see cref="FieldDefinition.Values"/>, verbatim.</item>
/// <item><c>bool</c>: a JSON boolean.</item>
/// <item><c>number</c>: a finite JSON number between the declared minimum and maximum.</item>
/// <item><c>duration</c>: a finite JSON number of milliseconds from 0 to <see cref="MaxDurationMilliseconds"/> (31 days).</item>
/// <item><c>bucket</c>: one of the field's <see cref="FieldDefinition.BucketLabels"/>.</item>
/// <item><c>hash</c>: <see cref="HashLength"/> lower-case hexadecimal characters.</item>
/// <item><c>version</c>: <see cref="VersionGrammar"/>.</item>
/// <item><c>nameOrHash</c>: one of the declared <see cref="FieldDefinition.Allow"/> names in its declared casing, or a hash.</item>
/// <item><c>list</c>: a JSON array of at most <see cref="FieldDefinition.MaxItems"/> strings, each in the item's grammar.</item>
/// <item><c>stack</c>: <see cref="StackGrammar"/>.</item>
/// </list>
/// </remarks>
internal static class PropertyGrammar
{
    /// <summary>The length of a keyed hash: 128 bits in lower-case hexadecimal.</summary>
    public const int HashLength = 32;

    /// <summary>The longest duration, in milliseconds: 31 days.</summary>
    public const double MaxDurationMilliseconds = 31d * 24 * 3600 * 1000;

    /// <summary>
    /// The length of an install's deletion verifier (SHA-256 of its deletion proof) in lower-case hexadecimal: also the
    /// length of the proof itself and of the install's secret, which have the same form.
    /// </summary>
    public const int VerifierLength = 64;

    /// <summary>Whether <paramref name="value"/> is a keyed hash: <see cref="HashLength"/> lower-case hexadecimal characters.</summary>
    public static bool IsHash(string? value) => IsLowerHex(value, HashLength);

    /// <summary>
    /// Whether <paramref name="value"/> has the form of a deletion verifier, <see cref="VerifierLength"/> lower-case
    /// hexadecimal characters: what an event's <c>verifier</c> must be, and what the deletion proof it verifies is.
    /// </summary>
    public static bool IsVerifier(string? value) => IsLowerHex(value, VerifierLength);

    private static bool IsLowerHex(string? value, int length)
    {
        if (value is null || value.Length != length)
        {
            return false;
        }

        foreach (var c in value)
        {
            if (!char.IsAsciiDigit(c) && c is not (>= 'a' and <= 'f'))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Null when <paramref name="value"/> is a value of <paramref name="field"/>'s kind as the manifest declares the
    /// field (for a list, of one item: pass <see cref="FieldDefinition.Item"/>), else why it is not. Kinds that are
    /// not text on the wire (bool, number, duration, list) are never valid text values.
    /// </summary>
    public static string? CheckText(FieldDefinition field, string? value)
    {
        if (value is null)
        {
            return "must be a string";
        }

        return field.Kind switch
        {
            FieldKind.Enum => field.HasValue(value) ? null : $"is not one of the declared values ({string.Join(", ", field.Values)})",
            FieldKind.Bucket => field.BucketLabels.Contains(value, StringComparer.Ordinal) ? null : $"is not one of the bucket labels ({string.Join(", ", field.BucketLabels)})",
            FieldKind.Hash => IsHash(value) ? null : $"must be a keyed hash: {HashLength} lower-case hex characters",
            FieldKind.NameOrHash => field.Allow.Contains(value, StringComparer.Ordinal) || IsHash(value)
                ? null
                : $"must be an allowed name as declared or a keyed hash ({HashLength} lower-case hex characters)",
            FieldKind.Version => VersionGrammar.Check(value),
            FieldKind.Stack => StackGrammar.Check(value),
            _ => "is not a text value of this kind",
        };
    }

    /// <summary>Null when a list of <paramref name="count"/> items fits <paramref name="field"/>, else why it does not.</summary>
    public static string? CheckItemCount(FieldDefinition field, int count) =>
        count <= field.MaxItems ? null : $"has more than the declared {field.MaxItems.ToString(CultureInfo.InvariantCulture)} items";

    /// <summary>Null when <paramref name="value"/> is a measurement of <paramref name="field"/>'s kind and range, else why it is not.</summary>
    public static string? CheckMeasurement(FieldDefinition field, double value)
    {
        if (!double.IsFinite(value))
        {
            return "must be a finite number";
        }

        return field.Kind switch
        {
            FieldKind.Duration => value is < 0 or > MaxDurationMilliseconds ? "must be between 0 and 31 days, in milliseconds" : null,
            FieldKind.Number => value < field.Minimum || value > field.Maximum
                ? $"must be between {field.Minimum?.ToString(CultureInfo.InvariantCulture)} and {field.Maximum?.ToString(CultureInfo.InvariantCulture)}"
                : null,
            _ => "is not a measurement of this kind",
        };
    }
}
