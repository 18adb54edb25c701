using System.Net;
using System.Text;
using System.Text.Json;
using Coliseum.Tests.Capture;
using Coliseum.Tests.Infrastructure;

namespace Coliseum.Tests.Processing;

/// <summary>The processor over real HTTP: events captured are processed at once; status, names, dead letters.</summary>
public sealed class ColiseumApiTests
{
    [Fact]
    public async Task Captured_events_reach_the_leaderboard_and_status_reports_every_consumer_caught_up()
    {
        await using var server = await TestServer.StartAsync();
        for (var i = 0; i < 3; i++)
        {
            using var response = await server.PostAsync("/api/passport/log", ColiseumConsumerTests.Play($"u{i}", i == 0 ? "a2" : "a1", "2026-11-20T10:00:00Z"));
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        }
        var status = await WaitAsync(server, s => s.GetProperty("consumers").EnumerateArray().All(c => c.GetProperty("cursor").GetInt64() == 3));
        Assert.Equal(3, status.GetProperty("head").GetInt64());
        Assert.Equal(["coliseum", "treasury", "mediaid"], status.GetProperty("consumers").EnumerateArray().Select(c => c.GetProperty("name").GetString()!).ToArray());
        foreach (var consumer in status.GetProperty("consumers").EnumerateArray())
        {
            Assert.Equal(0, consumer.GetProperty("lag").GetInt64());
            Assert.Equal(0, consumer.GetProperty("lagSeconds").GetDouble());
            Assert.Equal(0, consumer.GetProperty("deadLetters").GetInt64());
            Assert.True(consumer.TryGetProperty("eventsPerSecond", out _));
        }
        Assert.Equal(["1|a1|2", "2|a2|1"], Sql.Column(server.DatabasePath,
            "SELECT rank || '|' || entity_id || '|' || score FROM coliseum_leaderboards WHERE leaderboard_id = 'top_artists_by_plays' AND time_window = 'all_time' ORDER BY rank"));
        Assert.Equal(["player.track_played|3|1|1|1"], Sql.Column(server.DatabasePath,
            "SELECT event_type || '|' || COUNT(*) || '|' || CAST(processed_by_coliseum AS integer) || '|' || CAST(processed_by_treasury AS integer) || '|' || CAST(processed_by_mediaid AS integer) FROM passport_entries GROUP BY event_type, processed_by_coliseum, processed_by_treasury, processed_by_mediaid"));
    }

    [Fact]
    public async Task Status_needs_a_read_key_and_names_need_an_admin_key()
    {
        await using var server = await TestServer.StartAsync();
        Assert.Equal(HttpStatusCode.Unauthorized, (await Send(server, HttpMethod.Get, "/api/coliseum/status", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await Send(server, HttpMethod.Get, "/api/coliseum/status", TestServer.WriteKey)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Send(server, HttpMethod.Get, "/api/coliseum/status", TestServer.AdminKey)).StatusCode);

        var put = """{"name":"Rosalía"}""";
        Assert.Equal(HttpStatusCode.Unauthorized, (await Send(server, HttpMethod.Put, "/api/coliseum/entities/artist/a1", null, put)).StatusCode);
        var forbidden = await Send(server, HttpMethod.Put, "/api/coliseum/entities/artist/a1", TestServer.ReadKey, put);
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        Assert.Contains("admin key", await forbidden.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        var badType = await Send(server, HttpMethod.Put, "/api/coliseum/entities/planet/p1", TestServer.AdminKey, put);
        Assert.Equal(HttpStatusCode.NotFound, badType.StatusCode);
        Assert.Contains("user, artist, track, event, city, playlist", await badType.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, (await Send(server, HttpMethod.Put, "/api/coliseum/entities/artist/a1", TestServer.AdminKey, """{"name":""}""")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await Send(server, HttpMethod.Put, "/api/coliseum/entities/artist/a1", TestServer.AdminKey, """{"nom":"x"}""")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await Send(server, HttpMethod.Put, "/api/coliseum/entities/artist/a1", TestServer.AdminKey, "{")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Send(server, HttpMethod.Get, "/api/coliseum/entities/artist/a1", TestServer.ReadKey)).StatusCode);

        var ok = await Send(server, HttpMethod.Put, "/api/coliseum/entities/artist/a1", TestServer.AdminKey, put);
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        var got = await Send(server, HttpMethod.Get, "/api/coliseum/entities/artist/a1", TestServer.ReadKey);
        using var entity = JsonDocument.Parse(await got.Content.ReadAsStringAsync());
        Assert.Equal("Rosalía", entity.RootElement.GetProperty("name").GetString());
        Assert.Equal("api", entity.RootElement.GetProperty("source").GetString());
    }

    [Fact]
    public async Task A_poison_entry_shows_in_status_metrics_and_the_dead_letter_list_and_retry_applies_it_once_fixed()
    {
        await using var server = await TestServer.StartAsync();
        using (var response = await server.PostAsync("/api/passport/log", """{"type":"treasury.money_spent","userId":"u1","at":"2026-11-20T10:00:00Z","amountCents":500,"currency":"usd","reason":"tip"}"""))
        {
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        }
        await WaitAsync(server, s => s.GetProperty("consumers").EnumerateArray().All(c => c.GetProperty("cursor").GetInt64() == 1));
        // A row that did not come through capture (an old version wrote it): the amount is text.
        Sql.Scalar<long>(server.DatabasePath, TestBackend.Postgres
            // PostgreSQL's log takes its next position from passport_log_head and keeps message ids unique in a table of their own.
            ? """
                WITH h AS (UPDATE passport_log_head SET position = position + 1 WHERE id = 1 RETURNING position),
                     m AS (INSERT INTO passport_message_ids (message_id, position) SELECT 'legacy-1', position FROM h)
                INSERT INTO passport_log (position, message_id, event_type, event_category, user_id, metadata, occurred_at, client_at, received_at, source)
                SELECT h.position, 'legacy-1', 'treasury.money_spent', 'treasury', 'u1', '{"amountCents":"five","currency":"usd","reason":"tip"}', 1795600000000, 1795600000000, 1795600000000, 'import' FROM h
                RETURNING position
                """
            : """
                INSERT INTO passport_log (message_id, event_type, event_category, user_id, metadata, occurred_at, client_at, received_at, source)
                VALUES ('legacy-1', 'treasury.money_spent', 'treasury', 'u1', '{"amountCents":"five","currency":"usd","reason":"tip"}', 1795600000000, 1795600000000, 1795600000000, 'import')
                RETURNING position
                """);
        using (var response = await server.PostAsync("/api/passport/log", """{"type":"treasury.money_spent","userId":"u1","at":"2026-11-20T11:00:00Z","amountCents":700,"currency":"usd","reason":"tip"}"""))
        {
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        }
        var status = await WaitAsync(server, s => s.GetProperty("consumers").EnumerateArray().All(c => c.GetProperty("cursor").GetInt64() == 3));
        var treasury = status.GetProperty("consumers").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "treasury");
        Assert.Equal(1, treasury.GetProperty("deadLetters").GetInt64());
        // coliseum reads amountCents too (the metric value), so it dead-letters the same entry; mediaid does not.
        Assert.Equal([1, 1, 0], status.GetProperty("consumers").EnumerateArray().Select(c => c.GetProperty("deadLetters").GetInt64()).ToArray());
        Assert.Equal(1200, Sql.Scalar<long>(server.DatabasePath, "SELECT spent_cents FROM treasury_balances WHERE owner_id = 'u1'"));

        // The meter is process-wide and other tests run consumers too: this server's entry counts at least once.
        var metrics = await Scrape(server);
        Assert.True(Prometheus.Sample(metrics, "coliseum_consumer_dead_lettered_total", "consumer=\"treasury\"") >= 1, metrics);
        Assert.True(Prometheus.Has(metrics, "coliseum_consumer_dead_letters", "consumer=\"treasury\""), metrics);
        Assert.True(Prometheus.Has(metrics, "coliseum_consumer_lag", "consumer=\"coliseum\""), metrics);

        var list = await Send(server, HttpMethod.Get, "/api/coliseum/deadletters?consumer=treasury", TestServer.AdminKey);
        var listed = await list.Content.ReadAsStringAsync();
        Assert.Contains("\"position\":2", listed, StringComparison.Ordinal);
        Assert.Contains("amountCents", listed, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, (await Send(server, HttpMethod.Get, "/api/coliseum/deadletters", TestServer.ReadKey)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Send(server, HttpMethod.Post, "/api/coliseum/deadletters/retry?consumer=nope", TestServer.AdminKey)).StatusCode);

        Sql.Execute(server.DatabasePath, """UPDATE passport_log SET metadata = '{"amountCents":500,"currency":"usd","reason":"tip"}' WHERE message_id = 'legacy-1'""");
        var retry = await Send(server, HttpMethod.Post, "/api/coliseum/deadletters/retry", TestServer.AdminKey);
        Assert.Equal("""[{"consumer":"coliseum","resolved":1,"stillFailing":0},{"consumer":"treasury","resolved":1,"stillFailing":0},{"consumer":"mediaid","resolved":0,"stillFailing":0}]""",
            await retry.Content.ReadAsStringAsync());
        Assert.Equal(1700, Sql.Scalar<long>(server.DatabasePath, "SELECT SUM(metric_value) FROM coliseum_metrics WHERE metric_type = 'treasury.money_spent'"));
        Assert.Equal(1700, Sql.Scalar<long>(server.DatabasePath, "SELECT spent_cents FROM treasury_balances WHERE owner_id = 'u1'"));
        status = await WaitAsync(server, s => s.GetProperty("consumers").EnumerateArray().All(c => c.GetProperty("deadLetters").GetInt64() == 0));
    }

    private static async Task<string> Scrape(TestServer server)
    {
        // The gauges report the status the processor last read (every 5 s); read it now.
        await Send(server, HttpMethod.Get, "/api/coliseum/status", TestServer.ReadKey);
        var response = await Send(server, HttpMethod.Get, "/metrics", TestServer.ReadKey);
        return await response.Content.ReadAsStringAsync();
    }

    private static Task<HttpResponseMessage> Send(TestServer server, HttpMethod method, string path, string? key, string? body = null) =>
        server.SendAsync(method, path, key, body);

    private static async Task<JsonElement> WaitAsync(TestServer server, Func<JsonElement, bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        var last = "";
        while (DateTime.UtcNow < deadline)
        {
            using var response = await Send(server, HttpMethod.Get, "/api/coliseum/status", TestServer.ReadKey);
            last = await response.Content.ReadAsStringAsync();
            var status = JsonDocument.Parse(last).RootElement;
            if (condition(status))
            {
                return status;
            }
            await Task.Delay(20);
        }
        throw new TimeoutException("status never matched: " + last);
    }
}
