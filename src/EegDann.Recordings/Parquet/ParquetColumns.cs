using Parquet;
using Parquet.Schema;

namespace EegDann.Recordings.Parquet;

/// <summary>Reads whole columns of a row group, refusing nulls in columns EegDann requires.</summary>
internal static class ParquetColumns
{
    /// <summary>
    /// Reads <paramref name="rows"/> values of <paramref name="field"/>. Files written by other tools
    /// (pandas, Spark) mark columns nullable even when they hold no nulls: those are accepted, and a
    /// real null is an error naming the file, the column, the row and (when given) the row group.
    /// </summary>
    public static async Task<T[]> ReadRequiredAsync<T>(string path, ParquetRowGroupReader group, DataField field, int rows, int? rowGroup, CancellationToken cancellationToken)
        where T : struct
    {
        var values = new T[rows];
        if (!field.IsNullable)
        {
            await group.ReadAsync<T>(field, values, null, cancellationToken);
            return values;
        }

        var nullable = new T?[rows];
        await group.ReadAsync<T>(field, nullable.AsMemory(), null, cancellationToken);
        for (int i = 0; i < rows; i++)
        {
            values[i] = nullable[i] ?? throw new RecordingFormatException(
                path, rowGroup is int g ? $"column '{field.Name}' has a null at row {i} of row group {g}." : $"column '{field.Name}' has a null at row {i}.");
        }

        return values;
    }
}
