using Coliseum.Processing;

namespace Coliseum.Reports;

/// <summary>The <c>artist</c> report: from the artist's day rollups, coliseum_breakdowns and artist_event_participation.</summary>
internal static class ArtistReports
{
    public const int TopSize = 10;
    public const int MaxEvents = 100;

    public static async Task<ArtistReport> ComputeAsync(ReportReader db, ReportParams p, CancellationToken ct)
    {
        var artist = p.ArtistId!;
        var (days, end) = db.DaysOf(p.FromDate, p.ToDate);
        var from = days[0];
        var plays = await db.RollupsAsync("player.track_played", "artist", artist, "", from, end, ct);
        var seconds = await db.RollupsAsync(Metric.ListeningSeconds, "artist", artist, "", from, end, ct);
        var completions = await db.RollupsAsync("player.track_completed", "artist", artist, "", from, end, ct);
        var skips = await db.RollupsAsync("player.track_skipped", "artist", artist, "", from, end, ct);
        var votes = await db.RollupsAsync(Metric.Votes, "artist", artist, "", from, end, ct);
        var followers = await db.RollupsAsync(Metric.Followers, "artist", artist, "", from, end, ct);
        var attendance = await db.RollupsAsync(Metric.ArtistAttendance, "artist", artist, "", from, end, ct);

        var listeners = new HashSet<long>();
        await db.AddUsersAsync(listeners, "player.track_played", "artist", artist, "", "day", plays.Keys.Order(), ct);

        var earnings = new List<CurrencyAmount>();
        foreach (var currency in await db.CurrenciesAsync(Metric.ArtistEarnings, "artist", artist, ct))
        {
            var rows = await db.RollupsAsync(Metric.ArtistEarnings, "artist", artist, currency, from, end, ct);
            if (rows.Count > 0)
            {
                earnings.Add(new CurrencyAmount(currency, rows.Values.Sum(r => r.Sum)));
            }
        }

        var events = new List<ArtistEvent>();
        var played = new List<(string Event, string? Role)>();
        await foreach (var row in db.RowsAsync("SELECT event_id, role FROM artist_event_participation WHERE artist_id = @a", ct, ("@a", artist)))
        {
            played.Add((row.GetString(0), row.IsDBNull(1) ? null : row.GetString(1)));
        }
        var eventNames = await db.NamesAsync("event", played.Select(e => e.Event), ct);
        foreach (var (eventId, role) in played)
        {
            var attended = await db.RollupsAsync("concierto.event_attended", "event", eventId, "", from, end, ct);
            events.Add(new ArtistEvent(eventId, eventNames[eventId], role, attended.Values.Sum(r => r.Count)));
        }
        events = [.. events.OrderByDescending(e => e.Attendance).ThenBy(e => e.EventId, StringComparer.Ordinal).Take(MaxEvents)];

        var tracks = await db.BreakdownAsync("artist", artist, "track", from, end, TopSize, ct);
        var trackNames = await db.NamesAsync("track", tracks.Select(t => t.Id), ct);
        var cities = await db.BreakdownAsync("artist", artist, "city", from, end, TopSize, ct);

        var daily = new List<ArtistDay>(days.Length);
        foreach (var day in days)
        {
            daily.Add(new ArtistDay(ReportReader.Date(day, db.Zone),
                plays.GetValueOrDefault(day).Count, plays.GetValueOrDefault(day).Users,
                completions.GetValueOrDefault(day).Count, skips.GetValueOrDefault(day).Count,
                votes.GetValueOrDefault(day).Sum, followers.GetValueOrDefault(day).Sum, attendance.GetValueOrDefault(day).Count));
        }
        var playCount = plays.Values.Sum(r => r.Count);
        var completionCount = completions.Values.Sum(r => r.Count);
        var skipCount = skips.Values.Sum(r => r.Count);
        var name = (await db.NamesAsync("artist", [artist], ct))[artist];
        return new ArtistReport(artist, name, p.From!, p.To!,
            playCount, listeners.Count, seconds.Values.Sum(r => r.Sum),
            completionCount, skipCount, ReportReader.Rate(completionCount, playCount), ReportReader.Rate(skipCount, playCount),
            votes.Values.Sum(r => r.Sum), followers.Values.Sum(r => r.Sum), earnings,
            attendance.Values.Sum(r => r.Count), events,
            [.. tracks.Select(t => new Ranked(t.Id, trackNames[t.Id], t.Count))],
            [.. cities.Select(c => new Ranked(c.Id, c.Id, c.Count))],
            daily);
    }
}
