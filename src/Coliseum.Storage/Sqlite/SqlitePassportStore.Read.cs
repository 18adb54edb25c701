using Coliseum.Capture;
using Microsoft.Data.Sqlite;

namespace Coliseum.Storage.Sqlite;

public sealed partial class SqlitePassportStore
{
    private const string Columns = """
        position, message_id, event_type, event_category, user_id, anonymous_id, session_id, device_id,
        entity_type, entity_id, metadata, context, occurred_at, client_at, sent_at, received_at, source, warnings
        """;

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

    private static PassportEntry ReadEntry(SqliteDataReader r) => new(r.GetInt64(0), new PassportRecord
    {
        MessageId = r.GetString(1),
        EventType = r.GetString(2),
        EventCategory = r.GetString(3),
        UserId = Text(r, 4),
        AnonymousId = Text(r, 5),
        SessionId = Text(r, 6),
        DeviceId = Text(r, 7),
        EntityType = Text(r, 8),
        EntityId = Text(r, 9),
        Metadata = System.Text.Encoding.UTF8.GetBytes(r.GetString(10)),
        Context = r.IsDBNull(11) ? null : System.Text.Encoding.UTF8.GetBytes(r.GetString(11)),
        OccurredAt = r.GetInt64(12),
        ClientAt = r.GetInt64(13),
        SentAt = r.IsDBNull(14) ? null : r.GetInt64(14),
        ReceivedAt = r.GetInt64(15),
        Source = r.GetString(16),
        Warnings = Text(r, 17),
    });

    private static string? Text(SqliteDataReader r, int ordinal) => r.IsDBNull(ordinal) ? null : r.GetString(ordinal);
}
