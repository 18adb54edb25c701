using Coliseum.Capture;
using Microsoft.Data.Sqlite;

namespace Coliseum.Storage.Sqlite;

public sealed partial class SqlitePassportStore
{
    private const string Columns = StoreRows.EntryColumns;

    public Task<IReadOnlyList<PassportEntry>> ReadAsync(long afterPosition, int limit, CancellationToken cancellationToken)
    {
        using var connection = OpenReader();
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {Columns} FROM passport_log WHERE position > $after ORDER BY position LIMIT $limit";
        command.Parameters.AddWithValue("$after", afterPosition);
        command.Parameters.AddWithValue("$limit", limit);
        using var reader = command.ExecuteReader();
        var entries = new List<PassportEntry>();
        while (reader.Read())
        {
            cancellationToken.ThrowIfCancellationRequested();
            entries.Add(ReadEntry(reader));
        }
        return Task.FromResult<IReadOnlyList<PassportEntry>>(entries);
    }

    public Task<PassportEntry?> FindAsync(string messageId, CancellationToken cancellationToken)
    {
        using var connection = OpenReader();
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {Columns} FROM passport_log WHERE message_id = $id";
        command.Parameters.AddWithValue("$id", messageId);
        using var reader = command.ExecuteReader();
        return Task.FromResult(reader.Read() ? ReadEntry(reader) : null);
    }

    public Task<long> GetHeadAsync(CancellationToken cancellationToken)
    {
        using var connection = OpenReader();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT COALESCE(MAX(position), 0) FROM passport_log";
        return Task.FromResult((long)command.ExecuteScalar()!);
    }

    public Task PingAsync(CancellationToken cancellationToken)
    {
        using var connection = OpenReader();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT 1 FROM consumer_cursors LIMIT 1";
        command.ExecuteScalar();
        return Task.CompletedTask;
    }

    private static PassportEntry ReadEntry(SqliteDataReader r) => StoreRows.Entry(r, System.Text.Encoding.UTF8.GetBytes);
}
