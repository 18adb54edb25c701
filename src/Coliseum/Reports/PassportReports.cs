using Coliseum.Processing;

namespace Coliseum.Reports;

/// <summary>
/// The <c>passport</c> report, one fan's year in review (or any range): their user rollups, the
/// treasury ledger lines they own, the events and artists of coliseum_breakdowns, and their mediaid profile.
/// </summary>
internal static class PassportReports
{
    public const int TopSize = 10;
    public const int MaxEvents = 100;

    public static async Task<PassportReport> ComputeAsync(ReportReader db, ReportParams p, CancellationToken ct)
    {
        var user = p.UserId!;
        var (days, end) = db.DaysOf(p.FromDate, p.ToDate);
        var from = days[0];
        async Task<(long Count, long Sum)> TotalAsync(string metric, string currency = "")
        {
            var rows = await db.RollupsAsync(metric, "user", user, currency, from, end, ct);
            return (rows.Values.Sum(r => r.Count), rows.Values.Sum(r => r.Sum));
        }

        var attended = await TotalAsync("concierto.event_attended");
        var plays = await TotalAsync("player.track_played");
        var seconds = await TotalAsync(Metric.ListeningSeconds);
        var votes = await TotalAsync(Metric.Votes);
        var cast = await TotalAsync("coliseum.vote_cast");

        var money = new SortedDictionary<string, UserMoney>(StringComparer.Ordinal);
        UserMoney Of(string currency) => money.TryGetValue(currency, out var m) ? m : new UserMoney(currency, 0, 0, 0, 0);
        await foreach (var row in db.RowsAsync("""
            SELECT currency, kind, CAST(SUM(amount_cents) AS bigint) FROM treasury_ledger
            WHERE owner_type = 'user' AND owner_id = @u AND occurred_at >= @f AND occurred_at < @e AND kind IN ('spent', 'refunded', 'earned')
            GROUP BY currency, kind
            """, ct, ("@u", user), ("@f", from), ("@e", end)))
        {
            var currency = row.GetString(0);
            var cents = row.GetInt64(2);
            money[currency] = row.GetString(1) switch
            {
                "spent" => Of(currency) with { SpentCents = cents },
                "refunded" => Of(currency) with { RefundedCents = cents },
                _ => Of(currency) with { EarnedCents = cents },
            };
        }
        foreach (var currency in await db.CurrenciesAsync("treasury.tip_sent", "user", user, ct))
        {
            var (_, sum) = await TotalAsync("treasury.tip_sent", currency);
            if (sum != 0)
            {
                money[currency] = Of(currency) with { TipsSentCents = sum };
            }
        }

        var events = await db.BreakdownAsync("user", user, "event", from, end, MaxEvents, ct);
        var eventNames = await db.NamesAsync("event", events.Select(e => e.Id), ct);
        var artists = await db.BreakdownAsync("user", user, "artist", from, end, TopSize, ct);
        var artistNames = await db.NamesAsync("artist", artists.Select(a => a.Id), ct);
        return new PassportReport(user, p.From!, p.To!, await ProfileAsync(db, user, ct),
            attended.Count, [.. events.Select(e => new Ranked(e.Id, eventNames[e.Id], e.Count))],
            plays.Count, seconds.Sum, votes.Sum, cast.Count,
            [.. money.Values], [.. artists.Select(a => new Ranked(a.Id, artistNames[a.Id], a.Count))]);
    }

    /// <summary>The user's mediaid profile (all time), or null when mediaid has not seen them.</summary>
    public static async Task<PassportProfile?> ProfileAsync(ReportReader db, string user, CancellationToken ct)
    {
        await foreach (var row in db.RowsAsync("SELECT first_seen, last_seen, event_count, signed_up_at, last_login_at FROM mediaid_profiles WHERE user_id = @u", ct, ("@u", user)))
        {
            return new PassportProfile(ReportReader.Iso(row.GetInt64(0))!, ReportReader.Iso(row.GetInt64(1))!, row.GetInt64(2),
                ReportReader.Iso(Db.Int64(row, 3)), ReportReader.Iso(Db.Int64(row, 4)));
        }
        return null;
    }
}
