using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Coliseum.Tests.Infrastructure;
using Coliseum.Tests.Processing;

namespace Coliseum.Tests.Query;

/// <summary><c>GET /api/coliseum/metrics/{metricType}/series</c> compared with sums computed from the generated events.</summary>
[Collection(LoadedServerCollection.Name)]
public sealed class SeriesApiTests(LoadedServer loaded)
{
    private IEnumerable<JsonObject> Of(string type) => loaded.Data.Events.Where(e => (string)e["type"]! == type);

    private static DateTimeOffset At(JsonObject e) => DateTimeOffset.Parse((string)e["at"]!, CultureInfo.InvariantCulture);

    /// <summary>Points as "bucketStart|count|sum|users", bucket starts as Unix ms.</summary>
    private static List<string> Points(JsonElement body) => body.GetProperty("points").EnumerateArray()
        .Select(p => $"{DateTimeOffset.Parse(p.GetProperty("bucketStart").GetString()!, CultureInfo.InvariantCulture).ToUnixTimeMilliseconds()}|{p.GetProperty("count").GetInt64()}|{p.GetProperty("sum").GetInt64()}|{p.GetProperty("users").GetInt64()}")
        .ToList();

    /// <summary>Expected points for the given bucket starts: events grouped by the bucket holding them.</summary>
    private static List<string> Expected(IEnumerable<JsonObject> events, IReadOnlyList<DateTimeOffset> starts, Func<JsonObject, long> value)
    {
        var list = events.ToList();
        return starts.Select((start, i) =>
        {
            var end = i + 1 < starts.Count ? starts[i + 1] : start.AddDays(1);
            var inside = list.Where(e => At(e) >= start && At(e) < end).ToList();
            return $"{start.ToUnixTimeMilliseconds()}|{inside.Count}|{inside.Sum(value)}|{inside.Select(e => (string)e["userId"]!).Distinct().Count()}";
        }).ToList();
    }

    private static List<DateTimeOffset> Days(DateTimeOffset first, int count) => Enumerable.Range(0, count).Select(d => first.AddDays(d)).ToList();

    [Fact]
    public async Task Daily_plays_for_the_platform_match_the_events_with_empty_days_as_zeros()
    {
        var body = await QueryClient.OkAsync(loaded.Server, "/api/coliseum/metrics/player.track_played/series?from=2026-11-01&to=2026-11-09");
        Assert.Equal("day", body.GetProperty("bucket").GetString());
        Assert.Equal("all", body.GetProperty("entityType").GetString());
        var days = Days(new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero), 8);
        var expected = Expected(Of("player.track_played"), days, _ => 1);
        Assert.Equal(expected, Points(body));
        Assert.StartsWith($"{days[0].ToUnixTimeMilliseconds()}|0|0|0", expected[0], StringComparison.Ordinal);
        Assert.StartsWith($"{days[^1].ToUnixTimeMilliseconds()}|0|0|0", expected[^1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Listening_seconds_of_one_artist_per_day()
    {
        var body = await QueryClient.OkAsync(loaded.Server, "/api/coliseum/metrics/player.listening_seconds/series?entityType=artist&entityId=a3&from=2026-11-02&to=2026-11-07");
        var plays = Of("player.track_played").Where(e => (string)e["artistId"]! == "a3");
        Assert.Equal(Expected(plays, Days(Dataset.Start, 5), e => (int)e["durationSeconds"]!), Points(body));
    }

    [Fact]
    public async Task Hourly_plays_of_one_track_cover_every_hour_of_the_day()
    {
        var body = await QueryClient.OkAsync(loaded.Server, "/api/coliseum/metrics/player.track_played/series?entityType=track&entityId=t5&bucket=hour&from=2026-11-03T00:00:00Z&to=2026-11-04T00:00:00Z");
        var hours = Enumerable.Range(0, 24).Select(h => Dataset.Start.AddDays(1).AddHours(h)).ToList();
        var expected = hours.Select((start, i) =>
        {
            var inside = Of("player.track_played").Where(e => (string)e["trackId"]! == "t5" && At(e) >= start && At(e) < start.AddHours(1)).ToList();
            return $"{start.ToUnixTimeMilliseconds()}|{inside.Count}|{inside.Count}|{inside.Select(e => (string)e["userId"]!).Distinct().Count()}";
        }).ToList();
        Assert.Equal(24, Points(body).Count);
        Assert.Equal(expected, Points(body));
    }

    [Fact]
    public async Task Days_in_another_time_zone_are_summed_from_the_hours_with_exact_distinct_users_across_a_DST_change()
    {
        // New York leaves daylight saving on Sunday 1 November 2026: that day is 25 hours long.
        var body = await QueryClient.OkAsync(loaded.Server, "/api/coliseum/metrics/player.track_played/series?tz=America/New_York&from=2026-11-01&to=2026-11-08");
        Assert.Equal("America/New_York", body.GetProperty("timeZone").GetString());
        var zone = TimeZoneInfo.FindSystemTimeZoneById("America/New_York");
        var days = Enumerable.Range(0, 7).Select(d =>
        {
            var local = new DateTime(2026, 11, 1 + d, 0, 0, 0, DateTimeKind.Unspecified);
            return new DateTimeOffset(local, zone.GetUtcOffset(local));
        }).ToList();
        Assert.Equal(TimeSpan.FromHours(-4), days[0].Offset);
        Assert.Equal(TimeSpan.FromHours(-5), days[1].Offset);
        Assert.Equal(Expected(Of("player.track_played"), days, _ => 1), Points(body));
    }

    [Fact]
    public async Task Money_needs_a_currency_and_is_summed_per_currency()
    {
        var (status, problem) = await QueryClient.GetAsync(loaded.Server, "/api/coliseum/metrics/treasury.money_spent/series?from=2026-11-02&to=2026-11-07");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("currency", problem.GetProperty("field").GetString());
        Assert.Equal(["eur", "usd"], problem.GetProperty("valid").EnumerateArray().Select(v => v.GetString()!).Order(StringComparer.Ordinal).ToArray());

        var body = await QueryClient.OkAsync(loaded.Server, "/api/coliseum/metrics/treasury.money_spent/series?currency=eur&from=2026-11-02&to=2026-11-07");
        var spent = Of("treasury.money_spent").Where(e => (string)e["currency"]! == "eur");
        Assert.Equal(Expected(spent, Days(Dataset.Start, 5), e => (int)e["amountCents"]!), Points(body));
    }

    [Fact]
    public async Task Net_votes_per_day_subtract_retractions()
    {
        var body = await QueryClient.OkAsync(loaded.Server, "/api/coliseum/metrics/coliseum.votes/series?from=2026-11-02&to=2026-11-07");
        var contributions = loaded.Data.Contributions("top_artists_by_votes").ToList();
        var sums = Days(Dataset.Start, 5).Select(d => contributions.Where(c => c.At >= d && c.At < d.AddDays(1)).Sum(c => c.Delta)).ToArray();
        Assert.Equal(sums, body.GetProperty("points").EnumerateArray().Select(p => p.GetProperty("sum").GetInt64()).ToArray());
    }

    [Theory]
    [InlineData("/api/coliseum/metrics/player.track_played/series", null, HttpStatusCode.Unauthorized, null)]
    [InlineData("/api/coliseum/metrics/player.track_played/series", TestServer.WriteKey, HttpStatusCode.Forbidden, null)]
    [InlineData("/api/coliseum/metrics/player.track_played/series?bucket=minute", TestServer.ReadKey, HttpStatusCode.BadRequest, "bucket")]
    [InlineData("/api/coliseum/metrics/player.track_played/series?entityType=galaxy&entityId=x", TestServer.ReadKey, HttpStatusCode.BadRequest, "entityType")]
    [InlineData("/api/coliseum/metrics/player.track_played/series?entityType=artist", TestServer.ReadKey, HttpStatusCode.BadRequest, "entityId")]
    [InlineData("/api/coliseum/metrics/player.track_played/series?entityId=a1", TestServer.ReadKey, HttpStatusCode.BadRequest, "entityId")]
    [InlineData("/api/coliseum/metrics/player.track_played/series?from=last-week", TestServer.ReadKey, HttpStatusCode.BadRequest, "from")]
    [InlineData("/api/coliseum/metrics/player.track_played/series?to=2026-13-01", TestServer.ReadKey, HttpStatusCode.BadRequest, "to")]
    [InlineData("/api/coliseum/metrics/player.track_played/series?from=2026-11-05&to=2026-11-01", TestServer.ReadKey, HttpStatusCode.BadRequest, "from")]
    [InlineData("/api/coliseum/metrics/player.track_played/series?from=2020-01-01&to=2026-01-01", TestServer.ReadKey, HttpStatusCode.BadRequest, "from")]
    [InlineData("/api/coliseum/metrics/player.track_played/series?bucket=hour&from=2026-01-01&to=2026-03-01", TestServer.ReadKey, HttpStatusCode.BadRequest, "from")]
    [InlineData("/api/coliseum/metrics/player.track_played/series?tz=Mars/Olympus", TestServer.ReadKey, HttpStatusCode.BadRequest, "tz")]
    [InlineData("/api/coliseum/metrics/player.track_played/series?tz=Asia/Kolkata", TestServer.ReadKey, HttpStatusCode.BadRequest, "tz")]
    [InlineData("/api/coliseum/metrics/player.track_played/series?currency=USD", TestServer.ReadKey, HttpStatusCode.BadRequest, "currency")]
    [InlineData("/api/coliseum/metrics/nothing.here/series", TestServer.ReadKey, HttpStatusCode.NotFound, "metricType")]
    public Task Bad_requests_get_the_exact_status_and_name_the_parameter(string path, string? key, HttpStatusCode expected, string? field) =>
        QueryClient.ExpectAsync(loaded.Server, path, key, expected, field);
}
