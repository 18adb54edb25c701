using System.Data.Common;
using Coliseum.Processing;
using Coliseum.Processing.Coliseum;

namespace Coliseum.Query;

/// <summary>
/// Time series over <c>coliseum_rollups</c>: one point per hour or day bucket, empty buckets as zeros.
/// Rollups are kept in the processing time zone; a day series in another zone is summed from the hourly
/// rollups (distinct users from the hashed members, so they stay exact), which works wherever that
/// zone's midnights fall on the stored hours.
/// </summary>
public sealed class Series(Processor processor)
{
    private const long HourMs = 3_600_000;

    private readonly TimeBuckets _stored = TimeBuckets.For(processor.Options.TimeZone);

    public string StoredZone => processor.Options.TimeZone;

    /// <summary>Bucket starts from the bucket holding <paramref name="from"/> up to, not including, <paramref name="to"/>; null when there would be more than <paramref name="max"/>.</summary>
    public static List<long>? Buckets(TimeBuckets zone, string bucket, long from, long to, int max)
    {
        var starts = new List<long>();
        var start = bucket == "hour" ? zone.HourStart(from) : zone.DayStart(from);
        while (start < to)
        {
            if (starts.Count == max)
            {
                return null;
            }
            starts.Add(start);
            start = Next(zone, bucket, start);
        }
        return starts;
    }

    public static long Next(TimeBuckets zone, string bucket, long start)
    {
        // A day is 23 to 25 hours long; 25 hours on is always inside the next day.
        var next = bucket == "hour" ? zone.HourStart(start + HourMs) : zone.DayStart(start + 25 * HourMs);
        return next > start ? next : start + HourMs;
    }

    /// <summary>Whether every bucket start lies on an hour the rollups were stored by (so they can be summed from them).</summary>
    public bool Aligned(IEnumerable<long> starts) => starts.All(s => _stored.HourStart(s) == s);

    /// <summary>The currencies this metric's rollups carry for one entity ("" for a non-money metric), at most a few.</summary>
    public async Task<List<string>> CurrenciesAsync(string metric, string entityType, string entityId, CancellationToken cancellationToken)
    {
        await using var connection = await processor.Store.OpenReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Db.Command(connection, null,
            "SELECT DISTINCT currency FROM coliseum_rollups WHERE metric_type = @m AND entity_type = @t AND entity_id = @e LIMIT 20",
            ("@m", metric), ("@t", entityType), ("@e", entityId));
        await using var rows = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var currencies = new List<string>();
        while (await rows.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            currencies.Add(rows.GetString(0));
        }
        return currencies;
    }

    /// <summary>Whether any rollup exists for this metric (custom event types have no catalogue entry to check against).</summary>
    public async Task<bool> KnownAsync(string metric, CancellationToken cancellationToken)
    {
        await using var connection = await processor.Store.OpenReaderAsync(cancellationToken).ConfigureAwait(false);
        return await Db.ScalarAsync(connection, null, "SELECT COUNT(*) FROM (SELECT 1 FROM coliseum_rollups WHERE metric_type = @m LIMIT 1) x", cancellationToken, ("@m", metric)).ConfigureAwait(false) > 0;
    }

    /// <summary>The points for <paramref name="starts"/> (the last bucket ends at <paramref name="end"/>); <paramref name="regroup"/> sums hourly rollups into these (longer) buckets.</summary>
    public async Task<List<SeriesPoint>> ReadAsync(string metric, string entityType, string entityId, string currency, string bucket, List<long> starts, long end, bool regroup, CancellationToken cancellationToken)
    {
        var totals = new Dictionary<long, (long Count, long Sum, long Users)>();
        if (starts.Count == 0)
        {
            return [];
        }
        var from = starts[0];
        var to = end;
        await using var connection = await processor.Store.OpenReaderAsync(cancellationToken).ConfigureAwait(false);
        await using (var command = Db.Command(connection, null, """
            SELECT bucket_start, count, sum, users FROM coliseum_rollups
            WHERE metric_type = @m AND entity_type = @t AND entity_id = @e AND currency = @c AND bucket = @b AND bucket_start >= @from AND bucket_start < @to
            ORDER BY bucket_start
            """, ("@m", metric), ("@t", entityType), ("@e", entityId), ("@c", currency), ("@b", regroup ? "hour" : bucket), ("@from", from), ("@to", to)))
        await using (var rows = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await rows.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var start = rows.GetInt64(0);
                var owner = regroup ? Owner(starts, start) : start;
                var t = totals.GetValueOrDefault(owner);
                totals[owner] = (t.Count + rows.GetInt64(1), t.Sum + rows.GetInt64(2), regroup ? 0 : rows.GetInt64(3));
            }
        }
        if (regroup)
        {
            await CountUsersAsync(connection, metric, entityType, entityId, currency, starts, to, totals, cancellationToken).ConfigureAwait(false);
        }
        return starts.Select(s => totals.TryGetValue(s, out var t)
            ? new SeriesPoint(Instant.Of(s), t.Count, t.Sum, t.Users)
            : new SeriesPoint(Instant.Of(s), 0, 0, 0)).ToList();
    }

    private static long Owner(List<long> starts, long hour)
    {
        var index = starts.BinarySearch(hour);
        return starts[index >= 0 ? index : ~index - 1];
    }

    /// <summary>Distinct users of each regrouped bucket: the union of its hours' hashed members.</summary>
    private static async Task CountUsersAsync(DbConnection connection, string metric, string entityType, string entityId, string currency, List<long> starts, long to, Dictionary<long, (long Count, long Sum, long Users)> totals, CancellationToken cancellationToken)
    {
        if (entityType == "user")
        {
            foreach (var (start, t) in totals.ToArray())
            {
                totals[start] = t with { Users = t.Count > 0 ? 1 : 0 };
            }
            return;
        }
        await using var command = Db.Command(connection, null, "SELECT user_hash FROM coliseum_rollup_users WHERE bucket_start = @s AND rollup_hash = @h", ("@s", 0L), ("@h", 0L));
        var users = new HashSet<long>();
        for (var i = 0; i < starts.Count; i++)
        {
            if (!totals.TryGetValue(starts[i], out var t))
            {
                continue;
            }
            users.Clear();
            var end = i + 1 < starts.Count ? starts[i + 1] : to;
            for (var hour = starts[i]; hour < end; hour += HourMs)
            {
                command.Parameters[0].Value = hour;
                command.Parameters[1].Value = new RollupKey(metric, entityType, entityId, currency, "hour", hour).Hash();
                await using var rows = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                while (await rows.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    users.Add(rows.GetInt64(0));
                }
            }
            totals[starts[i]] = t with { Users = users.Count };
        }
    }
}

public sealed record SeriesPoint(DateTime BucketStart, long Count, long Sum, long Users);

public sealed record SeriesResult(
    string MetricType,
    string EntityType,
    string? EntityId,
    string? Currency,
    string Bucket,
    string TimeZone,
    DateTime From,
    DateTime To,
    long LogPosition,
    IReadOnlyList<SeriesPoint> Points);
