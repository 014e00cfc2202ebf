using System.Globalization;

namespace ModelToolkit;

/// <summary>
/// A model in the toolkit's tiny text format: a first line naming the format (<c>tiny-model v1</c>), then the
/// weights of one linear layer, one row per line.
/// </summary>
public sealed class TinyModel
{
    private TinyModel(float[][] rows) => Rows = rows;

    /// <summary>The layer's rows of weights.</summary>
    public IReadOnlyList<float[]> Rows { get; }

    /// <summary>Reads a model file.</summary>
    /// <exception cref="FileNotFoundException">There is no such file.</exception>
    /// <exception cref="InvalidDataException">The file is not a tiny model.</exception>
    public static TinyModel Load(string path)
    {
        var lines = File.ReadAllLines(path);
        if (lines.Length < 2 || lines[0] != "tiny-model v1")
        {
            throw new InvalidDataException($"{path} is not a tiny model: its first line must be 'tiny-model v1'.");
        }

        try
        {
            return new([.. lines.Skip(1).Where(l => l.Length > 0).Select(l => l.Split(' ').Select(w => float.Parse(w, CultureInfo.InvariantCulture)).ToArray())]);
        }
        catch (FormatException e)
        {
            throw new InvalidDataException($"{path} holds a weight that is not a number.", e);
        }
    }

    /// <summary>Multiplies <paramref name="input"/> by the layer.</summary>
    public float[] Run(float[] input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var output = new float[Rows.Count];
        for (var row = 0; row < Rows.Count; row++)
        {
            for (var i = 0; i < Math.Min(input.Length, Rows[row].Length); i++)
            {
                output[row] += Rows[row][i] * input[i];
            }
        }

        return output;
    }
}
