namespace Coliseum.Reports;

/// <summary>
/// The <c>event</c> report over the event's whole life: the funnel views → tickets → check-ins →
/// attendance from its day rollups (distinct users from coliseum_rollup_users), revenue per currency,
/// the standing votes per artist (coliseum_votes), and who plays it (artist_event_participation).
/// </summary>
internal static class EventReports
{
    public const int MaxArtists = 100;

    private static readonly (string Step, string Metric)[] Steps =
    [
        ("views", "concierto.event_viewed"),
        ("tickets", "concierto.ticket_purchased"),
        ("checkins", "concierto.checked_in"),
        ("attendance", "concierto.event_attended"),
    ];

    public static async Task<EventReport> ComputeAsync(ReportReader db, ReportParams p, CancellationToken ct)
    {
        var eventId = p.EventId!;
        var funnel = new List<FunnelStep>();
        HashSet<long>? reached = null;
        long firstUsers = 0;
        foreach (var (step, metric) in Steps)
        {
            var (count, _, users) = await TotalsAsync(db, metric, eventId, ct);
            reached = reached is null ? [.. users] : [.. reached.Where(users.Contains)];
            if (funnel.Count == 0)
            {
                firstUsers = users.Count;
            }
            funnel.Add(new FunnelStep(step, metric, count, users.Count, reached.Count, ReportReader.Rate(reached.Count, firstUsers)));
        }

        var revenue = new SortedDictionary<string, EventRevenue>(StringComparer.Ordinal);
        EventRevenue Of(string currency) => revenue.TryGetValue(currency, out var r) ? r : new EventRevenue(currency, 0, 0, 0, 0, 0);
        foreach (var (metric, apply) in new (string, Func<EventRevenue, long, long, EventRevenue>)[]
        {
            ("concierto.ticket_purchased", (r, count, sum) => r with { Tickets = r.Tickets + count, TicketsCents = r.TicketsCents + sum }),
            ("concierto.ticket_refunded", (r, _, sum) => r with { RefundsCents = r.RefundsCents + sum }),
            ("treasury.money_spent", (r, _, sum) => r with { SpentCents = r.SpentCents + sum }),
        })
        {
            foreach (var currency in await db.CurrenciesAsync(metric, "event", eventId, ct))
            {
                if (currency.Length == 0)
                {
                    continue;
                }
                var rows = await db.RollupsAsync(metric, "event", eventId, currency, long.MinValue, long.MaxValue, ct);
                revenue[currency] = apply(Of(currency), rows.Values.Sum(r => r.Count), rows.Values.Sum(r => r.Sum));
            }
        }

        var artists = new List<(string Id, string? Role)>();
        await foreach (var row in db.RowsAsync("SELECT artist_id, role FROM artist_event_participation WHERE event_id = @e ORDER BY artist_id LIMIT @n", ct, ("@e", eventId), ("@n", (long)MaxArtists)))
        {
            artists.Add((row.GetString(0), row.IsDBNull(1) ? null : row.GetString(1)));
        }
        var votes = new List<(string Artist, long Votes, long Voters)>();
        await foreach (var row in db.RowsAsync("""
            SELECT artist_id, CAST(SUM(weight) AS bigint) AS votes, CAST(SUM(CASE WHEN weight > 0 THEN 1 ELSE 0 END) AS bigint) AS voters
            FROM coliseum_votes WHERE event_id = @e GROUP BY artist_id ORDER BY votes DESC, artist_id LIMIT @n
            """, ct, ("@e", eventId), ("@n", (long)MaxArtists)))
        {
            votes.Add((row.GetString(0), row.GetInt64(1), row.GetInt64(2)));
        }
        var names = await db.NamesAsync("artist", artists.Select(a => a.Id).Concat(votes.Select(v => v.Artist)), ct);
        var ratings = await db.RollupsAsync("concierto.event_rated", "event", eventId, "", long.MinValue, long.MaxValue, ct);
        // The rollups keep how many ratings there were, not their values (metric_value is 1 for a rating).
        var ratingCount = ratings.Values.Sum(r => r.Count);
        return new EventReport(eventId, (await db.NamesAsync("event", [eventId], ct))[eventId],
            [.. artists.Select(a => new EventArtist(a.Id, names[a.Id], a.Role))],
            funnel,
            [.. revenue.Values.Select(r => r with { NetTicketsCents = r.TicketsCents - r.RefundsCents })],
            [.. votes.Select(v => new ArtistVotes(v.Artist, names[v.Artist], v.Votes, v.Voters))],
            ratingCount);
    }

    /// <summary>A metric's count, sum and distinct users for the event over all its days and currencies.</summary>
    private static async Task<(long Count, long Sum, HashSet<long> Users)> TotalsAsync(ReportReader db, string metric, string eventId, CancellationToken ct)
    {
        long count = 0, sum = 0;
        var users = new HashSet<long>();
        foreach (var currency in await db.CurrenciesAsync(metric, "event", eventId, ct))
        {
            var rows = await db.RollupsAsync(metric, "event", eventId, currency, long.MinValue, long.MaxValue, ct);
            count += rows.Values.Sum(r => r.Count);
            sum += rows.Values.Sum(r => r.Sum);
            await db.AddUsersAsync(users, metric, "event", eventId, currency, "day", rows.Keys.Order(), ct);
        }
        return (count, sum, users);
    }
}
