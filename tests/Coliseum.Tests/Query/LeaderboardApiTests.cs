using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Coliseum.Tests.Infrastructure;
using Coliseum.Tests.Processing;

namespace Coliseum.Tests.Query;

/// <summary>One server loaded with a generated dataset, read by the leaderboard and series tests.</summary>
public sealed class LoadedServer : IAsyncLifetime
{
    public Dataset Data { get; } = Dataset.Generate(3_000, seed: 11);

    public TestServer Server { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Server = await TestServer.StartAsync();
        await QueryClient.LoadAsync(Server, Data.Json);
    }

    public async Task DisposeAsync() => await Server.DisposeAsync();
}

[CollectionDefinition(Name)]
public sealed class LoadedServerCollection : ICollectionFixture<LoadedServer>
{
    public const string Name = "a server loaded with a dataset";
}

/// <summary><c>GET /api/coliseum/leaderboards[/{id}]</c>: the defined boards, and each board's entries compared with answers computed from the events.</summary>
[Collection(LoadedServerCollection.Name)]
public sealed class LeaderboardApiTests(LoadedServer loaded)
{
    private static readonly string[] BuiltIn =
    [
        "top_artists_by_earnings", "top_artists_by_followers", "top_artists_by_plays", "top_artists_by_votes", "top_cities_by_attendance",
        "top_events_by_attendance", "top_fans_by_attendance", "top_fans_by_spend", "top_fans_by_votes", "top_tracks_by_plays",
    ];

    [Fact]
    public async Task The_list_names_every_enabled_board_with_its_definition()
    {
        var list = await QueryClient.OkAsync(loaded.Server, "/api/coliseum/leaderboards");
        Assert.Equal(BuiltIn, list.EnumerateArray().Select(b => b.GetProperty("id").GetString()!).ToArray());
        var votes = list.EnumerateArray().Single(b => b.GetProperty("id").GetString() == "top_artists_by_votes");
        Assert.Equal("artist", votes.GetProperty("entityType").GetString());
        Assert.Equal("sum", votes.GetProperty("score").GetString());
        Assert.Equal("event", votes.GetProperty("scope").GetString());
        Assert.Equal(["all_time", "day", "week", "month"], votes.GetProperty("windows").EnumerateArray().Select(w => w.GetString()!).ToArray());
        Assert.Equal(100, votes.GetProperty("size").GetInt32());
    }

    [Theory]
    [MemberData(nameof(Boards))]
    public async Task Every_board_all_time_matches_the_events(string board)
    {
        var body = await QueryClient.OkAsync(loaded.Server, $"/api/coliseum/leaderboards/{board}?limit=100");
        Assert.Equal(board, body.GetProperty("leaderboardId").GetString());
        Assert.Equal("all_time", body.GetProperty("window").GetString());
        Assert.Equal(JsonValueKind.Null, body.GetProperty("bucketStart").ValueKind);
        Assert.Equal(loaded.Data.Leaderboard(board), QueryClient.Entries(body));
    }

    public static TheoryData<string> Boards() => new(BuiltIn);

    [Fact]
    public async Task Default_limit_is_ten_and_limit_cuts_the_top()
    {
        var top = await QueryClient.OkAsync(loaded.Server, "/api/coliseum/leaderboards/top_tracks_by_plays");
        Assert.Equal(loaded.Data.Leaderboard("top_tracks_by_plays", size: 10), QueryClient.Entries(top));
        var three = await QueryClient.OkAsync(loaded.Server, "/api/coliseum/leaderboards/top_tracks_by_plays?limit=3");
        Assert.Equal(loaded.Data.Leaderboard("top_tracks_by_plays", size: 3), QueryClient.Entries(three));
    }

    [Fact]
    public async Task A_day_window_at_an_instant_reads_that_days_bucket()
    {
        var day = Dataset.Start.AddDays(1);
        var body = await QueryClient.OkAsync(loaded.Server, "/api/coliseum/leaderboards/top_artists_by_plays?window=day&limit=100&at=2026-11-03T17:30:00Z");
        Assert.Equal("2026-11-03T00:00:00.000Z", body.GetProperty("bucketStart").GetString()!.Replace("T00:00:00Z", "T00:00:00.000Z", StringComparison.Ordinal));
        Assert.Equal(loaded.Data.Leaderboard("top_artists_by_plays", day), QueryClient.Entries(body));
        var updated = DateTimeOffset.Parse(body.GetProperty("updatedAt").GetString()!, CultureInfo.InvariantCulture);
        Assert.True(updated > Dataset.Start, "updatedAt is when the newest contribution to the bucket was received");

        // The dataset's five days lie in one ISO week (Monday 2 November) and one month.
        foreach (var window in new[] { "week", "month" })
        {
            var whole = await QueryClient.OkAsync(loaded.Server, $"/api/coliseum/leaderboards/top_fans_by_spend?window={window}&limit=100&at=2026-11-04T00:00:00Z");
            Assert.Equal(loaded.Data.Leaderboard("top_fans_by_spend"), QueryClient.Entries(whole));
        }
        var empty = await QueryClient.OkAsync(loaded.Server, "/api/coliseum/leaderboards/top_artists_by_plays?window=day&at=2026-10-01T12:00:00Z");
        Assert.Empty(empty.GetProperty("entries").EnumerateArray());
        Assert.Equal(JsonValueKind.Null, empty.GetProperty("updatedAt").ValueKind);
    }

    [Fact]
    public async Task A_scoped_board_is_the_battle_for_one_event()
    {
        var body = await QueryClient.OkAsync(loaded.Server, "/api/coliseum/leaderboards/top_artists_by_votes?scope=e2&limit=100");
        Assert.Equal("e2", body.GetProperty("scope").GetString());
        var expected = ScopedVotes(loaded.Data, "e2");
        Assert.NotEmpty(expected);
        Assert.Equal(expected, QueryClient.Entries(body));
    }

    private static List<string> ScopedVotes(Dataset data, string eventId)
    {
        var standing = new Dictionary<(string User, string Artist), long>();
        var scores = new Dictionary<string, long>();
        foreach (var e in data.Events.Where(e => (string?)e["eventId"] == eventId && ((string)e["type"]!).StartsWith("coliseum.vote_", StringComparison.Ordinal)))
        {
            var key = ((string)e["userId"]!, (string)e["artistId"]!);
            long delta = (string)e["type"]! == "coliseum.vote_cast" ? (int)e["weight"]! : -standing.GetValueOrDefault(key);
            standing[key] = (string)e["type"]! == "coliseum.vote_cast" ? standing.GetValueOrDefault(key) + delta : 0;
            scores[key.Item2] = scores.GetValueOrDefault(key.Item2) + delta;
        }
        return scores.Where(s => s.Value > 0).OrderByDescending(s => s.Value).ThenBy(s => s.Key, StringComparer.Ordinal)
            .Select((s, i) => $"{i + 1}|{s.Key}|{data.ArtistNames[s.Key]}|{s.Value}").ToList();
    }

    [Theory]
    [InlineData("/api/coliseum/leaderboards", null, HttpStatusCode.Unauthorized, null)]
    [InlineData("/api/coliseum/leaderboards", TestServer.WriteKey, HttpStatusCode.Forbidden, null)]
    [InlineData("/api/coliseum/leaderboards/top_artists_by_plays", null, HttpStatusCode.Unauthorized, null)]
    [InlineData("/api/coliseum/leaderboards/top_artists_by_plays", TestServer.WriteKey, HttpStatusCode.Forbidden, null)]
    [InlineData("/api/coliseum/leaderboards/top_artists_by_plays", TestServer.AdminKey, HttpStatusCode.OK, null)]
    [InlineData("/api/coliseum/leaderboards/top_planets", TestServer.ReadKey, HttpStatusCode.NotFound, "id")]
    [InlineData("/api/coliseum/leaderboards/top_artists_by_plays?window=year", TestServer.ReadKey, HttpStatusCode.BadRequest, "window")]
    [InlineData("/api/coliseum/leaderboards/top_artists_by_plays?window=", TestServer.ReadKey, HttpStatusCode.BadRequest, "window")]
    [InlineData("/api/coliseum/leaderboards/top_artists_by_plays?limit=0", TestServer.ReadKey, HttpStatusCode.BadRequest, "limit")]
    [InlineData("/api/coliseum/leaderboards/top_artists_by_plays?limit=101", TestServer.ReadKey, HttpStatusCode.BadRequest, "limit")]
    [InlineData("/api/coliseum/leaderboards/top_artists_by_plays?limit=ten", TestServer.ReadKey, HttpStatusCode.BadRequest, "limit")]
    [InlineData("/api/coliseum/leaderboards/top_artists_by_plays?limit=-5", TestServer.ReadKey, HttpStatusCode.BadRequest, "limit")]
    [InlineData("/api/coliseum/leaderboards/top_artists_by_plays?at=yesterday", TestServer.ReadKey, HttpStatusCode.BadRequest, "at")]
    [InlineData("/api/coliseum/leaderboards/top_artists_by_plays?scope=e1", TestServer.ReadKey, HttpStatusCode.BadRequest, "scope")]
    public Task Bad_requests_get_the_exact_status_and_name_the_parameter(string path, string? key, HttpStatusCode expected, string? field) =>
        QueryClient.ExpectAsync(loaded.Server, path, key, expected, field);

    [Fact]
    public async Task An_unknown_board_lists_the_valid_ids()
    {
        var (status, body) = await QueryClient.GetAsync(loaded.Server, "/api/coliseum/leaderboards/nope");
        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Equal(BuiltIn, body.GetProperty("valid").EnumerateArray().Select(v => v.GetString()!).ToArray());
    }

    [Fact]
    public async Task A_renamed_artist_shows_its_new_name_on_the_next_read()
    {
        await using var server = await TestServer.StartAsync();
        await QueryClient.LoadAsync(server, [ColiseumConsumerTests.Play("u1", "a1", "2026-11-20T10:00:00Z")]);
        Assert.Equal(["1|a1|a1|1"], QueryClient.Entries(await QueryClient.OkAsync(server, "/api/coliseum/leaderboards/top_artists_by_plays")));
        await QueryClient.LoadAsync(server, [new JsonObject { ["type"] = "mediaid.artist_profile_updated", ["userId"] = "admin", ["at"] = "2026-11-20T11:00:00Z", ["artistId"] = "a1", ["name"] = "Björk" }.ToJsonString()]);
        Assert.Equal(["1|a1|Björk|1"], QueryClient.Entries(await QueryClient.OkAsync(server, "/api/coliseum/leaderboards/top_artists_by_plays")));
        using var response = await server.PostAsync("/api/passport/log", ColiseumConsumerTests.Play("u2", "a1", "2026-11-20T12:00:00Z"));
        await QueryClient.CaughtUpAsync(server);
        var board = await QueryClient.OkAsync(server, "/api/coliseum/leaderboards/top_artists_by_plays");
        Assert.Equal(["1|a1|Björk|2"], QueryClient.Entries(board));
        Assert.Equal(3, board.GetProperty("logPosition").GetInt64());
    }
}
