using System.Globalization;

namespace ModelBuilder;

/// <summary>A CSV dataset in memory: column names, the label column and the rows as text.</summary>
internal sealed class Dataset
{
    private Dataset(string[] columns, int label, List<string[]> rows)
    {
        Columns = columns;
        Label = label;
        Rows = rows;
    }

    public string[] Columns { get; }

    public int Label { get; }

    public List<string[]> Rows { get; }

    /// <summary>Reads the dataset the request names.</summary>
    /// <exception cref="DatasetException">The file is empty, or has no column by the label's name, or a row has the wrong number of cells.</exception>
    public static Dataset Read(TrainingRequest request)
    {
        var lines = File.ReadLines(request.Dataset.FullName).Where(l => l.Length > 0).Select(l => l.Split(',').Select(c => c.Trim()).ToArray()).ToList();
        if (lines.Count == 0)
        {
            throw new DatasetException($"{request.Dataset.Name} is empty.");
        }

        var columns = request.HasHeader ? lines[0] : [.. Enumerable.Range(0, lines[0].Length).Select(i => "col" + i.ToString(CultureInfo.InvariantCulture))];
        var rows = request.HasHeader ? lines.Skip(1).ToList() : lines;
        var label = Array.IndexOf(columns, request.Label);
        if (label < 0)
        {
            throw new DatasetException($"{request.Dataset.Name} has no column '{request.Label}'; its columns are {string.Join(", ", columns)}.");
        }

        if (rows.FindIndex(r => r.Length != columns.Length) is var bad and >= 0)
        {
            throw new DatasetException($"{request.Dataset.Name}, row {(bad + 1).ToString(CultureInfo.InvariantCulture)}: expected {columns.Length.ToString(CultureInfo.InvariantCulture)} cells.");
        }

        return new Dataset(columns, label, rows);
    }

    /// <summary>The distinct values of the label column.</summary>
    public IEnumerable<string> LabelValues() => Rows.Select(r => r[Label]).Distinct(StringComparer.Ordinal);

    /// <summary>The columns to learn from: every column but the label and the ignored ones whose cells are all numbers.</summary>
    public IEnumerable<int> NumericFeatures(IReadOnlyList<string> ignore) =>
        Enumerable.Range(0, Columns.Length)
            .Where(i => i != Label && !ignore.Contains(Columns[i]) && Rows.All(r => double.TryParse(r[i], NumberStyles.Float, CultureInfo.InvariantCulture, out _)));

    /// <summary>A column's cells as numbers.</summary>
    /// <exception cref="FormatException">A cell is not a number.</exception>
    public double[] Numbers(int column) => [.. Rows.Select(r => double.Parse(r[column], NumberStyles.Float, CultureInfo.InvariantCulture))];
}

/// <summary>A dataset that cannot be trained on, for a reason the user can fix.</summary>
internal sealed class DatasetException(string message) : Exception(message);
