using System.Text;
using Coliseum.Capture;
using Npgsql;
using NpgsqlTypes;

namespace Coliseum.Storage.Postgres;

/// <summary>
/// The Passport log on PostgreSQL (<c>passport_log</c>, migration 001 in <c>Scripts/Postgres</c>), in the schema
/// the data source's search_path names (<see cref="PostgresDataSource.Create"/>). Several processes may append
/// to one database at once. An append first claims its message ids (COPY into <c>passport_message_ids</c>,
/// whose unique index needs no lock of ours), then takes its positions. A small append (at most
/// <see cref="SmallAppend"/> events) holds the one-row <c>passport_log_head</c> lock from taking them until it
/// commits. A large one takes them in a short transaction of its own that also records them as pending
/// (<c>passport_log_pending</c>, naming the append's transaction), then COPYs its rows beside other appends and
/// deletes its pending row in the transaction that adds them. Readers read only below the first pending position
/// whose transaction has not aborted (<see cref="SafeHead"/>), so a late commit is never skipped; a failed large
/// append leaves a gap in positions. Each commit sends a NOTIFY (<see cref="Processing.Notifications"/>). The data
/// source belongs to the caller (disposing the store leaves it open) unless the store was made by <see cref="Open"/>.
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

    /// <summary>
    /// Two: large appends COPY their rows side by side, and while one does, the next claims its message ids.
    /// </summary>
    public int ConcurrentAppends => 2;

    /// <summary>
    /// Every append holds the head lock from taking its positions until it commits, as small ones always do, so an
    /// append that fails leaves no gap and the next one takes the positions it would have had. For
    /// <c>coliseum migrate-data</c>, whose positions must come out as the source's; the price is that large appends
    /// then COPY one at a time.
    /// </summary>
    public bool SerialAppends { get; init; }

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

        // Before positions are taken: the unique index alone keeps two appends (in any process) from both storing an id.
        var (appendId, transactionId, fresh) = candidates.Count <= SmallAppend
            ? await ClaimFewIdsAsync(connection, transaction, records, candidates, cancellationToken).ConfigureAwait(false)
            : await ClaimIdsAsync(connection, transaction, records, candidates, cancellationToken).ConfigureAwait(false);
        if (fresh.Count == 0)
        {
            return; // nothing written; disposing the transaction rolls it back
        }
        if (fresh.Count <= SmallAppend)
        {
            await InsertFewRowsAsync(connection, transaction, records, fresh, appendId, cancellationToken).ConfigureAwait(false);
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            foreach (var i in fresh)
            {
                inserted[i] = true;
            }
            return;
        }

        // The rows are encoded before the positions are known (and patched in after), so that the COPY runs as fast
        // as PostgreSQL reads rather than as fast as this thread, which shares the machine with the requests, writes.
        await using var rows = PostgresCopyWriter.Prepare();
        var prepared = 0;
        while (prepared < fresh.Count && rows.Length < PostgresCopyWriter.PrepareLimit)
        {
            rows.WriteEntry(records[fresh[prepared++]], 0);
        }

        long head;
        if (SerialAppends)
        {
            // Held until commit: the next append (any process) waits here, then reads the head this one committed.
            // The same round trip records where this append's rows begin.
            await using var lockHead = new NpgsqlCommand($"""
                {LockHead}
                {AdvanceHead}
                """, connection, transaction);
            lockHead.Parameters.Add(new NpgsqlParameter("append", NpgsqlDbType.Bigint) { Value = appendId });
            lockHead.Parameters.Add(new NpgsqlParameter("count", NpgsqlDbType.Bigint) { Value = (long)fresh.Count });
            head = (long)(await lockHead.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        }
        else
        {
            head = await TakePositionsAsync(appendId, transactionId, fresh.Count, cancellationToken).ConfigureAwait(false);
            // Rows and the end of the pending mark become visible in one commit; the NOTIFY goes out with them.
            await using var done = new NpgsqlCommand($"""
                DELETE FROM passport_log_pending WHERE first_position = @first;
                SELECT {NotifyPosition} FROM (SELECT CAST(@last AS bigint) AS position) AS appended;
                """, connection, transaction);
            done.Parameters.Add(new NpgsqlParameter("first", NpgsqlDbType.Bigint) { Value = head + 1 });
            done.Parameters.Add(new NpgsqlParameter("last", NpgsqlDbType.Bigint) { Value = head + fresh.Count });
            await done.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        rows.SetPositions(head + 1);
        await rows.StartAsync(connection, $"passport_log ({CopyColumns})", cancellationToken).ConfigureAwait(false);
        for (var n = prepared; n < fresh.Count; n++)
        {
            rows.WriteEntry(records[fresh[n]], head + 1 + n);
        }
        await rows.CompleteAsync(cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);

        foreach (var i in fresh)
        {
            inserted[i] = true;
        }
    }

    /// <summary>
    /// Stores the message ids of <paramref name="candidates"/> that are not stored yet, as this append's new rows
    /// 1, 2, … in list order (<c>ordinal</c>), and returns their indexes in order. Runs in the savepoint <c>claim</c>.
    /// </summary>
    /// <remarks>
    /// Most batches hold no id that is stored already, so the first try only COPYs them in: a plain insert into the
    /// unique index, about a third of the cost of <c>INSERT … ON CONFLICT</c>, whose speculative insertion checks
    /// the index twice. When one id is a duplicate, the COPY fails with a unique violation, the savepoint is rolled
    /// back and <see cref="ClaimNewIdsAsync"/> numbers only the new ones. Ids go in sorted, in every process: two
    /// appends that share ids then wait for each other in one order, never in a cycle.
    /// </remarks>
    private static async Task<(long AppendId, long TransactionId, List<int> Fresh)> ClaimIdsAsync(NpgsqlConnection connection, NpgsqlTransaction transaction,
        IReadOnlyList<PassportRecord> records, List<int> candidates, CancellationToken cancellationToken)
    {
        long appendId;
        long transactionId;
        await using (var begin = new NpgsqlCommand(BeginLargeClaim, connection, transaction))
        await using (var reader = await begin.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            (appendId, transactionId) = (reader.GetInt64(0), reader.GetInt64(1));
        }
        var ids = IdsOf(records, candidates);
        var sortedIds = (string[])ids.Clone();
        var sorted = new int[ids.Length];
        for (var n = 0; n < sorted.Length; n++)
        {
            sorted[n] = n;
        }
        Array.Sort(sortedIds, sorted, StringComparer.Ordinal);
        try
        {
            await using var copy = await PostgresCopyWriter.BeginAsync(connection, "passport_message_ids (message_id, append_id, ordinal)", cancellationToken).ConfigureAwait(false);
            for (var k = 0; k < sorted.Length; k++)
            {
                copy.WriteId(sortedIds[k], appendId, sorted[k] + 1);
            }
            await copy.CompleteAsync(cancellationToken).ConfigureAwait(false);
            return (appendId, transactionId, candidates);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            // A stored id: numbered below without it.
        }
        await RollBackClaimAsync(connection, transaction, cancellationToken).ConfigureAwait(false);
        return (appendId, transactionId, await ClaimNewIdsRetryingAsync(connection, transaction, candidates, ids, appendId, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>
    /// Appends of at most this many events (single events, small batches) claim their ids and write their rows with
    /// one statement each, the rows computed from the locked head inside the database: three round trips in all,
    /// two of them under the head lock (rows and commit), where COPY and positions taken apart would take six.
    /// </summary>
    private const int SmallAppend = 256;

    /// <summary>Starts the transaction's work: durable commit, this append's id, and the savepoint the claims roll back to.</summary>
    private const string BeginClaim = """
        SET LOCAL synchronous_commit TO on;
        SELECT nextval('passport_append_ids');
        SAVEPOINT claim;
        """;

    /// <summary>
    /// <see cref="BeginClaim"/> for a large append, whose first result is its append id and its transaction's id: the
    /// transaction gets its id here, before it takes positions, so that a reader can ask whether it is still running
    /// (<see cref="SafeHead"/>). It also takes the log's append lock shared: a privacy erasure takes it exclusively
    /// (<see cref="Processing.SqlDialect.LockLog"/>) to wait for every large append in flight and keep new ones out.
    /// </summary>
    private const string BeginLargeClaim = $"""
        SET LOCAL synchronous_commit TO on;
        SELECT nextval('passport_append_ids'), CAST(CAST(pg_current_xact_id() AS text) AS bigint);
        SELECT pg_advisory_xact_lock_shared({Processing.SqlDialect.AppendLockKey});
        SAVEPOINT claim;
        """;

    /// <summary>
    /// A large append's positions, taken in a short transaction on a connection of its own (the append's own stays
    /// open): the head moves past them, <c>passport_appends</c> records where they begin, and
    /// <c>passport_log_pending</c> records them with the append's transaction id until that transaction deletes
    /// the row as it commits. Readers stop below them meanwhile (<see cref="SafeHead"/>). Its commit need not wait for
    /// the disk: the append's own durable commit comes later in the same write-ahead log, so it cannot survive a
    /// crash without this. Pending rows of appends that aborted (a failure, a killed process) are swept here. Returns
    /// the head before them.
    /// </summary>
    private async Task<long> TakePositionsAsync(long appendId, long transactionId, int count, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var take = new NpgsqlCommand("""
            BEGIN;
            SET LOCAL synchronous_commit TO off;
            UPDATE passport_log_head SET position = position + @count WHERE id = 1 RETURNING position - @count;
            INSERT INTO passport_appends (append_id, first_position) SELECT @append, position - @count + 1 FROM passport_log_head WHERE id = 1;
            INSERT INTO passport_log_pending (first_position, last_position, xid)
                SELECT position - @count + 1, position, CAST(CAST(@xid AS text) AS xid8) FROM passport_log_head WHERE id = 1;
            DELETE FROM passport_log_pending WHERE coalesce(pg_xact_status(xid), 'aborted') = 'aborted';
            COMMIT;
            """, connection);
        take.Parameters.Add(new NpgsqlParameter("append", NpgsqlDbType.Bigint) { Value = appendId });
        take.Parameters.Add(new NpgsqlParameter("count", NpgsqlDbType.Bigint) { Value = (long)count });
        take.Parameters.Add(new NpgsqlParameter("xid", NpgsqlDbType.Bigint) { Value = transactionId });
        return (long)(await take.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    /// <summary>Takes the head lock (held until commit) and records where this append's rows begin; the head is the first result.</summary>
    private const string LockHead = """
        SELECT position FROM passport_log_head WHERE id = 1 FOR UPDATE;
        INSERT INTO passport_appends (append_id, first_position) SELECT @append, position + 1 FROM passport_log_head WHERE id = 1;
        """;

    /// <summary>Moves the locked head past this append's <c>@count</c> rows and queues the NOTIFY of the new head.</summary>
    private const string AdvanceHead = $"""
        UPDATE passport_log_head SET position = position + @count WHERE id = 1;
        {Notify}
        """;

    private static async Task RollBackClaimAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        await using var undo = new NpgsqlCommand("ROLLBACK TO SAVEPOINT claim", connection, transaction);
        await undo.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static string[] IdsOf(IReadOnlyList<PassportRecord> records, List<int> candidates)
    {
        var ids = new string[candidates.Count];
        for (var n = 0; n < ids.Length; n++)
        {
            ids[n] = records[candidates[n]].MessageId;
        }
        return ids;
    }

    /// <summary>
    /// <see cref="ClaimIdsAsync"/> for a few ids: the append id, the savepoint and the ids (sorted, as there) in one
    /// round trip.
    /// </summary>
    private static async Task<(long AppendId, long TransactionId, List<int> Fresh)> ClaimFewIdsAsync(NpgsqlConnection connection, NpgsqlTransaction transaction,
        IReadOnlyList<PassportRecord> records, List<int> candidates, CancellationToken cancellationToken)
    {
        var ids = IdsOf(records, candidates);
        try
        {
            await using var claim = new NpgsqlCommand($"""
                {BeginClaim}
                INSERT INTO passport_message_ids (message_id, append_id, ordinal)
                SELECT t.id, currval('passport_append_ids'), t.n FROM unnest(@ids) WITH ORDINALITY AS t(id, n) ORDER BY t.id;
                """, connection, transaction);
            claim.Parameters.Add(new NpgsqlParameter("ids", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = ids });
            await claim.PrepareAsync(cancellationToken).ConfigureAwait(false);
            return ((long)(await claim.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!, 0, candidates);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            // A stored id: numbered below without it. The savepoint was made before the insert failed.
        }
        long appendId;
        await using (var current = new NpgsqlCommand("ROLLBACK TO SAVEPOINT claim; SELECT currval('passport_append_ids')", connection, transaction))
        {
            appendId = (long)(await current.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        }
        return (appendId, 0, await ClaimNewIdsRetryingAsync(connection, transaction, candidates, ids, appendId, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>
    /// Under the head lock, in one round trip: the rows of <paramref name="fresh"/> at head+1, head+2, … (the
    /// database adds the head it has just locked), the append's first position, the head moved past them, the NOTIFY.
    /// </summary>
    private static async Task InsertFewRowsAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<PassportRecord> records,
        List<int> fresh, long appendId, CancellationToken cancellationToken)
    {
        T[] Column<T>(Func<PassportRecord, T> field)
        {
            var values = new T[fresh.Count];
            for (var n = 0; n < values.Length; n++)
            {
                values[n] = field(records[fresh[n]]);
            }
            return values;
        }
        await using var insert = new NpgsqlCommand($"""
            {LockHead}
            INSERT INTO passport_log ({CopyColumns})
            SELECT h.position + t.n, t.message_id, t.event_type, t.event_category, t.user_id, t.anonymous_id, t.session_id, t.device_id,
                   t.entity_type, t.entity_id, t.metadata, t.context, t.occurred_at, t.client_at, t.sent_at, t.received_at, t.source, t.warnings
            FROM passport_log_head h,
                 unnest(@message_id, @event_type, @event_category, @user_id, @anonymous_id, @session_id, @device_id, @entity_type, @entity_id,
                        @metadata, @context, @occurred_at, @client_at, @sent_at, @received_at, @source, @warnings)
                 WITH ORDINALITY AS t(message_id, event_type, event_category, user_id, anonymous_id, session_id, device_id, entity_type, entity_id,
                                      metadata, context, occurred_at, client_at, sent_at, received_at, source, warnings, n)
            WHERE h.id = 1
            ORDER BY t.n;
            {AdvanceHead}
            """, connection, transaction);
        var parameters = insert.Parameters;
        parameters.Add(new NpgsqlParameter("append", NpgsqlDbType.Bigint) { Value = appendId });
        parameters.Add(new NpgsqlParameter("count", NpgsqlDbType.Bigint) { Value = (long)fresh.Count });
        void Texts(string name, Func<PassportRecord, string?> field) =>
            parameters.Add(new NpgsqlParameter(name, NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = Column(field) });
        void Jsons(string name, Func<PassportRecord, byte[]?> field) =>
            parameters.Add(new NpgsqlParameter(name, NpgsqlDbType.Array | NpgsqlDbType.Jsonb) { Value = Column(r => field(r) is { } json ? Encoding.UTF8.GetString(json) : null) });
        void Bigints(string name, Func<PassportRecord, long?> field) =>
            parameters.Add(new NpgsqlParameter(name, NpgsqlDbType.Array | NpgsqlDbType.Bigint) { Value = Column(field) });
        Texts("message_id", r => r.MessageId);
        Texts("event_type", r => r.EventType);
        Texts("event_category", r => r.EventCategory);
        Texts("user_id", r => r.UserId);
        Texts("anonymous_id", r => r.AnonymousId);
        Texts("session_id", r => r.SessionId);
        Texts("device_id", r => r.DeviceId);
        Texts("entity_type", r => r.EntityType);
        Texts("entity_id", r => r.EntityId);
        Jsons("metadata", r => r.Metadata);
        Jsons("context", r => r.Context);
        Bigints("occurred_at", r => r.OccurredAt);
        Bigints("client_at", r => r.ClientAt);
        Bigints("sent_at", r => r.SentAt);
        Bigints("received_at", r => r.ReceivedAt);
        Texts("source", r => r.Source);
        Texts("warnings", r => r.Warnings);
        // Prepared once per connection (Npgsql keeps it across the pool's reuse): planning this statement cost more
        // than running it for a few rows.
        await insert.PrepareAsync(cancellationToken).ConfigureAwait(false);
        await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// <see cref="ClaimNewIdsAsync"/> once the caller has rolled back to the savepoint <c>claim</c>; again (rolling
    /// back again) if another process stored one of the new ids meanwhile.
    /// </summary>
    private static async Task<List<int>> ClaimNewIdsRetryingAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, List<int> candidates,
        string[] ids, long appendId, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await ClaimNewIdsAsync(connection, transaction, candidates, ids, appendId, cancellationToken).ConfigureAwait(false);
            }
            catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UniqueViolation && attempt < 5)
            {
                // Another process stored one of the new ids between the look-up and the insert: look again.
            }
            await RollBackClaimAsync(connection, transaction, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Delivered at commit to every process listening on this database (PostgresWakeups); the schema in the payload
    /// tells them apart when several Coliseums share one database. Rolled back with the transaction.
    /// </summary>
    private const string Notify = $"SELECT {NotifyPosition} FROM passport_log_head WHERE id = 1;";

    /// <summary><see cref="Notify"/>'s call, of a column <c>position</c>: the locked head, or a large append's last position.</summary>
    private const string NotifyPosition =
        $"pg_notify('{Processing.Notifications.Channel}', current_schema() || ' log ' || CAST(position AS text))";

    /// <summary>The claim when some ids are stored already: only the new ones are numbered, in list order.</summary>
    private static async Task<List<int>> ClaimNewIdsAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, List<int> candidates, string[] ids, long appendId, CancellationToken cancellationToken)
    {
        await using var claim = new NpgsqlCommand("""
            WITH input AS (
                SELECT t.id, t.n FROM unnest(@ids) WITH ORDINALITY AS t(id, n)
                WHERE NOT EXISTS (SELECT 1 FROM passport_message_ids m WHERE m.message_id = t.id)
            ), numbered AS (
                SELECT id, n, row_number() OVER (ORDER BY n) AS ordinal FROM input
            ), stored AS (
                INSERT INTO passport_message_ids (message_id, append_id, ordinal)
                SELECT id, @append, ordinal FROM numbered ORDER BY id RETURNING 1
            )
            SELECT n FROM numbered ORDER BY n
            """, connection, transaction);
        claim.Parameters.Add(new NpgsqlParameter("ids", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = ids });
        claim.Parameters.Add(new NpgsqlParameter("append", NpgsqlDbType.Bigint) { Value = appendId });
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
    /// append. It locks out appends as an erasure does (<see cref="Processing.SqlDialect.LockLog"/>: large appends in
    /// flight finish first), so it never runs beside another process's append or partition: an append COPYing rows of
    /// that month into DEFAULT meanwhile (a month that process still counts as too far ahead) would make the attach fail.
    /// </summary>
    private async Task MakeMonthsAsync(NpgsqlConnection connection, DateOnly[] months, CancellationToken cancellationToken)
    {
        // Most are made already (by the migration, another process, an earlier store): only those missing take the lock.
        var missing = new List<DateOnly>();
        await using (var find = new NpgsqlCommand("""
            SELECT m FROM unnest(@months) AS m WHERE to_regclass('passport_log_y' || to_char(m, 'YYYY') || 'm' || to_char(m, 'MM')) IS NULL
            """, connection))
        {
            find.Parameters.Add(new NpgsqlParameter("months", NpgsqlDbType.Array | NpgsqlDbType.Date) { Value = months });
            await using var reader = await find.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                missing.Add(reader.GetFieldValue<DateOnly>(0));
            }
        }
        if (missing.Count > 0)
        {
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using var make = new NpgsqlCommand($"""
                {Processing.SqlDialect.Postgres.LockLog};
                SELECT passport_log_make_month(m) FROM unnest(@months) AS m;
                """, connection, transaction);
            make.Parameters.Add(new NpgsqlParameter("months", NpgsqlDbType.Array | NpgsqlDbType.Date) { Value = missing.ToArray() });
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

    public async ValueTask DisposeAsync()
    {
        if (_ownsDataSource)
        {
            await dataSource.DisposeAsync().ConfigureAwait(false);
        }
    }
}
