using System.Net;
using System.Text.Json;
using Coliseum.Processing;
using Coliseum.Reports;
using Coliseum.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Coliseum.Tests.Query;

/// <summary>The reports endpoints' contract: keys, validation, 404, CSV before done, the bounded queue, restart recovery.</summary>
public sealed class ReportsApiTests
{
    private const string Reports = "/api/coliseum/reports";

    [Fact]
    public async Task Reports_need_a_read_or_admin_key()
    {
        await using var server = await TestServer.StartAsync();
        const string body = """{"type":"event","params":{"eventId":"e1"}}""";
        Assert.Equal(HttpStatusCode.Unauthorized, (await ReportClient.SendAsync(server, HttpMethod.Post, Reports, null, body)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await ReportClient.SendAsync(server, HttpMethod.Post, Reports, TestServer.WriteKey, body)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await ReportClient.SendAsync(server, HttpMethod.Get, Reports + "/1", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await ReportClient.SendAsync(server, HttpMethod.Get, Reports + "/1", TestServer.WriteKey)).StatusCode);
        Assert.Equal(0, server.Scalar<long>("SELECT COUNT(*) FROM coliseum_reports"));

        var admin = await ReportClient.ReportAsync(server, "event", """{"eventId":"e1"}""", TestServer.AdminKey);
        Assert.Equal("done", admin.GetProperty("status").GetString());
    }

    [Fact]
    public async Task A_report_is_accepted_with_its_location_and_answers_its_status_params_and_positions()
    {
        await using var server = await TestServer.StartAsync();
        using var created = await ReportClient.SendAsync(server, HttpMethod.Post, Reports, TestServer.ReadKey, """{"type":"artist","params":{"artistId":"a1","from":"2026-11-01"}}""");
        Assert.Equal(HttpStatusCode.Accepted, created.StatusCode);
        using var body = JsonDocument.Parse(await created.Content.ReadAsStringAsync());
        var id = body.RootElement.GetProperty("id").GetInt64();
        Assert.Equal($"{Reports}/{id}", created.Headers.Location!.ToString());
        Assert.Equal($"{Reports}/{id}", body.RootElement.GetProperty("location").GetString());
        Assert.Equal("pending", body.RootElement.GetProperty("status").GetString());
        // Defaults are filled in: to is 29 days after from.
        Assert.Equal("""{"artistId":"a1","from":"2026-11-01","to":"2026-11-30"}""", body.RootElement.GetProperty("params").GetRawText());

        var done = await ReportClient.WaitDoneAsync(server, $"{Reports}/{id}");
        Assert.Equal("done", done.GetProperty("status").GetString());
        Assert.Equal("artist", done.GetProperty("type").GetString());
        Assert.Equal(0, done.GetProperty("positions").GetProperty("coliseum").GetInt64());
        Assert.Equal(0, done.GetProperty("result").GetProperty("plays").GetInt64());
        Assert.Equal(30, done.GetProperty("result").GetProperty("daily").GetArrayLength());
        Assert.Equal("done", server.Scalar<string>($"SELECT status FROM coliseum_reports WHERE id = {id}"));
        Assert.NotNull(server.Scalar<string>($"SELECT result FROM coliseum_reports WHERE id = {id}"));
    }

    [Theory]
    [InlineData("""{"type":"galaxy","params":{}}""", "type")]
    [InlineData("""{"params":{"artistId":"a1"}}""", "type")]
    [InlineData("""{"type":"artist"}""", "params")]
    [InlineData("""{"type":"artist","params":[1]}""", "params")]
    [InlineData("""{"type":"artist","params":{"artistId":"a1"},"extra":1}""", "extra")]
    [InlineData("""{"type":"artist","params":{}}""", "params.artistId")]
    [InlineData("""{"type":"artist","params":{"artistId":""}}""", "params.artistId")]
    [InlineData("""{"type":"artist","params":{"artistId":"a1","colour":"red"}}""", "params.colour")]
    [InlineData("""{"type":"artist","params":{"artistId":"a1","from":"2026-13-01"}}""", "params.from")]
    [InlineData("""{"type":"artist","params":{"artistId":"a1","from":"2026-11-05","to":"2026-11-01"}}""", "params.from")]
    [InlineData("""{"type":"artist","params":{"artistId":"a1","from":"2025-01-01","to":"2026-01-02"}}""", "params.to")]
    [InlineData("""{"type":"event","params":{"eventId":7}}""", "params.eventId")]
    [InlineData("""{"type":"passport","params":{"userId":"u1","year":1900}}""", "params.year")]
    [InlineData("""{"type":"passport","params":{"userId":"u1","year":2026,"from":"2026-01-01"}}""", "params.year")]
    [InlineData("""{"type":"passport","params":{"year":2026}}""", "params.userId")]
    [InlineData("""{"type":"platform","params":{}}""", "params.day")]
    [InlineData("""{"type":"platform","params":{"day":"yesterday"}}""", "params.day")]
    [InlineData("""{"type":"platform","params":{"day":"2026-11-03","tz":"Mars/Olympus"}}""", "params.tz")]
    [InlineData("""{"type":"platform","params":{"day":"2026-11-03","tz":"Asia/Kolkata"}}""", "params.tz")]
    public async Task Bad_requests_get_a_400_naming_the_field(string body, string field)
    {
        await using var server = await TestServer.StartAsync();
        using var response = await ReportClient.SendAsync(server, HttpMethod.Post, Reports, TestServer.ReadKey, body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, text);
        using var problem = JsonDocument.Parse(text);
        Assert.Equal(field, problem.RootElement.GetProperty("field").GetString());
        Assert.Equal(0, server.Scalar<long>("SELECT COUNT(*) FROM coliseum_reports"));
    }

    [Fact]
    public async Task Invalid_json_unknown_ids_and_bad_formats_are_refused()
    {
        await using var server = await TestServer.StartAsync();
        Assert.Equal(HttpStatusCode.BadRequest, (await ReportClient.SendAsync(server, HttpMethod.Post, Reports, TestServer.ReadKey, "{")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await ReportClient.SendAsync(server, HttpMethod.Get, Reports + "/999", TestServer.ReadKey)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await ReportClient.SendAsync(server, HttpMethod.Get, Reports + "/abc", TestServer.ReadKey)).StatusCode);
        var done = await ReportClient.ReportAsync(server, "platform", """{"day":"2026-11-03"}""");
        var id = done.GetProperty("id").GetInt64();
        using var bad = await ReportClient.SendAsync(server, HttpMethod.Get, $"{Reports}/{id}?format=xml", TestServer.ReadKey);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("\"field\":\"format\"", await bad.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Over_the_pending_limit_a_report_is_refused_with_503_and_retry_after_and_csv_waits_for_done()
    {
        await using var server = await TestServer.StartAsync(new Dictionary<string, string?> { ["Coliseum:Reports:MaxPending"] = "1" });
        var queue = server.Services.GetRequiredService<ReportQueue>();
        var store = server.Services.GetRequiredService<IProcessorStore>();
        // Hold the database's write lock (SQLite has one writer; on PostgreSQL, lock the reports table against
        // inserts): the first report takes the only slot, then waits to insert its row.
        var gate = new TaskCompletionSource();
        var holding = new TaskCompletionSource();
        var hold = store.WriteAsync(async (connection, transaction) =>
        {
            if (TestBackend.Postgres)
            {
                await Db.ExecuteAsync(connection, transaction, "LOCK TABLE coliseum_reports IN EXCLUSIVE MODE", CancellationToken.None);
            }
            holding.SetResult();
            await gate.Task;
            return 0;
        }, CancellationToken.None);
        await holding.Task;
        var first = ReportClient.SendAsync(server, HttpMethod.Post, Reports, TestServer.ReadKey, """{"type":"event","params":{"eventId":"e1"}}""");
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (queue.Outstanding == 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(5);
        }
        Assert.Equal(1, queue.Outstanding);

        using (var refused = await ReportClient.SendAsync(server, HttpMethod.Post, Reports, TestServer.ReadKey, """{"type":"event","params":{"eventId":"e2"}}"""))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
            Assert.Equal(TimeSpan.FromSeconds(2), refused.Headers.RetryAfter!.Delta);
        }
        gate.SetResult();
        await hold;
        using var accepted = await first;
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        var done = await ReportClient.WaitDoneAsync(server, accepted.Headers.Location!.ToString());
        Assert.Equal("done", done.GetProperty("status").GetString());
        deadline = DateTime.UtcNow.AddSeconds(30);
        while (queue.Outstanding != 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(5);
        }
        Assert.Equal(0, queue.Outstanding);
        Assert.Equal(1, server.Scalar<long>("SELECT COUNT(*) FROM coliseum_reports"));

        // A report that is not done has no CSV yet.
        Sql.Execute(server.DatabasePath, "INSERT INTO coliseum_reports (type, params, status, created_at) VALUES ('event', '{\"eventId\":\"e9\"}', 'failed', 0)");
        using var csv = await ReportClient.SendAsync(server, HttpMethod.Get, $"{Reports}/2?format=csv", TestServer.ReadKey);
        Assert.Equal(HttpStatusCode.Conflict, csv.StatusCode);
    }

    [Fact]
    public async Task Reports_left_pending_or_running_by_a_stopped_server_are_computed_at_the_next_start()
    {
        var directory = TempDirectory.Create("reports-restart");
        try
        {
            await using (var first = await TestServer.StartAsync(dataDirectory: directory))
            {
                await ReportClient.LoadAsync(first, [Infrastructure.Events.TrackPlayed(userId: "u1", artistId: "a1")]);
            }
            // As a crash leaves them: one never started, one cut short.
            Sql.Execute(TestBackend.Database(directory), """
                INSERT INTO coliseum_reports (type, params, status, created_at) VALUES ('event', '{"eventId":"e1"}', 'pending', 1);
                INSERT INTO coliseum_reports (type, params, status, created_at, started_at) VALUES ('passport', '{"userId":"u1","from":"2020-01-01","to":"2020-12-31"}', 'running', 1, 2);
                """);
            await using var second = await TestServer.StartAsync(dataDirectory: directory);
            var event1 = await ReportClient.WaitDoneAsync(second, $"{Reports}/1");
            var passport = await ReportClient.WaitDoneAsync(second, $"{Reports}/2");
            Assert.Equal("done", event1.GetProperty("status").GetString());
            Assert.Equal("done", passport.GetProperty("status").GetString());
            Assert.Equal(1, passport.GetProperty("positions").GetProperty("mediaid").GetInt64());
            Assert.Equal(1, passport.GetProperty("result").GetProperty("profile").GetProperty("eventCount").GetInt64());
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
