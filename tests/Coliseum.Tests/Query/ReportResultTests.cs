using System.Text.Json;
using System.Text.Json.Nodes;
using Coliseum.Tests.Infrastructure;
using Coliseum.Tests.Processing;
using static Coliseum.Tests.Query.ReportDataset;

namespace Coliseum.Tests.Query;

/// <summary>Each report type over real HTTP, compared with answers computed independently from the generated events.</summary>
public sealed class ReportResultTests(ReportFixture fixture) : IClassFixture<ReportFixture>
{
    private List<JsonObject> Events => fixture.Data.Events;

    [Theory]
    [InlineData("a1", "2026-11-02", "2026-11-06")]
    [InlineData("a6", "2026-11-03", "2026-11-04")]
    public async Task Artist_report_matches_the_generated_events(string artist, string fromText, string toText)
    {
        var report = await ReportClient.ReportAsync(fixture.Server, "artist", $$"""{"artistId":"{{artist}}","from":"{{fromText}}","to":"{{toText}}"}""");
        Assert.Equal("done", report.GetProperty("status").GetString());
        var head = fixture.Server.LogCount;
        Assert.Equal(head, report.GetProperty("positions").GetProperty("coliseum").GetInt64());
        Assert.Equal(head, report.GetProperty("positions").GetProperty("treasury").GetInt64());
        var r = report.GetProperty("result");
        var from = DateOnly.Parse(fromText, System.Globalization.CultureInfo.InvariantCulture);
        var to = DateOnly.Parse(toText, System.Globalization.CultureInfo.InvariantCulture);
        var mine = Events.Where(e => In(e, from, to) && Opt(e, "artistId") == artist).ToList();
        var plays = mine.Where(e => Type(e) == "player.track_played").ToList();
        var completions = mine.Count(e => Type(e) == "player.track_completed");
        var skips = mine.Count(e => Type(e) == "player.track_skipped");
        var performed = fixture.Data.Base.Performers.Where(p => p.Value.Contains(artist)).Select(p => p.Key).ToHashSet();
        var attended = Events.Where(e => In(e, from, to) && Type(e) == "concierto.event_attended" && performed.Contains(S(e, "eventId"))).ToList();
        var votes = fixture.Data.VoteDeltas().Where(v => In(v.Event, from, to) && S(v.Event, "artistId") == artist).Sum(v => v.Delta);

        Assert.Equal(artist, r.GetProperty("artistId").GetString());
        Assert.Equal(fixture.Data.Base.ArtistNames[artist], r.GetProperty("name").GetString());
        Assert.Equal(plays.Count, r.GetProperty("plays").GetInt64());
        Assert.Equal(plays.Select(e => S(e, "userId")).Distinct().Count(), r.GetProperty("uniqueListeners").GetInt64());
        Assert.Equal(plays.Sum(e => L(e, "durationSeconds")), r.GetProperty("listeningSeconds").GetInt64());
        Assert.Equal(completions, r.GetProperty("completions").GetInt64());
        Assert.Equal(skips, r.GetProperty("skips").GetInt64());
        Assert.Equal(Math.Round((double)completions / plays.Count, 4), r.GetProperty("completionRate").GetDouble());
        Assert.Equal(Math.Round((double)skips / plays.Count, 4), r.GetProperty("skipRate").GetDouble());
        Assert.Equal(votes, r.GetProperty("votes").GetInt64());
        Assert.Equal(mine.Count(e => Type(e) == "social.artist_followed") - mine.Count(e => Type(e) == "social.artist_unfollowed"), r.GetProperty("followersNet").GetInt64());
        Assert.Equal(
            mine.Where(e => Type(e) is "treasury.money_earned" or "treasury.tip_sent").GroupBy(e => S(e, "currency")).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Key}|{g.Sum(e => L(e, "amountCents"))}"),
            r.GetProperty("earnings").EnumerateArray().Select(x => $"{x.GetProperty("currency").GetString()}|{x.GetProperty("cents").GetInt64()}"));
        Assert.Equal(attended.Count, r.GetProperty("attendance").GetInt64());
        Assert.Equal(
            performed.Select(ev => (Id: ev, Count: attended.Count(e => S(e, "eventId") == ev))).OrderByDescending(x => x.Count).ThenBy(x => x.Id, StringComparer.Ordinal)
                .Select(x => $"{x.Id}|{fixture.Data.Base.EventNames[x.Id]}|{(fixture.Data.Base.Performers[x.Id][0] == artist ? "∅" : "support")}|{x.Count}"),
            r.GetProperty("events").EnumerateArray().Select(x => $"{x.GetProperty("eventId").GetString()}|{x.GetProperty("name").GetString()}|{x.GetProperty("role").GetString() ?? "∅"}|{x.GetProperty("attendance").GetInt64()}"));
        Assert.Equal(
            plays.GroupBy(e => S(e, "trackId")).Select(g => (Id: g.Key, Count: g.Count())).OrderByDescending(x => x.Count).ThenBy(x => x.Id, StringComparer.Ordinal).Take(10)
                .Select(x => $"{x.Id}|{(x.Id == "t10" ? ReportFixture.TrackName : x.Id)}|{x.Count}"),
            r.GetProperty("topTracks").EnumerateArray().Select(x => $"{x.GetProperty("id").GetString()}|{x.GetProperty("name").GetString()}|{x.GetProperty("count").GetInt64()}"));
        Assert.Equal(
            attended.GroupBy(e => S(e, "city")).Select(g => (Id: g.Key, Count: g.Count())).OrderByDescending(x => x.Count).ThenBy(x => x.Id, StringComparer.Ordinal).Select(x => $"{x.Id}|{x.Count}"),
            r.GetProperty("topCities").EnumerateArray().Select(x => $"{x.GetProperty("id").GetString()}|{x.GetProperty("count").GetInt64()}"));

        var expectedDaily = new List<string>();
        for (var day = from; day <= to; day = day.AddDays(1))
        {
            bool On(JsonObject e) => DateOnly.FromDateTime(At(e).UtcDateTime) == day;
            var dayPlays = plays.Where(On).ToList();
            expectedDaily.Add(string.Join('|', day.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture), dayPlays.Count, dayPlays.Select(e => S(e, "userId")).Distinct().Count(),
                mine.Count(e => On(e) && Type(e) == "player.track_completed"), mine.Count(e => On(e) && Type(e) == "player.track_skipped"),
                fixture.Data.VoteDeltas().Where(v => On(v.Event) && S(v.Event, "artistId") == artist).Sum(v => v.Delta),
                mine.Count(e => On(e) && Type(e) == "social.artist_followed") - mine.Count(e => On(e) && Type(e) == "social.artist_unfollowed"),
                attended.Count(On)));
        }
        Assert.Equal(expectedDaily, r.GetProperty("daily").EnumerateArray().Select(d => string.Join('|', d.GetProperty("date").GetString(),
            d.GetProperty("plays").GetInt64(), d.GetProperty("listeners").GetInt64(), d.GetProperty("completions").GetInt64(), d.GetProperty("skips").GetInt64(),
            d.GetProperty("votes").GetInt64(), d.GetProperty("followersNet").GetInt64(), d.GetProperty("attendance").GetInt64())));
    }

    [Fact]
    public async Task Event_report_has_the_funnel_revenue_and_votes_of_the_generated_events()
    {
        const string eventId = "e1";
        var report = await ReportClient.ReportAsync(fixture.Server, "event", """{"eventId":"e1"}""");
        Assert.Equal("done", report.GetProperty("status").GetString());
        var r = report.GetProperty("result");
        var mine = Events.Where(e => Opt(e, "eventId") == eventId).ToList();
        Assert.Equal("Festival 1", r.GetProperty("name").GetString());
        Assert.Equal(["a1|Artist 1|∅", "a6|Artist 6|support"], r.GetProperty("artists").EnumerateArray()
            .Select(a => $"{a.GetProperty("artistId").GetString()}|{a.GetProperty("name").GetString()}|{a.GetProperty("role").GetString() ?? "∅"}"));

        var expected = new List<string>();
        HashSet<string>? reached = null;
        var first = 0;
        foreach (var (step, type) in new[] { ("views", "concierto.event_viewed"), ("tickets", "concierto.ticket_purchased"), ("checkins", "concierto.checked_in"), ("attendance", "concierto.event_attended") })
        {
            var rows = mine.Where(e => Type(e) == type).ToList();
            var users = rows.Select(e => S(e, "userId")).ToHashSet();
            reached = reached is null ? users : [.. reached.Intersect(users)];
            first = expected.Count == 0 ? users.Count : first;
            expected.Add($"{step}|{type}|{rows.Count}|{users.Count}|{reached.Count}|{(first == 0 ? 0 : Math.Round((double)reached.Count / first, 4))}");
        }
        Assert.Equal(expected, r.GetProperty("funnel").EnumerateArray().Select(f => string.Join('|', f.GetProperty("step").GetString(), f.GetProperty("metric").GetString(),
            f.GetProperty("count").GetInt64(), f.GetProperty("users").GetInt64(), f.GetProperty("reached").GetInt64(), f.GetProperty("conversion").GetDouble())));
        Assert.True(expected.All(line => !line.Contains("|0|0|", StringComparison.Ordinal)), "every step has events in the dataset");

        long Sum(string type, string currency) => mine.Where(e => Type(e) == type && S(e, "currency") == currency).Sum(e => L(e, "amountCents"));
        Assert.Equal(
            mine.Where(e => e["currency"] is not null).Select(e => S(e, "currency")).Distinct().Order(StringComparer.Ordinal)
                .Select(c => $"{c}|{mine.Count(e => Type(e) == "concierto.ticket_purchased" && S(e, "currency") == c)}|{Sum("concierto.ticket_purchased", c)}|{Sum("concierto.ticket_refunded", c)}|{Sum("concierto.ticket_purchased", c) - Sum("concierto.ticket_refunded", c)}|{Sum("treasury.money_spent", c)}"),
            r.GetProperty("revenue").EnumerateArray().Select(m => string.Join('|', m.GetProperty("currency").GetString(), m.GetProperty("tickets").GetInt64(),
                m.GetProperty("ticketsCents").GetInt64(), m.GetProperty("refundsCents").GetInt64(), m.GetProperty("netTicketsCents").GetInt64(), m.GetProperty("spentCents").GetInt64())));

        var standing = fixture.Data.StandingVotes().Where(v => v.Key.Event == eventId).ToList();
        Assert.Equal(
            standing.GroupBy(v => v.Key.Artist).Select(g => (Artist: g.Key, Votes: g.Sum(v => v.Value), Voters: g.Count(v => v.Value > 0)))
                .OrderByDescending(x => x.Votes).ThenBy(x => x.Artist, StringComparer.Ordinal).Select(x => $"{x.Artist}|{fixture.Data.Base.ArtistNames[x.Artist]}|{x.Votes}|{x.Voters}"),
            r.GetProperty("votes").EnumerateArray().Select(v => $"{v.GetProperty("artistId").GetString()}|{v.GetProperty("name").GetString()}|{v.GetProperty("votes").GetInt64()}|{v.GetProperty("voters").GetInt64()}"));
        Assert.Equal(mine.Count(e => Type(e) == "concierto.event_rated"), r.GetProperty("ratings").GetInt64());
    }

    [Fact]
    public async Task Passport_report_is_the_fans_year_from_the_generated_events()
    {
        const string user = "u1";
        var report = await ReportClient.ReportAsync(fixture.Server, "passport", """{"userId":"u1","year":2026}""");
        Assert.Equal("done", report.GetProperty("status").GetString());
        Assert.Equal(fixture.Server.LogCount, report.GetProperty("positions").GetProperty("mediaid").GetInt64());
        var r = report.GetProperty("result");
        Assert.Equal("2026-01-01", r.GetProperty("from").GetString());
        Assert.Equal("2026-12-31", r.GetProperty("to").GetString());
        var mine = Events.Where(e => S(e, "userId") == user).ToList();
        Assert.True(mine.Count > 100, "u1 is the busiest fan");
        var attended = mine.Where(e => Type(e) == "concierto.event_attended").ToList();
        var plays = mine.Where(e => Type(e) == "player.track_played").ToList();
        Assert.Equal(attended.Count, r.GetProperty("eventsAttended").GetInt64());
        Assert.Equal(
            attended.GroupBy(e => S(e, "eventId")).Select(g => (Id: g.Key, Count: g.Count())).OrderByDescending(x => x.Count).ThenBy(x => x.Id, StringComparer.Ordinal).Select(x => $"{x.Id}|{fixture.Data.Base.EventNames[x.Id]}|{x.Count}"),
            r.GetProperty("events").EnumerateArray().Select(x => $"{x.GetProperty("id").GetString()}|{x.GetProperty("name").GetString()}|{x.GetProperty("count").GetInt64()}"));
        Assert.Equal(plays.Count, r.GetProperty("plays").GetInt64());
        Assert.Equal(plays.Sum(e => L(e, "durationSeconds")), r.GetProperty("listeningSeconds").GetInt64());
        Assert.Equal(fixture.Data.VoteDeltas().Where(v => S(v.Event, "userId") == user).Sum(v => v.Delta), r.GetProperty("votes").GetInt64());
        Assert.Equal(mine.Count(e => Type(e) == "coliseum.vote_cast"), r.GetProperty("votesCast").GetInt64());

        long Sum(Func<JsonObject, bool> which, string currency) => mine.Where(e => which(e) && S(e, "currency") == currency).Sum(e => L(e, "amountCents"));
        var currencies = mine.Where(e => Type(e) is "treasury.money_spent" or "treasury.tip_sent" or "concierto.ticket_refunded" || (Type(e) == "treasury.money_earned" && e["artistId"] is null))
            .Select(e => S(e, "currency")).Distinct().Order(StringComparer.Ordinal);
        Assert.Equal(
            currencies.Select(c => string.Join('|', c, Sum(e => Type(e) == "treasury.money_spent", c), Sum(e => Type(e) is "concierto.ticket_refunded" or "treasury.refund_issued", c),
                Sum(e => Type(e) == "treasury.money_earned" && e["artistId"] is null, c), Sum(e => Type(e) == "treasury.tip_sent", c))),
            r.GetProperty("money").EnumerateArray().Select(m => string.Join('|', m.GetProperty("currency").GetString(), m.GetProperty("spentCents").GetInt64(),
                m.GetProperty("refundedCents").GetInt64(), m.GetProperty("earnedCents").GetInt64(), m.GetProperty("tipsSentCents").GetInt64())));
        Assert.Equal(
            plays.GroupBy(e => S(e, "artistId")).Select(g => (Id: g.Key, Count: g.Count())).OrderByDescending(x => x.Count).ThenBy(x => x.Id, StringComparer.Ordinal).Take(10).Select(x => $"{x.Id}|{fixture.Data.Base.ArtistNames[x.Id]}|{x.Count}"),
            r.GetProperty("topArtists").EnumerateArray().Select(x => $"{x.GetProperty("id").GetString()}|{x.GetProperty("name").GetString()}|{x.GetProperty("count").GetInt64()}"));

        var profile = r.GetProperty("profile");
        Assert.Equal(mine.Count, profile.GetProperty("eventCount").GetInt64());
        Assert.Equal(mine.Min(At), DateTimeOffset.Parse(profile.GetProperty("firstSeen").GetString()!, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(mine.Max(At), DateTimeOffset.Parse(profile.GetProperty("lastSeen").GetString()!, System.Globalization.CultureInfo.InvariantCulture));
        var signedUp = mine.Where(e => Type(e) == "passport.signed_up").Select(At).ToList();
        Assert.Equal(signedUp.Count == 0 ? null : signedUp.Min().ToString("yyyy-MM-ddTHH:mm:ss.fffZ", System.Globalization.CultureInfo.InvariantCulture), profile.GetProperty("signedUpAt").GetString());
    }

    [Fact]
    public async Task Passport_report_of_another_year_is_empty()
    {
        var report = await ReportClient.ReportAsync(fixture.Server, "passport", """{"userId":"u1","year":2025}""");
        var r = report.GetProperty("result");
        Assert.Equal(0, r.GetProperty("plays").GetInt64());
        Assert.Equal(0, r.GetProperty("eventsAttended").GetInt64());
        Assert.Empty(r.GetProperty("money").EnumerateArray());
        Assert.Empty(r.GetProperty("topArtists").EnumerateArray());
    }

    [Fact]
    public async Task Platform_report_is_the_days_digest_of_the_generated_events()
    {
        var report = await ReportClient.ReportAsync(fixture.Server, "platform", """{"day":"2026-11-03"}""");
        Assert.Equal("done", report.GetProperty("status").GetString());
        var r = report.GetProperty("result");
        var day = new DateOnly(2026, 11, 3);
        var today = Events.Where(e => In(e, day, day)).ToList();
        Assert.Equal("day", r.GetProperty("bucket").GetString());
        Assert.Equal("UTC", r.GetProperty("timeZone").GetString());
        Assert.Equal(today.Select(e => S(e, "userId")).Distinct().Count(), r.GetProperty("activeUsers").GetInt64());
        Assert.Equal(today.Count(e => Type(e) == "passport.signed_up"), r.GetProperty("signUps").GetInt64());
        var metrics = r.GetProperty("metrics").EnumerateArray().ToDictionary(m => $"{m.GetProperty("metric").GetString()}|{m.GetProperty("currency").GetString()}");
        foreach (var group in today.GroupBy(e => Type(e)))
        {
            var key = group.Key + "|";
            if (group.First()["currency"] is not null)
            {
                continue;
            }
            Assert.Equal(group.Count(), metrics[key].GetProperty("count").GetInt64());
            Assert.Equal(group.Select(e => S(e, "userId")).Distinct().Count(), metrics[key].GetProperty("users").GetInt64());
        }
        var spent = today.Where(e => Type(e) == "treasury.money_spent").GroupBy(e => S(e, "currency")).ToList();
        Assert.NotEmpty(spent);
        foreach (var g in spent)
        {
            Assert.Equal(g.Sum(e => L(e, "amountCents")), metrics[$"treasury.money_spent|{g.Key}"].GetProperty("sum").GetInt64());
            var money = r.GetProperty("money").EnumerateArray().Single(m => m.GetProperty("currency").GetString() == g.Key);
            Assert.Equal(g.Sum(e => L(e, "amountCents")), money.GetProperty("spentCents").GetInt64());
        }
        Assert.Equal(fixture.Data.VoteDeltas().Where(v => In(v.Event, day, day)).Sum(v => v.Delta), metrics["coliseum.votes|"].GetProperty("sum").GetInt64());

        var dayStart = new DateTimeOffset(2026, 11, 3, 0, 0, 0, TimeSpan.Zero);
        foreach (var board in new[] { "top_artists_by_plays", "top_fans_by_spend", "top_events_by_attendance" })
        {
            Assert.Equal(fixture.Data.Base.Leaderboard(board, dayStart, 3), r.GetProperty("leaders").EnumerateArray()
                .Where(l => l.GetProperty("leaderboardId").GetString() == board)
                .Select(l => $"{l.GetProperty("rank").GetInt32()}|{l.GetProperty("entityId").GetString()}|{l.GetProperty("entityName").GetString()}|{l.GetProperty("score").GetInt64()}"));
        }
    }

    [Fact]
    public async Task Platform_report_in_another_zone_sums_that_zones_hours()
    {
        var report = await ReportClient.ReportAsync(fixture.Server, "platform", """{"day":"2026-11-03","tz":"America/Bogota"}""");
        var r = report.GetProperty("result");
        Assert.Equal("hour", r.GetProperty("bucket").GetString());
        Assert.Equal("2026-11-03T05:00:00.000Z", r.GetProperty("start").GetString());
        var start = new DateTimeOffset(2026, 11, 3, 5, 0, 0, TimeSpan.Zero);
        var plays = Events.Where(e => Type(e) == "player.track_played" && At(e) >= start && At(e) < start.AddDays(1)).ToList();
        var metric = r.GetProperty("metrics").EnumerateArray().Single(m => m.GetProperty("metric").GetString() == "player.track_played");
        Assert.Equal(plays.Count, metric.GetProperty("count").GetInt64());
        Assert.Equal(plays.Select(e => S(e, "userId")).Distinct().Count(), metric.GetProperty("users").GetInt64());
        Assert.Empty(r.GetProperty("leaders").EnumerateArray());
        Assert.NotNull(r.GetProperty("leadersNote").GetString());
    }

    [Fact]
    public async Task Csv_export_has_the_documented_columns_and_round_trips_quoted_names()
    {
        var report = await ReportClient.ReportAsync(fixture.Server, "artist", """{"artistId":"a1","from":"2026-11-02","to":"2026-11-06"}""");
        using var response = await ReportClient.SendAsync(fixture.Server, HttpMethod.Get, $"/api/coliseum/reports/{report.GetProperty("id").GetInt64()}?format=csv", TestServer.ReadKey);
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/csv", response.Content.Headers.ContentType!.MediaType);
        var text = await response.Content.ReadAsStringAsync();
        Assert.EndsWith("\r\n", text, StringComparison.Ordinal);
        Assert.DoesNotContain("\n", text.Replace("\r\n", "", StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.Contains("\"Song \"\"One\"\", live\"", text, StringComparison.Ordinal);
        var rows = Csv.Parse(text);
        Assert.Equal(["section", "key", "item", "name", "currency", "metric", "value"], rows[0]);
        Assert.All(rows, row => Assert.Equal(7, row.Length));
        var r = report.GetProperty("result");
        string Value(string section, string key, string metric) => rows.Single(x => x[0] == section && x[1] == key && x[5] == metric)[6];
        Assert.Equal(r.GetProperty("plays").GetInt64().ToString(System.Globalization.CultureInfo.InvariantCulture), Value("summary", "a1", "plays"));
        Assert.Equal(r.GetProperty("completionRate").GetDouble(), double.Parse(Value("summary", "a1", "completionRate"), System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(5 * 7, rows.Count(x => x[0] == "daily"));
        foreach (var d in r.GetProperty("daily").EnumerateArray())
        {
            Assert.Equal(d.GetProperty("plays").GetInt64().ToString(System.Globalization.CultureInfo.InvariantCulture), Value("daily", d.GetProperty("date").GetString()!, "plays"));
        }
        Assert.Equal(r.GetProperty("topTracks").EnumerateArray().Select(t => $"{t.GetProperty("id").GetString()}|{t.GetProperty("name").GetString()}|{t.GetProperty("count").GetInt64()}"),
            rows.Where(x => x[0] == "topTracks").Select(x => $"{x[1]}|{x[3]}|{x[6]}"));
        Assert.Contains(rows, x => x[0] == "topTracks" && x[3] == ReportFixture.TrackName);
        Assert.Equal(r.GetProperty("earnings").EnumerateArray().Select(e => $"{e.GetProperty("currency").GetString()}|{e.GetProperty("cents").GetInt64()}"),
            rows.Where(x => x[0] == "earnings").Select(x => $"{x[4]}|{x[6]}"));
    }

    [Theory]
    [InlineData("event", """{"eventId":"e2"}""", "funnel")]
    [InlineData("passport", """{"userId":"u2","year":2026}""", "money")]
    [InlineData("platform", """{"day":"2026-11-04"}""", "metrics")]
    public async Task Csv_export_of_every_type_has_its_sections(string type, string parameters, string section)
    {
        var report = await ReportClient.ReportAsync(fixture.Server, type, parameters);
        using var response = await ReportClient.SendAsync(fixture.Server, HttpMethod.Get, $"/api/coliseum/reports/{report.GetProperty("id").GetInt64()}?format=csv", TestServer.ReadKey);
        var rows = Csv.Parse(await response.Content.ReadAsStringAsync());
        Assert.All(rows, row => Assert.Equal(7, row.Length));
        Assert.Contains(rows, x => x[0] == "summary");
        Assert.Contains(rows, x => x[0] == section);
    }
}

/// <summary>The CSV export's guard against spreadsheet formulas in names.</summary>
public sealed class ReportCsvTests
{
    [Theory]
    [InlineData("=HYPERLINK(\"http://evil\",\"x\")", "'=HYPERLINK(\"http://evil\",\"x\")")]
    [InlineData("+1+1", "'+1+1")]
    [InlineData("-2+3", "'-2+3")]
    [InlineData("@SUM(A1)", "'@SUM(A1)")]
    [InlineData("\tx", "'\tx")]
    [InlineData("Rosalía", "Rosalía")]
    [InlineData("a=b", "a=b")]
    [InlineData("", "")]
    [InlineData(null, null)]
    public void Text_cells_that_look_like_formulas_get_an_apostrophe(string? name, string? written) =>
        Assert.Equal(written, Coliseum.Reports.ReportCsv.Text(name));
}
