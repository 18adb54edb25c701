using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Coliseum.Tests.Infrastructure;
using Coliseum.Tests.Processing;

namespace Coliseum.Tests.Query;

/// <summary>The live streams over real HTTP: updates after events are captured, resumption with Last-Event-ID, heartbeats, limits.</summary>
public sealed class StreamTests
{
    private static readonly Dictionary<string, string?> FastHeartbeat = new() { ["Coliseum:Query:HeartbeatSeconds"] = "1" };

    private static async Task PostAsync(TestServer server, params string[] events)
    {
        foreach (var json in events)
        {
            using var response = await server.PostAsync("/api/passport/log", json);
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        }
    }

    [Fact]
    public async Task A_board_subscriber_gets_the_board_then_each_change_and_resumes_after_reconnecting()
    {
        await using var server = await TestServer.StartAsync();
        await PostAsync(server, ColiseumConsumerTests.Play("u1", "a1", "2026-11-20T10:00:00Z"));
        await QueryClient.CaughtUpAsync(server);

        string lastId;
        await using (var client = await SseClient.OpenAsync(server, "/api/coliseum/stream/leaderboards/top_artists_by_plays?limit=5", TestServer.ReadKey))
        {
            var first = await client.NextAsync("leaderboard");
            Assert.Equal(["1|a1|a1|1"], QueryClient.Entries(first));

            await PostAsync(server, ColiseumConsumerTests.Play("u2", "a2", "2026-11-20T10:01:00Z"), ColiseumConsumerTests.Play("u3", "a2", "2026-11-20T10:02:00Z"));
            var update = await client.NextAsync("leaderboard", until: b => QueryClient.Entries(b).Count == 2 && QueryClient.Entries(b)[0] == "1|a2|a2|2");
            Assert.Equal(["1|a2|a2|2", "2|a1|a1|1"], QueryClient.Entries(update));
            Assert.Equal(3, update.GetProperty("logPosition").GetInt64());
            lastId = client.LastEventId!;
        }

        // While nobody listens, the board changes; the reconnecting client is sent the board as it is now.
        await PostAsync(server, ColiseumConsumerTests.Play("u4", "a3", "2026-11-20T10:03:00Z"), ColiseumConsumerTests.Play("u5", "a3", "2026-11-20T10:04:00Z"), ColiseumConsumerTests.Play("u6", "a3", "2026-11-20T10:05:00Z"));
        await QueryClient.CaughtUpAsync(server);
        await using (var again = await SseClient.OpenAsync(server, "/api/coliseum/stream/leaderboards/top_artists_by_plays?limit=5", TestServer.ReadKey, lastId))
        {
            var resumed = await again.NextAsync("leaderboard");
            Assert.Equal(["1|a3|a3|3", "2|a2|a2|2", "3|a1|a1|1"], QueryClient.Entries(resumed));
        }
    }

    [Fact]
    public async Task A_client_that_already_has_the_current_board_gets_heartbeats_until_it_changes()
    {
        await using var server = await TestServer.StartAsync(FastHeartbeat);
        await PostAsync(server, ColiseumConsumerTests.Play("u1", "a1", "2026-11-20T10:00:00Z"));
        await QueryClient.CaughtUpAsync(server);
        string id;
        await using (var client = await SseClient.OpenAsync(server, "/api/coliseum/stream/leaderboards/top_artists_by_plays", TestServer.ReadKey))
        {
            await client.NextAsync("leaderboard");
            id = client.LastEventId!;
        }
        await using var resumed = await SseClient.OpenAsync(server, "/api/coliseum/stream/leaderboards/top_artists_by_plays", TestServer.ReadKey, id);
        Assert.Equal("heartbeat", (await resumed.NextItemAsync()).EventType);
        Assert.Equal("heartbeat", (await resumed.NextItemAsync()).EventType);
        await PostAsync(server, ColiseumConsumerTests.Play("u2", "a1", "2026-11-20T10:01:00Z"));
        var changed = await resumed.NextAsync("leaderboard");
        Assert.Equal(["1|a1|a1|2"], QueryClient.Entries(changed));
    }

    [Fact]
    public async Task A_battle_stream_follows_one_events_votes()
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await SseClient.OpenAsync(server, "/api/coliseum/stream/leaderboards/top_artists_by_votes?scope=e7", TestServer.ReadKey);
        Assert.Empty(QueryClient.Entries(await client.NextAsync("leaderboard")));
        await PostAsync(server,
            """{"type":"coliseum.vote_cast","userId":"u1","at":"2026-11-20T10:00:00Z","artistId":"a1","eventId":"e7","channel":"app","weight":3}""",
            """{"type":"coliseum.vote_cast","userId":"u2","at":"2026-11-20T10:00:00Z","artistId":"a2","eventId":"e8","channel":"app","weight":9}""");
        var board = await client.NextAsync("leaderboard", until: b => QueryClient.Entries(b).Count > 0);
        Assert.Equal(["1|a1|a1|3"], QueryClient.Entries(board));
        Assert.Equal("e7", board.GetProperty("scope").GetString());
    }

    [Fact]
    public async Task The_counters_stream_shows_todays_totals_as_events_arrive()
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await SseClient.OpenAsync(server, "/api/coliseum/stream/counters", TestServer.ReadKey);
        var first = await client.NextAsync("counters");
        Assert.Equal(0, first.GetProperty("plays").GetInt64());
        var now = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture);
        await PostAsync(server,
            ColiseumConsumerTests.Play("u1", "a1", now, seconds: 100),
            ColiseumConsumerTests.Play("u2", "a1", now, seconds: 50),
            $$"""{"type":"treasury.money_spent","userId":"u1","at":"{{now}}","amountCents":1250,"currency":"eur","reason":"ticket"}""",
            $$"""{"type":"treasury.money_spent","userId":"u2","at":"{{now}}","amountCents":300,"currency":"usd","reason":"merch"}""",
            $$"""{"type":"treasury.money_spent","userId":"u3","at":"{{now}}","amountCents":200,"currency":"usd","reason":"merch"}""");
        var counters = await client.NextAsync("counters", until: c => c.GetProperty("moneySpent").GetArrayLength() == 2 && c.GetProperty("plays").GetInt64() == 2);
        Assert.Equal(150, counters.GetProperty("listeningSeconds").GetInt64());
        Assert.Equal(["eur|1250|1", "usd|500|2"], counters.GetProperty("moneySpent").EnumerateArray()
            .Select(m => $"{m.GetProperty("currency").GetString()}|{m.GetProperty("cents").GetInt64()}|{m.GetProperty("payments").GetInt64()}").ToArray());
        var plain = await QueryClient.OkAsync(server, "/api/coliseum/counters");
        Assert.Equal(2, plain.GetProperty("plays").GetInt64());
    }

    [Fact]
    public async Task The_passport_stream_tails_the_log_filters_types_hides_traits_and_resumes_without_gaps_or_repeats()
    {
        await using var server = await TestServer.StartAsync();
        await PostAsync(server,
            ColiseumConsumerTests.Play("u1", "a1", "2026-11-20T10:00:00Z"),
            """{"type":"passport.identified","userId":"u1","at":"2026-11-20T10:00:01Z","traits":{"email":"fan@example.com","name":"Ana"}}""",
            ColiseumConsumerTests.Play("u2", "a1", "2026-11-20T10:00:02Z"));

        var seen = new List<long>();
        string lastId;
        await using (var client = await SseClient.OpenAsync(server, "/api/passport/stream?from=0", TestServer.AdminKey))
        {
            for (var i = 0; i < 3; i++)
            {
                var entry = await client.NextAsync("entry");
                seen.Add(entry.GetProperty("position").GetInt64());
                if (entry.GetProperty("type").GetString() == "passport.identified")
                {
                    Assert.Equal("{}", entry.GetProperty("fields").GetRawText());
                    Assert.DoesNotContain("example.com", entry.GetRawText(), StringComparison.Ordinal);
                }
                else
                {
                    Assert.Equal("a1", entry.GetProperty("fields").GetProperty("artistId").GetString());
                }
            }
            lastId = client.LastEventId!;
        }
        Assert.Equal([1, 2, 3], seen);
        Assert.Equal("3", lastId);

        await PostAsync(server, ColiseumConsumerTests.Play("u3", "a2", "2026-11-20T10:00:03Z"), ColiseumConsumerTests.Play("u4", "a2", "2026-11-20T10:00:04Z"));
        await using (var resumed = await SseClient.OpenAsync(server, "/api/passport/stream", TestServer.AdminKey, lastId))
        {
            Assert.Equal(4, (await resumed.NextAsync("entry")).GetProperty("position").GetInt64());
            Assert.Equal(5, (await resumed.NextAsync("entry")).GetProperty("position").GetInt64());
            await PostAsync(server, ColiseumConsumerTests.Play("u5", "a2", "2026-11-20T10:00:05Z"));
            Assert.Equal(6, (await resumed.NextAsync("entry")).GetProperty("position").GetInt64());
        }

        await using var filtered = await SseClient.OpenAsync(server, "/api/passport/stream?from=0&types=passport.*", TestServer.AdminKey);
        Assert.Equal(2, (await filtered.NextAsync("entry")).GetProperty("position").GetInt64());
        var ready = await filtered.NextAsync("ready");
        Assert.Equal(6, ready.GetProperty("position").GetInt64());
    }

    [Fact]
    public async Task The_ticker_names_what_happened_to_whom_but_never_who_did_it()
    {
        await using var server = await TestServer.StartAsync();
        await PostAsync(server,
            """{"type":"mediaid.artist_profile_updated","userId":"admin-7","at":"2026-11-20T09:00:00Z","artistId":"a1","name":"Rosalía"}""",
            """{"type":"concierto.event_created","userId":"promoter-3","at":"2026-11-20T09:00:00Z","eventId":"e1","name":"Motomami Live","city":"Madrid","startsAt":"2026-12-01T20:00:00Z","artistIds":["a1"]}""");
        await QueryClient.CaughtUpAsync(server);
        await using var ticker = await SseClient.OpenAsync(server, "/api/coliseum/stream/ticker?types=player.*,concierto.*,treasury.*", TestServer.ReadKey);
        await ticker.NextAsync("ready");
        await PostAsync(server,
            ColiseumConsumerTests.Play("fan-secret-1", "a1", "2026-11-20T10:00:00Z", track: "t9"),
            """{"type":"concierto.event_attended","userId":"fan-secret-2","at":"2026-11-20T21:00:00Z","eventId":"e1","city":"Madrid"}""",
            """{"type":"treasury.money_spent","userId":"fan-secret-3","at":"2026-11-20T21:05:00Z","amountCents":987654,"currency":"eur","reason":"merch","eventId":"e1"}""");

        var play = await ticker.NextAsync("entry");
        Assert.Equal("player.track_played", play.GetProperty("type").GetString());
        Assert.Equal(["artist|a1|Rosalía", "track|t9|t9"], Entities(play));
        var attended = await ticker.NextAsync("entry");
        Assert.Equal(["event|e1|Motomami Live", "city|Madrid|Madrid"], Entities(attended));
        var spent = await ticker.NextAsync("entry");
        Assert.Equal(["event|e1|Motomami Live"], Entities(spent));
        foreach (var entry in new[] { play, attended, spent })
        {
            Assert.DoesNotContain("fan-secret", entry.GetRawText(), StringComparison.Ordinal);
            Assert.DoesNotContain("987654", entry.GetRawText(), StringComparison.Ordinal);
            Assert.False(entry.TryGetProperty("userId", out _));
        }
    }

    private static string[] Entities(JsonElement entry) => entry.GetProperty("entities").EnumerateArray()
        .Select(e => $"{e.GetProperty("type").GetString()}|{e.GetProperty("id").GetString()}|{e.GetProperty("name").GetString()}").ToArray();

    [Fact]
    public async Task A_new_passport_subscriber_starts_at_the_head()
    {
        await using var server = await TestServer.StartAsync();
        await PostAsync(server, ColiseumConsumerTests.Play("u1", "a1", "2026-11-20T10:00:00Z"));
        await using var client = await SseClient.OpenAsync(server, "/api/passport/stream", TestServer.AdminKey);
        Assert.Equal(1, (await client.NextAsync("ready")).GetProperty("position").GetInt64());
        await PostAsync(server, ColiseumConsumerTests.Play("u2", "a1", "2026-11-20T10:00:01Z"));
        Assert.Equal(2, (await client.NextAsync("entry")).GetProperty("position").GetInt64());
    }

    [Theory]
    [InlineData("/api/coliseum/stream/leaderboards/top_artists_by_plays", null, HttpStatusCode.Unauthorized)]
    [InlineData("/api/coliseum/stream/leaderboards/top_artists_by_plays", TestServer.WriteKey, HttpStatusCode.Forbidden)]
    [InlineData("/api/coliseum/stream/leaderboards/nope", TestServer.ReadKey, HttpStatusCode.NotFound)]
    [InlineData("/api/coliseum/stream/leaderboards/top_artists_by_plays?window=decade", TestServer.ReadKey, HttpStatusCode.BadRequest)]
    [InlineData("/api/coliseum/stream/counters", null, HttpStatusCode.Unauthorized)]
    [InlineData("/api/coliseum/stream/counters", TestServer.WriteKey, HttpStatusCode.Forbidden)]
    [InlineData("/api/passport/stream", TestServer.ReadKey, HttpStatusCode.Forbidden)]
    [InlineData("/api/coliseum/stream/ticker", null, HttpStatusCode.Unauthorized)]
    [InlineData("/api/coliseum/stream/ticker", TestServer.WriteKey, HttpStatusCode.Forbidden)]
    [InlineData("/api/coliseum/stream/ticker?from=-1", TestServer.ReadKey, HttpStatusCode.BadRequest)]
    [InlineData("/api/passport/stream?from=yesterday", TestServer.AdminKey, HttpStatusCode.BadRequest)]
    [InlineData("/api/passport/stream?types=concierto", TestServer.AdminKey, HttpStatusCode.BadRequest)]
    [InlineData("/api/passport/stream?types=*", TestServer.AdminKey, HttpStatusCode.BadRequest)]
    public async Task Streams_refuse_bad_requests_before_they_start(string path, string? key, HttpStatusCode expected)
    {
        await using var server = await TestServer.StartAsync();
        var (status, _) = await QueryClient.GetAsync(server, path, key);
        Assert.Equal(expected, status);
    }

    [Fact]
    public async Task Streams_past_the_limit_get_503_with_Retry_After_and_a_closed_stream_frees_its_place()
    {
        await using var server = await TestServer.StartAsync(new Dictionary<string, string?> { ["Coliseum:Query:MaxStreams"] = "1" });
        await using (var first = await SseClient.OpenAsync(server, "/api/coliseum/stream/counters", TestServer.ReadKey))
        {
            await first.NextAsync("counters");
            using var request = new HttpRequestMessage(HttpMethod.Get, "/api/coliseum/stream/leaderboards/top_artists_by_plays");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", TestServer.ReadKey);
            using var refused = await server.Client.SendAsync(request);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
            Assert.Equal("5", refused.Headers.GetValues("Retry-After").Single());
        }
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/api/coliseum/stream/counters");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", TestServer.ReadKey);
            using var response = await server.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            if (response.StatusCode == HttpStatusCode.OK)
            {
                break;
            }
            Assert.True(DateTime.UtcNow < deadline, "the closed stream's place was never freed");
            await Task.Delay(100);
        }
    }
}
