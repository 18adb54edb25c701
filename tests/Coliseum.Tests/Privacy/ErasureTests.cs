using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Coliseum.Tests.Durability;
using Coliseum.Tests.Infrastructure;
using Coliseum.Tests.Processing;
using Coliseum.Tests.Query;
using static Coliseum.Tests.Privacy.PrivacyData;

namespace Coliseum.Tests.Privacy;

/// <summary>
/// DELETE /api/privacy/users/{userId}: the user's entries and every row derived from them are gone, every
/// aggregate is what the remaining log gives (a rebuild agrees, and independent answers computed from the
/// dataset without the user agree), other users are untouched, and the audit record names nobody.
/// </summary>
[Collection(nameof(ChildProcessCollection))]
public sealed class ErasureTests
{
    private static readonly string[] BuiltInBoards =
    [
        "top_artists_by_plays", "top_tracks_by_plays", "top_artists_by_followers", "top_artists_by_earnings", "top_fans_by_spend",
        "top_fans_by_attendance", "top_events_by_attendance", "top_cities_by_attendance", "top_artists_by_votes", "top_fans_by_votes",
    ];

    [Fact]
    public async Task Erasing_a_user_mid_stream_removes_them_everywhere_and_the_aggregates_equal_a_rebuild_and_the_data_without_them()
    {
        var directory = TempDirectory.Create("erasure");
        var data = Dataset.Generate(3000, seed: 11);
        var all = Extras().Concat(data.Events).Select(e => e.ToJsonString()).ToList();
        var firstHalf = all.Take(all.Count / 2).ToList();
        var rest = all.Skip(all.Count / 2).Where(json => !IsTarget(JsonNode.Parse(json)!.AsObject())).ToList();
        var storedOfTarget = Extras().Concat(data.Events).Take(all.Count / 2).Count(IsTarget);
        long requestId;
        await using (var server = await TestServer.StartAsync(new Dictionary<string, string?> { ["Coliseum:Processing:BatchSize"] = "100" }, directory))
        {
            foreach (var chunk in firstHalf.Chunk(250))
            {
                using var response = await server.PostAsync("/api/passport/batch", "{\"events\":[" + string.Join(",", chunk) + "]}");
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            }
            // At once, while the consumers are still applying what just arrived.
            var (status, body, location) = await SendAsync(server.Client, HttpMethod.Delete, $"/api/privacy/users/{Target}", TestServer.AdminKey);
            Assert.True(status == HttpStatusCode.Accepted, $"{status} {body}");
            requestId = body.GetProperty("id").GetInt64();
            Assert.Equal($"/api/privacy/requests/{requestId}", location);
            Assert.Equal(storedOfTarget, body.GetProperty("removed").GetProperty("passport_entries").GetInt64());
            await QueryClient.LoadAsync(server, rest);
            var done = await WaitDoneAsync(server.Client, requestId);
            Assert.Equal(Sha256(Target), done.GetProperty("userHash").GetString());
            Assert.Equal(Sha256(TestServer.AdminKey)[..12], done.GetProperty("requestedBy").GetString());
            Assert.Equal(["coliseum", "treasury", "mediaid"], done.GetProperty("rebuild").EnumerateArray().Select(c => c.GetProperty("consumer").GetString()));
            await QueryClient.CaughtUpAsync(server);

            // The leaderboard API answers from the rebuilt tables, not a cache from before.
            var board = await QueryClient.OkAsync(server, "/api/coliseum/leaderboards/top_fans_by_spend");
            Assert.DoesNotContain(board.GetProperty("entries").EnumerateArray(), e => e.GetProperty("entity_id").GetString() == Target);
        }
        var database = TestBackend.Database(directory);

        // Nothing anywhere says anything about the user: not their id, device, profile key or e-mail (the audit rows included).
        Assert.Empty(Mentions(database, Target, Device, Email));
        Assert.Equal(0, Sql.Scalar<long>(database, $"SELECT COUNT(*) FROM coliseum_rollup_users WHERE user_hash = {Coliseum.Reports.ReportReader.UserHash(Target)}"));
        Assert.Equal(storedOfTarget, Sql.Scalar<long>(database, "SELECT COUNT(*) FROM passport_entries WHERE event_type = 'privacy.erased' AND user_id IS NULL AND metadata = '{}'"));
        Assert.Equal(1, Sql.Scalar<long>(database, $"SELECT COUNT(*) FROM mediaid_profiles WHERE user_id = 'anon:{StrangerDevice}'"));

        // The numbers are those of the dataset without the user.
        data.Events.RemoveAll(IsTarget);
        var counts = data.CountsByType();
        counts["passport.page_viewed"] = counts.GetValueOrDefault("passport.page_viewed") + 1; // the stranger's visit
        Assert.Equal(counts.Select(c => $"{c.Key}|{c.Value}").Order(StringComparer.Ordinal),
            Sql.Rows(database, "SELECT metric_type, COUNT(*) FROM coliseum_metrics WHERE seq = 0 GROUP BY 1 ORDER BY 1"));
        foreach (var board in BuiltInBoards)
        {
            Assert.Equal(data.Leaderboard(board), Sql.Rows(database,
                $"SELECT rank, entity_id, entity_name, score FROM coliseum_leaderboards WHERE leaderboard_id = '{board}' AND time_window = 'all_time' AND scope = '' ORDER BY rank"));
        }
        Assert.Equal(data.DailyPlaysByArtist(), Sql.Rows(database,
            "SELECT bucket_start, entity_id, count, users FROM coliseum_rollups WHERE metric_type = 'player.track_played' AND entity_type = 'artist' AND bucket = 'day' ORDER BY 1, 2").Order(StringComparer.Ordinal));
        Assert.Equal(data.SpentByUser(), Sql.Rows(database, "SELECT owner_id, currency, spent_cents FROM treasury_balances WHERE owner_type = 'user' AND spent_cents > 0").Order(StringComparer.Ordinal));
        Assert.Equal(data.EarnedByArtist(), Sql.Rows(database, "SELECT owner_id, currency, earned_cents FROM treasury_balances WHERE owner_type = 'artist'").Order(StringComparer.Ordinal));
        Assert.Equal(data.AttendanceByArtist(), Sql.Rows(database, "SELECT artist_id, COUNT(*) FROM coliseum_metrics WHERE metric_type = 'concierto.artist_attendance' GROUP BY 1").Order(StringComparer.Ordinal));

        // And a rebuild from the remaining log gives exactly these tables.
        var copy = TempDirectory.Create("erasure-rebuild");
        TestBackend.CopyDatabase(directory, copy);
        await ExactlyOnceTests.ReplayAsync(copy);
        Aggregates.Equal(Aggregates.Snapshot(TestBackend.Database(copy)), Aggregates.Snapshot(database));
        Directory.Delete(copy, recursive: true);
        Directory.Delete(directory, recursive: true);
    }

    [Fact]
    public async Task An_erasure_killed_during_its_rebuild_finishes_after_the_restart_and_equals_a_rebuild()
    {
        var directory = TempDirectory.Create("erasure-kill");
        var events = Extras().Concat(Dataset.Generate(6000, seed: 3).Events).Select(e => e.ToJsonString()).ToList();
        long requestId;
        var environment = new Dictionary<string, string> { ["Coliseum__Processing__BatchSize"] = "100" };
        await using (var server = await ChildServer.StartAsync(directory, environment))
        {
            foreach (var chunk in events.Chunk(500))
            {
                using var response = await server.PostAsync("/api/passport/batch", "{\"events\":[" + string.Join(",", chunk) + "]}", TestServer.WriteKey);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            }
            var (status, body, _) = await SendAsync(server.Client, HttpMethod.Delete, $"/api/privacy/users/{Target}?suppress=true", TestServer.AdminKey);
            Assert.True(status == HttpStatusCode.Accepted, $"{status} {body}");
            requestId = body.GetProperty("id").GetInt64();
            await server.KillAsync();
        }
        await using (var server = await ChildServer.StartAsync(directory, environment))
        {
            await WaitDoneAsync(server.Client, requestId);
            // The suppression outlived the kill too: the user's next event is acknowledged and dropped.
            using var again = await server.PostAsync("/api/passport/log", $$"""{"type":"passport.page_viewed","userId":"{{Target}}","at":"2026-11-03T10:00:00Z","path":"/"}""", TestServer.WriteKey);
            Assert.Equal(HttpStatusCode.Created, again.StatusCode);
            await server.TerminateAsync(TimeSpan.FromSeconds(30));
        }
        var database = TestBackend.Database(directory);
        Assert.Empty(Mentions(database, Target, Device, Email));
        var copy = TempDirectory.Create("erasure-kill-rebuild");
        TestBackend.CopyDatabase(directory, copy);
        await ExactlyOnceTests.ReplayAsync(copy);
        Aggregates.Equal(Aggregates.Snapshot(TestBackend.Database(copy)), Aggregates.Snapshot(database));
        Directory.Delete(copy, recursive: true);
        Directory.Delete(directory, recursive: true);
    }
}
