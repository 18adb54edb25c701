using Coliseum.Capture;
using Npgsql;
using NpgsqlTypes;

namespace Coliseum.Storage.Postgres;

/// <summary>
/// The Passport log on PostgreSQL (<c>passport_log</c>, migration 001 in <c>Scripts/Postgres</c>), in the schema
/// the data source's search_path names (<see cref="PostgresDataSource.Create"/>). Several processes may append
/// to one database at once. An append holds the one-row <c>passport_log_head</c> lock from taking its positions
/// until it commits, so positions become visible in commit order and a reader never skips one that commits
/// late; the price is that appends from every process queue behind each other (one lock per group commit).
/// Each commit sends a NOTIFY (<see cref="Processing.Notifications"/>). The data source belongs to the caller (disposing the store leaves it open) unless the store was made by
/// <see cref="Open"/>.
/// </summary>
public sealed partial class PostgresPassportStore(NpgsqlDataSource dataSource, string schema) : IPassportStore
{
    private bool _ownsDataSource;

    /// <summary>A store on its own data source (search_path = <paramref name="schema"/>), closed with the store.</summary>
    public static PostgresPassportStore Open(string connectionString, string schema) =>
        new(PostgresDataSource.Create(connectionString, schema), schema) { _ownsDataSource = true };

    /// <summary>The connections this store uses: other stores on the same database (keys) share them.</summary>
    public NpgsqlDataSource DataSource => dataSource;

    /// <summary>Where the tables live.</summary>
    public string Schema => schema;

    private const string CopyColumns = StoreRows.EntryColumns;

    /// <summary>Months before this get no partition of their own (their rows go to DEFAULT): a client clock at 1970 must not make hundreds of tables.</summary>
    private static readonly DateOnly EarliestPartitionedMonth = new(2000, 1, 1);

    /// <summary>Months whose partition this store has seen committed; partitions are never dropped by Coliseum.</summary>
    private readonly HashSet<DateOnly> _knownMonths = [];
    private readonly Lock _knownMonthsLock = new();

    public string Provider => "postgres";

    public Task InitializeAsync(CancellationToken cancellationToken) =>
        PostgresMigrations.ApplyAsync(dataSource, schema, cancellationToken);

    public async ValueTask AppendAsync(IReadOnlyList<PassportRecord> records, bool[] inserted, CancellationToken cancellationToken)
    {
        Array.Clear(inserted, 0, records.Count);
        if (records.Count == 0)
        {
            return;
        }
        foreach (var record in records)
        {
            PostgresText.RefuseNul(record);
        }

        // The first occurrence of a message id in the list wins, as on SQLite.
        var candidates = new List<int>(records.Count);
        var seen = new HashSet<string>(records.Count, StringComparer.Ordinal);
        for (var i = 0; i < records.Count; i++)
        {
            if (seen.Add(records[i].MessageId))
            {
                candidates.Add(i);
            }
        }

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        if (NewMonths(records) is { Length: > 0 } months)
        {
            await MakeMonthsAsync(connection, months, cancellationToken).ConfigureAwait(false);
        }
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);

        // Held until commit: the next append (any process) waits here, then reads the head this one committed.
        long head;
        await using (var lockHead = new NpgsqlCommand(
            "SET LOCAL synchronous_commit TO on; SELECT position FROM passport_log_head WHERE id = 1 FOR UPDATE", connection, transaction))
        {
            head = (long)(await lockHead.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        }

        // Under the lock, no other append can be storing one of these ids right now.
        var stored = await StoredIdsAsync(connection, transaction, candidates.Select(i => records[i].MessageId).ToArray(), cancellationToken).ConfigureAwait(false);
        var fresh = candidates.Where(i => !stored.Contains(records[i].MessageId)).ToList();
        if (fresh.Count == 0)
        {
            return; // nothing written; disposing the transaction rolls back and releases the lock
        }

        await CopyIdsAsync(connection, records, fresh, head, cancellationToken).ConfigureAwait(false);
        await CopyRowsAsync(connection, records, fresh, head, cancellationToken).ConfigureAwait(false);

        // The NOTIFY is delivered at commit, to every process listening on this database (PostgresWakeups);
        // the schema in the payload tells them apart when several Coliseums share one database.
        await using (var advance = new NpgsqlCommand($"""
            UPDATE passport_log_head SET position = @position WHERE id = 1;
            SELECT pg_notify('{Processing.Notifications.Channel}', current_schema() || ' log ' || CAST(@position AS text));
            """, connection, transaction))
        {
            advance.Parameters.AddWithValue("position", head + fresh.Count);
            await advance.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);

        foreach (var i in fresh)
        {
            inserted[i] = true;
        }
    }

    private static async Task<HashSet<string>> StoredIdsAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string[] ids, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT message_id FROM passport_message_ids WHERE message_id = ANY(@ids)", connection, transaction);
        command.Parameters.Add(new NpgsqlParameter("ids", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = ids });
        var stored = new HashSet<string>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            stored.Add(reader.GetString(0));
        }
        return stored;
    }

    /// <summary>
    /// Makes the partitions of <paramref name="months"/> in a short transaction of its own, before the append's:
    /// attaching a partition locks the DEFAULT one against readers until commit, which must not last a whole
    /// append. It takes the head lock too, so it never runs beside another process's append or partition.
    /// </summary>
    private async Task MakeMonthsAsync(NpgsqlConnection connection, DateOnly[] months, CancellationToken cancellationToken)
    {
        await using (var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false))
        {
            await using var make = new NpgsqlCommand("""
                SELECT position FROM passport_log_head WHERE id = 1 FOR UPDATE;
                SELECT passport_log_make_month(m) FROM unnest(@months) AS m;
                """, connection, transaction);
            make.Parameters.Add(new NpgsqlParameter("months", NpgsqlDbType.Array | NpgsqlDbType.Date) { Value = months });
            await make.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        }
        lock (_knownMonthsLock)
        {
            _knownMonths.UnionWith(months);
        }
    }

    /// <summary>
    /// The first days of the months the records' occurred_at fall in that get a partition of their own (from
    /// <see cref="EarliestPartitionedMonth"/> to next month) and that this store has not seen made yet.
    /// </summary>
    private DateOnly[] NewMonths(IReadOnlyList<PassportRecord> records)
    {
        var now = DateTime.UtcNow;
        var latest = new DateOnly(now.Year, now.Month, 1).AddMonths(1);
        var earliestMs = new DateTimeOffset(EarliestPartitionedMonth.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero).ToUnixTimeMilliseconds();
        var latestEndMs = new DateTimeOffset(latest.AddMonths(1).ToDateTime(TimeOnly.MinValue), TimeSpan.Zero).ToUnixTimeMilliseconds();
        var months = new HashSet<DateOnly>();
        lock (_knownMonthsLock)
        {
            foreach (var record in records)
            {
                var ms = record.OccurredAt;
                if (ms < earliestMs || ms >= latestEndMs)
                {
                    continue; // DEFAULT partition
                }
                var at = DateTimeOffset.FromUnixTimeMilliseconds(ms).UtcDateTime;
                var month = new DateOnly(at.Year, at.Month, 1);
                if (!_knownMonths.Contains(month))
                {
                    months.Add(month);
                }
            }
        }
        return [.. months.Order()];
    }

    private static async Task CopyIdsAsync(NpgsqlConnection connection, IReadOnlyList<PassportRecord> records, List<int> fresh, long head, CancellationToken cancellationToken)
    {
        await using var importer = await connection.BeginBinaryImportAsync(
            "COPY passport_message_ids (message_id, position) FROM STDIN (FORMAT BINARY)", cancellationToken).ConfigureAwait(false);
        for (var n = 0; n < fresh.Count; n++)
        {
            await importer.StartRowAsync(cancellationToken).ConfigureAwait(false);
            await importer.WriteAsync(records[fresh[n]].MessageId, NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
            await importer.WriteAsync(head + 1 + n, NpgsqlDbType.Bigint, cancellationToken).ConfigureAwait(false);
        }
        await importer.CompleteAsync(cancellationToken).ConfigureAwait(false);
    }

    private static async Task CopyRowsAsync(NpgsqlConnection connection, IReadOnlyList<PassportRecord> records, List<int> fresh, long head, CancellationToken cancellationToken)
    {
        await using var importer = await connection.BeginBinaryImportAsync(
            $"COPY passport_log ({CopyColumns}) FROM STDIN (FORMAT BINARY)", cancellationToken).ConfigureAwait(false);
        for (var n = 0; n < fresh.Count; n++)
        {
            var r = records[fresh[n]];
            await importer.StartRowAsync(cancellationToken).ConfigureAwait(false);
            await importer.WriteAsync(head + 1 + n, NpgsqlDbType.Bigint, cancellationToken).ConfigureAwait(false);
            await importer.WriteAsync(r.MessageId, NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
            await importer.WriteAsync(r.EventType, NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
            await importer.WriteAsync(r.EventCategory, NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
            await WriteTextAsync(importer, r.UserId, cancellationToken).ConfigureAwait(false);
            await WriteTextAsync(importer, r.AnonymousId, cancellationToken).ConfigureAwait(false);
            await WriteTextAsync(importer, r.SessionId, cancellationToken).ConfigureAwait(false);
            await WriteTextAsync(importer, r.DeviceId, cancellationToken).ConfigureAwait(false);
            await WriteTextAsync(importer, r.EntityType, cancellationToken).ConfigureAwait(false);
            await WriteTextAsync(importer, r.EntityId, cancellationToken).ConfigureAwait(false);
            await importer.WriteAsync(System.Text.Encoding.UTF8.GetString(r.Metadata), NpgsqlDbType.Jsonb, cancellationToken).ConfigureAwait(false);
            if (r.Context is null)
            {
                await importer.WriteNullAsync(cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await importer.WriteAsync(System.Text.Encoding.UTF8.GetString(r.Context), NpgsqlDbType.Jsonb, cancellationToken).ConfigureAwait(false);
            }
            await importer.WriteAsync(r.OccurredAt, NpgsqlDbType.Bigint, cancellationToken).ConfigureAwait(false);
            await importer.WriteAsync(r.ClientAt, NpgsqlDbType.Bigint, cancellationToken).ConfigureAwait(false);
            if (r.SentAt is { } sentAt)
            {
                await importer.WriteAsync(sentAt, NpgsqlDbType.Bigint, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await importer.WriteNullAsync(cancellationToken).ConfigureAwait(false);
            }
            await importer.WriteAsync(r.ReceivedAt, NpgsqlDbType.Bigint, cancellationToken).ConfigureAwait(false);
            await importer.WriteAsync(r.Source, NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
            await WriteTextAsync(importer, r.Warnings, cancellationToken).ConfigureAwait(false);
        }
        await importer.CompleteAsync(cancellationToken).ConfigureAwait(false);
    }

    private static Task WriteTextAsync(NpgsqlBinaryImporter importer, string? value, CancellationToken cancellationToken) => value is null
        ? importer.WriteNullAsync(cancellationToken)
        : importer.WriteAsync(value, NpgsqlDbType.Text, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        if (_ownsDataSource)
        {
            await dataSource.DisposeAsync().ConfigureAwait(false);
        }
    }
}
