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

    static PostgresPassportStore() => Processing.BulkStatement.Register(PostgresBulkBackend.Instance);

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

        // One round trip: which ids are new (under the lock no other append can be storing one of them), their
        // positions in list order, their rows in passport_message_ids, and the head moved past them.
        var fresh = await ClaimIdsAsync(connection, transaction, records, candidates, head, cancellationToken).ConfigureAwait(false);
        if (fresh.Count == 0)
        {
            return; // nothing written; disposing the transaction rolls back and releases the lock
        }

        await CopyRowsAsync(connection, records, fresh, head, cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);

        foreach (var i in fresh)
        {
            inserted[i] = true;
        }
    }

    /// <summary>
    /// Stores the message ids of <paramref name="candidates"/> that are not stored yet, numbered head+1, head+2, …
    /// in list order, advances passport_log_head past them, and returns their indexes in order.
    /// </summary>
    /// <remarks>
    /// Most batches hold no id that is stored already, so the first try inserts them all at head+1… with
    /// <c>ON CONFLICT DO NOTHING</c>, one index operation per id, inside a savepoint. When every id went in, that
    /// is the answer. When one was a duplicate, the numbering would have a gap: the savepoint is rolled back and
    /// <see cref="ClaimNewIdsAsync"/> numbers only the new ones (an anti-join first, which costs about as much again).
    /// </remarks>
    private static async Task<List<int>> ClaimIdsAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<PassportRecord> records,
        List<int> candidates, long head, CancellationToken cancellationToken)
    {
        var ids = new string[candidates.Count];
        for (var n = 0; n < ids.Length; n++)
        {
            ids[n] = records[candidates[n]].MessageId;
        }
        await using (var fast = new NpgsqlCommand($$"""
            SAVEPOINT claim;
            WITH stored AS (
                INSERT INTO passport_message_ids (message_id, position)
                SELECT t.id, @head + t.n FROM unnest(@ids) WITH ORDINALITY AS t(id, n)
                ON CONFLICT (message_id) DO NOTHING RETURNING position
            ), advanced AS (
                UPDATE passport_log_head SET position = @head + (SELECT count(*) FROM stored) WHERE id = 1
            )
            SELECT count(*) FROM stored;
            {{Notify}}
            """, connection, transaction))
        {
            fast.Parameters.Add(new NpgsqlParameter("ids", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = ids });
            fast.Parameters.Add(new NpgsqlParameter("head", NpgsqlDbType.Bigint) { Value = head });
            if ((long)(await fast.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))! == ids.Length)
            {
                return candidates;
            }
        }
        await using (var undo = new NpgsqlCommand("ROLLBACK TO SAVEPOINT claim", connection, transaction))
        {
            await undo.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        return await ClaimNewIdsAsync(connection, transaction, candidates, ids, head, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Delivered at commit to every process listening on this database (PostgresWakeups); the schema in the payload
    /// tells them apart when several Coliseums share one database. Rolled back with the transaction (or savepoint).
    /// </summary>
    private const string Notify =
        $"SELECT pg_notify('{Processing.Notifications.Channel}', current_schema() || ' log ' || CAST(position AS text)) FROM passport_log_head WHERE id = 1;";

    /// <summary>The claim when some ids are stored already: only the new ones are numbered, in list order.</summary>
    private static async Task<List<int>> ClaimNewIdsAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, List<int> candidates, string[] ids, long head, CancellationToken cancellationToken)
    {
        await using var claim = new NpgsqlCommand($$"""
            WITH input AS (
                SELECT t.id, t.n FROM unnest(@ids) WITH ORDINALITY AS t(id, n)
                WHERE NOT EXISTS (SELECT 1 FROM passport_message_ids m WHERE m.message_id = t.id)
            ), numbered AS (
                SELECT id, n, @head + row_number() OVER (ORDER BY n) AS position FROM input
            ), stored AS (
                INSERT INTO passport_message_ids (message_id, position) SELECT id, position FROM numbered RETURNING position
            ), advanced AS (
                UPDATE passport_log_head SET position = @head + (SELECT count(*) FROM stored) WHERE id = 1
            )
            SELECT n FROM numbered ORDER BY n;
            {{Notify}}
            """, connection, transaction);
        claim.Parameters.Add(new NpgsqlParameter("ids", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = ids });
        claim.Parameters.Add(new NpgsqlParameter("head", NpgsqlDbType.Bigint) { Value = head });
        var fresh = new List<int>(candidates.Count);
        await using var reader = await claim.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            fresh.Add(candidates[(int)reader.GetInt64(0) - 1]);
        }
        return fresh;
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

    /// <remarks>
    /// The rows are written with the importer's synchronous calls, which only fill its buffer (and send it when
    /// full): per-field awaits cost several times the encoding itself. The final flush is asynchronous.
    /// </remarks>
    private static async Task CopyRowsAsync(NpgsqlConnection connection, IReadOnlyList<PassportRecord> records, List<int> fresh, long head, CancellationToken cancellationToken)
    {
        await using var importer = await connection.BeginBinaryImportAsync(
            $"COPY passport_log ({CopyColumns}) FROM STDIN (FORMAT BINARY)", cancellationToken).ConfigureAwait(false);
        for (var n = 0; n < fresh.Count; n++)
        {
            WriteRow(importer, records[fresh[n]], head + 1 + n);
        }
        await importer.CompleteAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>One log row in COPY's column order (<see cref="StoreRows.EntryColumns"/>); the benchmark's COPY baseline writes its rows with it too.</summary>
    internal static void WriteRow(NpgsqlBinaryImporter importer, PassportRecord r, long position)
    {
        importer.StartRow();
        importer.Write(position, NpgsqlDbType.Bigint);
        importer.Write(r.MessageId, NpgsqlDbType.Text);
        importer.Write(r.EventType, NpgsqlDbType.Text);
        importer.Write(r.EventCategory, NpgsqlDbType.Text);
        WriteText(importer, r.UserId);
        WriteText(importer, r.AnonymousId);
        WriteText(importer, r.SessionId);
        WriteText(importer, r.DeviceId);
        WriteText(importer, r.EntityType);
        WriteText(importer, r.EntityId);
        importer.Write(System.Text.Encoding.UTF8.GetString(r.Metadata), NpgsqlDbType.Jsonb);
        if (r.Context is null)
        {
            importer.WriteNull();
        }
        else
        {
            importer.Write(System.Text.Encoding.UTF8.GetString(r.Context), NpgsqlDbType.Jsonb);
        }
        importer.Write(r.OccurredAt, NpgsqlDbType.Bigint);
        importer.Write(r.ClientAt, NpgsqlDbType.Bigint);
        if (r.SentAt is { } sentAt)
        {
            importer.Write(sentAt, NpgsqlDbType.Bigint);
        }
        else
        {
            importer.WriteNull();
        }
        importer.Write(r.ReceivedAt, NpgsqlDbType.Bigint);
        importer.Write(r.Source, NpgsqlDbType.Text);
        WriteText(importer, r.Warnings);
    }

    private static void WriteText(NpgsqlBinaryImporter importer, string? value)
    {
        if (value is null)
        {
            importer.WriteNull();
        }
        else
        {
            importer.Write(value, NpgsqlDbType.Text);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_ownsDataSource)
        {
            await dataSource.DisposeAsync().ConfigureAwait(false);
        }
    }
}
