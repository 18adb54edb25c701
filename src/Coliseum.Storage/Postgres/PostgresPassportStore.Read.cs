using Coliseum.Capture;
using Npgsql;

namespace Coliseum.Storage.Postgres;

public sealed partial class PostgresPassportStore
{
    private const string Columns = """
        p.position, p.message_id, p.event_type, p.event_category, p.user_id, p.anonymous_id, p.session_id, p.device_id,
        p.entity_type, p.entity_id, p.metadata, p.context, p.occurred_at, p.client_at, p.sent_at, p.received_at, p.source, p.warnings
        """;

    /// <summary>
    /// The highest position below which every append has committed or failed, in the statement's snapshot: the head,
    /// unless a large append that has taken positions is still pending (its row in <c>passport_log_pending</c>, deleted
    /// by its commit, is visible and its transaction has not aborted), then the position before the first such. A
    /// pending row whose transaction has committed since the snapshot was taken still counts: this snapshot does not
    /// see its rows.
    /// </summary>
    private const string SafeHead = """
        coalesce(
            (SELECT min(first_position) - 1 FROM passport_log_pending WHERE pg_xact_status(xid) IN ('in progress', 'committed')),
            (SELECT position FROM passport_log_head WHERE id = 1))
        """;

    /// <remarks>
    /// One statement, one snapshot, read up to <see cref="SafeHead"/>: every position at or below the largest one read
    /// here is visible or will never be, so a reader may go on from it.
    /// </remarks>
    public async Task<IReadOnlyList<PassportEntry>> ReadAsync(long afterPosition, int limit, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"SELECT {Columns} FROM passport_log p WHERE p.position > @after AND p.position <= {SafeHead} ORDER BY p.position LIMIT @limit");
        command.Parameters.AddWithValue("after", afterPosition);
        command.Parameters.AddWithValue("limit", limit);
        var entries = new List<PassportEntry>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            entries.Add(ReadEntry(reader));
        }
        return entries;
    }

    public async Task<PassportEntry?> FindAsync(string messageId, CancellationToken cancellationToken)
    {
        // passport_message_ids holds the uniqueness (and the index) that the partitioned table cannot. An id stored
        // since migration 009 names its append and its place in it; older ones their position (see AppendAsync).
        await using var command = dataSource.CreateCommand($"""
            SELECT {Columns} FROM passport_message_ids m
            LEFT JOIN passport_appends a ON a.append_id = m.append_id
            JOIN passport_log p ON p.position = coalesce(m.position, a.first_position + m.ordinal - 1)
            WHERE m.message_id = @id
            """);
        command.Parameters.AddWithValue("id", messageId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? ReadEntry(reader) : null;
    }

    /// <summary>The head readers may read up to (<see cref="SafeHead"/>): no append below it is still to commit.</summary>
    public async Task<long> GetHeadAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"SELECT {SafeHead}");
        return (long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    public async Task PingAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT 1 FROM passport_log_head LIMIT 1");
        await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
    }

    private static PassportEntry ReadEntry(NpgsqlDataReader r) => StoreRows.Entry(r, PostgresText.CompactJson);
}
