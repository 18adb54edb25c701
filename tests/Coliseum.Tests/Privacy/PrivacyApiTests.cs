using System.Net;
using System.Text.Json;
using Coliseum.Tests.Infrastructure;
using Coliseum.Tests.Processing;
using Coliseum.Tests.Query;
using Coliseum.Tests.Security;
using static Coliseum.Tests.Privacy.PrivacyData;

namespace Coliseum.Tests.Privacy;

/// <summary>The privacy endpoints' answers: who may call them, unknown users, repeats, suppression, export, and cached reads after an erasure.</summary>
public sealed class PrivacyApiTests
{
    private static async Task<TestServer> LoadedAsync(int count = 600)
    {
        var server = await TestServer.StartAsync();
        await QueryClient.LoadAsync(server, [.. Extras().Concat(Dataset.Generate(count, seed: 5).Events).Select(e => e.ToJsonString())]);
        return server;
    }

    [Theory]
    [InlineData("DELETE", "/api/privacy/users/u1")]
    [InlineData("GET", "/api/privacy/users/u1/export")]
    [InlineData("GET", "/api/privacy/requests/1")]
    public async Task Only_an_admin_key_may_call_the_privacy_endpoints(string method, string path)
    {
        await using var server = await TestServer.StartAsync();
        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(server.Client, new HttpMethod(method), path, null)).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(server.Client, new HttpMethod(method), path, "not-a-key")).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await SendAsync(server.Client, new HttpMethod(method), path, TestServer.WriteKey)).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await SendAsync(server.Client, new HttpMethod(method), path, TestServer.ReadKey)).Status);
        // A user token is not a key, even for the user's own data.
        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(server.Client, new HttpMethod(method), path, TokenFactory.Hs256("u1"))).Status);
        Assert.Equal(0, server.Scalar<long>("SELECT COUNT(*) FROM privacy_requests"));
    }

    [Fact]
    public async Task An_unknown_user_is_a_clean_answer_and_a_repeated_erasure_changes_nothing()
    {
        await using var server = await LoadedAsync();
        var (status, body, _) = await SendAsync(server.Client, HttpMethod.Delete, "/api/privacy/users/nobody", TestServer.AdminKey);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("done", body.GetProperty("status").GetString());
        Assert.All(body.GetProperty("removed").EnumerateObject(), p => Assert.Equal(0, p.Value.GetInt64()));
        Assert.Empty(body.GetProperty("rebuild").EnumerateArray());

        var (first, firstBody, _) = await SendAsync(server.Client, HttpMethod.Delete, $"/api/privacy/users/{Target}", TestServer.AdminKey);
        Assert.Equal(HttpStatusCode.Accepted, first);
        await WaitDoneAsync(server.Client, firstBody.GetProperty("id").GetInt64());
        var after = Aggregates.Snapshot(server.DatabasePath);
        var (second, secondBody, _) = await SendAsync(server.Client, HttpMethod.Delete, $"/api/privacy/users/{Target}", TestServer.AdminKey);
        Assert.Equal(HttpStatusCode.OK, second);
        Assert.Equal(0, secondBody.GetProperty("removed").GetProperty("passport_entries").GetInt64());
        Aggregates.Equal(after, Aggregates.Snapshot(server.DatabasePath));

        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(server.Client, HttpMethod.Get, "/api/privacy/requests/999", TestServer.AdminKey)).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await SendAsync(server.Client, HttpMethod.Get, "/api/privacy/requests/abc", TestServer.AdminKey)).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await SendAsync(server.Client, HttpMethod.Delete, "/api/privacy/users/" + new string('x', 129), TestServer.AdminKey)).Status);
    }

    [Fact]
    public async Task A_suppressed_user_s_later_events_are_acknowledged_and_not_stored_and_others_still_are()
    {
        await using var server = await LoadedAsync();
        var (status, body, _) = await SendAsync(server.Client, HttpMethod.Delete, $"/api/privacy/users/{Target}?suppress=true", TestServer.AdminKey);
        Assert.Equal(HttpStatusCode.Accepted, status);
        Assert.True(body.GetProperty("suppress").GetBoolean());
        await WaitDoneAsync(server.Client, body.GetProperty("id").GetInt64());
        var head = server.LogCount;

        using var single = await server.PostAsync("/api/passport/log", $$"""{"type":"passport.page_viewed","userId":"{{Target}}","at":"2026-11-03T10:00:00Z","path":"/"}""");
        Assert.Equal(HttpStatusCode.Created, single.StatusCode);
        using var batch = await server.PostAsync("/api/passport/batch", $$"""
            {"events":[
              {"type":"passport.page_viewed","userId":"{{Target}}","at":"2026-11-03T10:00:01Z","path":"/a"},
              {"type":"passport.page_viewed","userId":"u2","at":"2026-11-03T10:00:02Z","path":"/b"},
              {"type":"passport.page_viewed","userId":"{{Target}}","at":"2026-11-03T10:00:03Z","path":"/c"}]}
            """);
        Assert.Equal(HttpStatusCode.OK, batch.StatusCode);
        Assert.Equal(3, JsonDocument.Parse(await batch.Content.ReadAsStringAsync()).RootElement.GetProperty("accepted").GetInt32());
        using var segment = await server.PostAsync("/v1/track", $$$"""{"userId":"{{{Target}}}","event":"Page Viewed","properties":{"path":"/s"}}""");
        Assert.Equal(HttpStatusCode.OK, segment.StatusCode);

        Assert.Equal(head + 1, server.LogCount);
        Assert.Equal(0, server.Scalar<long>($"SELECT COUNT(*) FROM passport_log WHERE user_id = '{Target}'"));
        Assert.Equal(1, server.Scalar<long>($"SELECT COUNT(*) FROM privacy_suppressions WHERE user_hash = '{Sha256(Target)}'"));
        Assert.Empty(Mentions(server.DatabasePath, Target));
        var metrics = await Capture.Prometheus.ScrapeAsync(server);
        // Counters are process-wide: at least this test's four.
        Assert.True(Capture.Prometheus.Sample(metrics, "coliseum_events_suppressed_total") >= 4, metrics);
    }

    [Fact]
    public async Task The_export_holds_the_users_entries_profile_ledger_metrics_and_votes_and_nobody_elses()
    {
        await using var server = await LoadedAsync();
        using var response = await server.SendAsync(HttpMethod.Get, $"/api/privacy/users/{Target}/export", TestServer.AdminKey);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType!.MediaType);
        var export = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(Target, export.GetProperty("userId").GetString());
        Assert.Equal([Device], export.GetProperty("anonymousIds").EnumerateArray().Select(a => a.GetString()));

        var mine = Extras().Concat(Dataset.Generate(600, seed: 5).Events).Where(IsTarget).Select(e => e["messageId"]!.GetValue<string>()).ToList();
        Assert.Equal(mine.Order(StringComparer.Ordinal), export.GetProperty("entries").EnumerateArray().Select(e => e.GetProperty("message_id").GetString()).Order(StringComparer.Ordinal));
        var identified = export.GetProperty("entries").EnumerateArray().Single(e => e.GetProperty("event_type").GetString() == "passport.identified");
        Assert.Equal(Email, identified.GetProperty("metadata").GetProperty("traits").GetProperty("email").GetString());

        var profile = Assert.Single(export.GetProperty("profiles").EnumerateArray());
        Assert.Equal(Target, profile.GetProperty("user_id").GetString());
        Assert.Equal(Email, profile.GetProperty("traits").GetProperty("email").GetString());
        Assert.Equal(mine.Count, profile.GetProperty("event_count").GetInt64());
        Assert.Equal(server.Scalar<long>($"SELECT COUNT(*) FROM treasury_ledger WHERE owner_id = '{Target}' OR user_id = '{Target}'"), export.GetProperty("ledger").GetArrayLength());
        Assert.True(export.GetProperty("balances").GetArrayLength() > 0);
        Assert.Equal("pro", Assert.Single(export.GetProperty("subscriptions").EnumerateArray()).GetProperty("plan").GetString());
        Assert.Equal(server.Scalar<long>($"SELECT COUNT(*) FROM coliseum_metrics WHERE user_id IN ('{Target}', '{Device}')"), export.GetProperty("metrics").GetArrayLength());
        Assert.Equal(server.Scalar<long>($"SELECT COUNT(*) FROM coliseum_votes WHERE user_id = '{Target}'"), export.GetProperty("votes").GetArrayLength());
        Assert.Equal("newsletter", Assert.Single(export.GetProperty("touchpoints").EnumerateArray()).GetProperty("source").GetString());
        Assert.True(export.GetProperty("attributions").GetArrayLength() > 0);
        Assert.All(export.GetProperty("metrics").EnumerateArray(), m => Assert.Contains(m.GetProperty("user_id").GetString(), new[] { Target, Device }));

        // Someone unknown: the same document, empty.
        using var nobody = await server.SendAsync(HttpMethod.Get, "/api/privacy/users/nobody/export", TestServer.AdminKey);
        var empty = JsonDocument.Parse(await nobody.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(0, empty.GetProperty("entries").GetArrayLength());
        Assert.Equal(0, empty.GetProperty("profiles").GetArrayLength());
    }

    [Fact]
    public async Task A_leaderboard_read_before_the_erasure_is_not_served_from_cache_once_the_rebuild_is_back_at_the_same_position()
    {
        await using var server = await LoadedAsync();
        var before = await QueryClient.OkAsync(server, "/api/coliseum/leaderboards/top_fans_by_spend?limit=100");
        Assert.Contains(before.GetProperty("entries").EnumerateArray(), e => e.GetProperty("entity_id").GetString() == Target);

        var (_, body, _) = await SendAsync(server.Client, HttpMethod.Delete, $"/api/privacy/users/{Target}", TestServer.AdminKey);
        await WaitDoneAsync(server.Client, body.GetProperty("id").GetInt64());
        await QueryClient.CaughtUpAsync(server);

        var after = await QueryClient.OkAsync(server, "/api/coliseum/leaderboards/top_fans_by_spend?limit=100");
        Assert.DoesNotContain(after.GetProperty("entries").EnumerateArray(), e => e.GetProperty("entity_id").GetString() == Target);
        Assert.Equal(before.GetProperty("entries").GetArrayLength() - 1, after.GetProperty("entries").GetArrayLength());
    }
}
