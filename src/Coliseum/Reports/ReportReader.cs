using System.Data;
using System.Data.Common;
using Coliseum.Processing;
using Microsoft.Data.Sqlite;

namespace Coliseum.Reports;

/// <summary>
/// One report's reads: a single read snapshot (so the data and the consumer cursors agree), and the
/// queries every report shares over <c>coliseum_rollups</c> and <c>coliseum_rollup_users</c>.
/// </summary>
internal sealed class ReportReader : IAsyncDisposable
{
    private readonly DbConnection _connection;
    private readonly DbTransaction _transaction;

    private ReportReader(DbConnection connection, DbTransaction transaction, TimeBuckets buckets, TimeZoneInfo zone)
    {
        _connection = connection;
        _transaction = transaction;
        Buckets = buckets;
        Zone = zone;
    }

    public TimeBuckets Buckets { get; }

    /// <summary>The configured processing time zone (the one the day rollups are in).</summary>
    public TimeZoneInfo Zone { get; }

    public static async Task<ReportReader> OpenAsync(IProcessorStore store, ProcessingOptions processing, CancellationToken cancellationToken)
    {
        var connection = await store.OpenReaderAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var transaction = BeginSnapshot(connection);
            return new ReportReader(connection, transaction, TimeBuckets.For(processing.TimeZone), ZoneOf(processing.TimeZone));
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>The configured zone as <see cref="TimeBuckets.For"/> resolves it.</summary>
    public static TimeZoneInfo ZoneOf(string zoneId) =>
        string.IsNullOrEmpty(zoneId) || zoneId.Equals("UTC", StringComparison.OrdinalIgnoreCase) ? TimeZoneInfo.Utc : TimeZoneInfo.FindSystemTimeZoneById(zoneId);

    /// <summary>
    /// SQLite-specific: a deferred BEGIN, whose snapshot (WAL) is taken by the first read and held to the end;
    /// Microsoft.Data.Sqlite's isolation levels would start BEGIN IMMEDIATE and take the write lock. The
    /// PostgreSQL port uses <c>BeginTransaction(IsolationLevel.RepeatableRead)</c> for the same snapshot.
    /// </summary>
    private static DbTransaction BeginSnapshot(DbConnection connection) =>
        connection is SqliteConnection sqlite ? sqlite.BeginTransaction(deferred: true) : connection.BeginTransaction(IsolationLevel.RepeatableRead);

    public async ValueTask DisposeAsync()
    {
        await _transaction.DisposeAsync().ConfigureAwait(false);
        await _connection.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>The three consumers' cursors, read first so the snapshot starts with them.</summary>
    public async Task<ReportPositions> PositionsAsync(CancellationToken cancellationToken)
    {
        var cursors = new Dictionary<string, long>(StringComparer.Ordinal);
        await foreach (var row in RowsAsync("SELECT name, position FROM consumer_cursors", cancellationToken))
        {
            cursors[row.GetString(0)] = row.GetInt64(1);
        }
        return new ReportPositions(cursors.GetValueOrDefault("coliseum"), cursors.GetValueOrDefault("treasury"), cursors.GetValueOrDefault("mediaid"));
    }

    public DbCommand Command(string sql, params ReadOnlySpan<(string Name, object? Value)> parameters) => Db.Command(_connection, _transaction, sql, parameters);

    public async IAsyncEnumerable<DbDataReader> RowsAsync(string sql, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
    {
        await using var command = Command(sql, parameters);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return reader;
        }
    }

    public Task<long> ScalarAsync(string sql, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters) =>
        Db.ScalarAsync(_connection, _transaction, sql, cancellationToken, parameters);

    /// <summary>The start (Unix ms) of a calendar day in the configured zone: the day bucket of its noon.</summary>
    public long DayStart(DateOnly day) => Buckets.DayStart(Instant(day, TimeOnly.FromTimeSpan(TimeSpan.FromHours(12)), Zone));

    public static long Instant(DateOnly day, TimeOnly time, TimeZoneInfo zone) =>
        new DateTimeOffset(TimeZoneInfo.ConvertTimeToUtc(day.ToDateTime(time, DateTimeKind.Unspecified), zone), TimeSpan.Zero).ToUnixTimeMilliseconds();

    /// <summary>The day starts of <paramref name="from"/>..<paramref name="to"/> (inclusive) and the end of the last day.</summary>
    public (long[] Days, long End) DaysOf(DateOnly from, DateOnly to)
    {
        var days = new long[to.DayNumber - from.DayNumber + 1];
        for (var i = 0; i < days.Length; i++)
        {
            days[i] = DayStart(from.AddDays(i));
        }
        return (days, DayStart(to.AddDays(1)));
    }

    /// <summary>The day (or hour) rollup rows of one metric, entity and currency with bucket_start in [from, end).</summary>
    public async Task<Dictionary<long, RollupRow>> RollupsAsync(string metric, string entityType, string entityId, string currency, long from, long end, CancellationToken cancellationToken, string bucket = "day")
    {
        var rows = new Dictionary<long, RollupRow>();
        await foreach (var row in RowsAsync("""
            SELECT bucket_start, count, sum, users FROM coliseum_rollups
            WHERE metric_type = @m AND entity_type = @t AND entity_id = @i AND currency = @c AND bucket = @b AND bucket_start >= @f AND bucket_start < @e
            """, cancellationToken, ("@m", metric), ("@t", entityType), ("@i", entityId), ("@c", currency), ("@b", bucket), ("@f", from), ("@e", end)))
        {
            rows[row.GetInt64(0)] = new RollupRow(row.GetInt64(1), row.GetInt64(2), row.GetInt64(3));
        }
        return rows;
    }

    /// <summary>
    /// The currencies a metric has rollups in for one entity ('' for non-money metrics), each found with
    /// one index seek (<c>MIN(currency) … currency &gt; previous</c>) instead of a scan of every bucket.
    /// </summary>
    public async Task<List<string>> CurrenciesAsync(string metric, string entityType, string entityId, CancellationToken cancellationToken)
    {
        var currencies = new List<string>();
        await using var command = Command(
            "SELECT MIN(currency) FROM coliseum_rollups WHERE metric_type = @m AND entity_type = @t AND entity_id = @i AND currency > @after",
            ("@m", metric), ("@t", entityType), ("@i", entityId), ("@after", ""));
        var after = "";
        // '' sorts first: look for it exactly, then seek past each currency found.
        if (await ScalarAsync("SELECT COUNT(*) FROM (SELECT 1 FROM coliseum_rollups WHERE metric_type = @m AND entity_type = @t AND entity_id = @i AND currency = '' LIMIT 1) x",
                cancellationToken, ("@m", metric), ("@t", entityType), ("@i", entityId)).ConfigureAwait(false) > 0)
        {
            currencies.Add("");
        }
        while (currencies.Count < 1_000)
        {
            command.Parameters[3].Value = after;
            if (await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is not string next)
            {
                break;
            }
            currencies.Add(next);
            after = next;
        }
        return currencies;
    }

    /// <summary>Every metric type that has rollups, one index seek each.</summary>
    public async Task<List<string>> MetricTypesAsync(CancellationToken cancellationToken)
    {
        var metrics = new List<string>();
        await using var command = Command("SELECT MIN(metric_type) FROM coliseum_rollups WHERE metric_type > @after", ("@after", ""));
        while (metrics.Count < 10_000 && await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is string next)
        {
            metrics.Add(next);
            command.Parameters[0].Value = next;
        }
        return metrics;
    }

    /// <summary>
    /// The hashed distinct users of several rollups (e.g. one metric's day rollups over a range): their union is
    /// the exact distinct count across them (up to 64-bit hash collisions), which summing <c>users</c> is not.
    /// </summary>
    public async Task AddUsersAsync(HashSet<long> users, string metric, string entityType, string entityId, string currency, string bucket, IEnumerable<long> bucketStarts, CancellationToken cancellationToken)
    {
        await using var command = Command("SELECT user_hash FROM coliseum_rollup_users WHERE bucket_start = @s AND rollup_hash = @h", ("@s", 0L), ("@h", 0L));
        foreach (var start in bucketStarts)
        {
            command.Parameters[0].Value = start;
            command.Parameters[1].Value = RollupHash(metric, entityType, entityId, currency, bucket, start);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                users.Add(reader.GetInt64(0));
            }
        }
    }

    /// <summary>Must equal the coliseum consumer's RollupKey.Hash (Coliseum.Core, ColiseumBatch.cs).</summary>
    public static long RollupHash(string metric, string entityType, string entityId, string currency, string bucket, long bucketStart) =>
        StableHash.Start().Add(metric).Add(entityType).Add(entityId).Add(currency).Add(bucket).Add(bucketStart).Value;

    /// <summary>The user hash stored in coliseum_rollup_users for a user id.</summary>
    public static long UserHash(string userId) => StableHash.Start().Add(userId).Value;

    /// <summary>Display names of entities (the id when none is known).</summary>
    public async Task<Dictionary<string, string>> NamesAsync(string entityType, IEnumerable<string> ids, CancellationToken cancellationToken)
    {
        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        await using var command = Command("SELECT name FROM coliseum_entities WHERE entity_type = @t AND entity_id = @i", ("@t", entityType), ("@i", ""));
        foreach (var id in ids.Distinct(StringComparer.Ordinal))
        {
            command.Parameters[1].Value = id;
            names[id] = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) as string ?? id;
        }
        return names;
    }

    /// <summary>Top dimension values of one subject in coliseum_breakdowns over [from, end), by count then id.</summary>
    public async Task<List<(string Id, long Count)>> BreakdownAsync(string subjectType, string subjectId, string dimension, long from, long end, int limit, CancellationToken cancellationToken)
    {
        var top = new List<(string, long)>();
        await foreach (var row in RowsAsync("""
            SELECT dimension_id, CAST(SUM(count) AS bigint) AS total FROM coliseum_breakdowns
            WHERE subject_type = @st AND subject_id = @si AND dimension = @d AND bucket_start >= @f AND bucket_start < @e
            GROUP BY dimension_id ORDER BY total DESC, dimension_id LIMIT @n
            """, cancellationToken, ("@st", subjectType), ("@si", subjectId), ("@d", dimension), ("@f", from), ("@e", end), ("@n", (long)limit)))
        {
            top.Add((row.GetString(0), row.GetInt64(1)));
        }
        return top;
    }

    public static string Date(long unixMs, TimeZoneInfo zone) =>
        DateOnly.FromDateTime(TimeZoneInfo.ConvertTimeFromUtc(DateTime.UnixEpoch.AddMilliseconds(unixMs), zone)).ToString(ReportRequest.DateFormat, System.Globalization.CultureInfo.InvariantCulture);

    public static string? Iso(long? unixMs) => unixMs is { } ms ? DateTimeOffset.FromUnixTimeMilliseconds(ms).ToString("yyyy-MM-ddTHH:mm:ss.fffZ", System.Globalization.CultureInfo.InvariantCulture) : null;

    public static double Rate(long part, long whole) => whole == 0 ? 0 : Math.Round((double)part / whole, 4);
}

internal readonly record struct RollupRow(long Count, long Sum, long Users);
