using Coliseum.Processing;

namespace Coliseum.Reports;

/// <summary>
/// The <c>platform</c> report, a daily digest: every metric's whole-platform rollup for the day (count,
/// sum, distinct users), active users across all metrics, money per currency, sign-ups, and the top 3 of
/// each leaderboard's day window.
/// </summary>
internal static class PlatformReports
{
    public const int LeadersPerBoard = 3;

    public static async Task<PlatformReport> ComputeAsync(ReportReader db, ReportParams p, IEnumerable<string> boards, string configuredZone, CancellationToken ct)
    {
        var (start, end, bucket, _) = Window(p, db.Buckets, db.Zone, configuredZone);

        var metrics = new List<MetricTotal>();
        var active = new HashSet<long>();
        foreach (var metric in await db.MetricTypesAsync(ct))
        {
            foreach (var currency in await db.CurrenciesAsync(metric, "all", "", ct))
            {
                var rows = await db.RollupsAsync(metric, "all", "", currency, start, end, ct, bucket);
                if (rows.Count == 0)
                {
                    continue;
                }
                var users = new HashSet<long>();
                await db.AddUsersAsync(users, metric, "all", "", currency, bucket, rows.Keys.Order(), ct);
                active.UnionWith(users);
                metrics.Add(new MetricTotal(metric, currency, rows.Values.Sum(r => r.Count), rows.Values.Sum(r => r.Sum), users.Count));
            }
        }

        var money = metrics.Where(m => m.Currency.Length > 0).GroupBy(m => m.Currency).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g =>
        {
            long Sum(params string[] types) => g.Where(m => types.Contains(m.Metric)).Sum(m => m.Sum);
            return new PlatformMoney(g.Key, Sum("treasury.money_spent"), Sum("treasury.money_earned"), Sum("treasury.tip_sent"),
                Sum("concierto.ticket_purchased"), Sum("treasury.refund_issued", "concierto.ticket_refunded"), Sum(Metric.ArtistEarnings));
        }).ToList();

        var leaders = new List<BoardLeader>();
        string? note = null;
        if (bucket == "day")
        {
            foreach (var board in boards.Order(StringComparer.Ordinal))
            {
                await foreach (var row in db.RowsAsync("""
                    SELECT rank, entity_id, entity_name, score FROM coliseum_leaderboards
                    WHERE leaderboard_id = @b AND time_window = 'day' AND bucket_start = @s AND scope = '' AND rank <= @n ORDER BY rank
                    """, ct, ("@b", board), ("@s", start), ("@n", (long)LeadersPerBoard)))
                {
                    leaders.Add(new BoardLeader(board, row.GetInt32(0), row.GetString(1), row.GetString(2), row.GetInt64(3)));
                }
            }
        }
        else
        {
            note = $"leaderboard days are kept in the configured time zone ({configuredZone}), so no day window matches a {p.Tz} day";
        }
        return new PlatformReport(p.Day!, p.Tz ?? configuredZone, ReportReader.Iso(start)!, ReportReader.Iso(end)!, bucket,
            active.Count, metrics.Where(m => m.Metric == "passport.signed_up").Sum(m => m.Count), metrics, money, leaders, note);
    }

    /// <summary>
    /// The requested day as [start, end) and the rollup buckets that cover it exactly: the configured zone's day
    /// bucket when the day coincides with one, else its hour buckets when it starts and ends on hours of the
    /// configured zone, else a <see cref="ReportException"/> naming params.tz.
    /// </summary>
    public static (long Start, long End, string Bucket, long[] Starts) Window(ReportParams p, TimeBuckets buckets, TimeZoneInfo configured, string configuredName)
    {
        var zone = p.Tz is null ? configured : TimeZoneInfo.FindSystemTimeZoneById(p.Tz);
        var start = LocalMidnight(p.DayDate, zone);
        var end = LocalMidnight(p.DayDate.AddDays(1), zone);
        if (buckets.DayStart(start) == start && buckets.DayStart(end) == end && buckets.DayStart(end - 1) == start)
        {
            return (start, end, "day", [start]);
        }
        if (buckets.HourStart(start) == start && buckets.HourStart(end) == end)
        {
            var hours = new List<long>();
            for (var h = start; h < end; h = buckets.HourStart(h + 3_600_000 + 1))
            {
                hours.Add(h);
            }
            return (start, end, "hour", [.. hours]);
        }
        throw new ReportException($"a day in {p.Tz} does not start on an hour of the configured time zone ({configuredName}), so the rollups cannot answer it", "params.tz");
    }

    private static long LocalMidnight(DateOnly day, TimeZoneInfo zone)
    {
        var local = day.ToDateTime(TimeOnly.MinValue, DateTimeKind.Unspecified);
        while (zone.IsInvalidTime(local))
        {
            local = local.AddMinutes(30);
        }
        return new DateTimeOffset(TimeZoneInfo.ConvertTimeToUtc(local, zone), TimeSpan.Zero).ToUnixTimeMilliseconds();
    }
}

/// <summary>A report that cannot be computed for a reason the caller can fix (it fails with this message).</summary>
internal sealed class ReportException(string message, string? field = null) : Exception(message)
{
    public string? Field { get; } = field;
}
