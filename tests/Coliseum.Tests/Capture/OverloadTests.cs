using System.Net;
using Coliseum.Tests.Infrastructure;
using Microsoft.Data.Sqlite;

namespace Coliseum.Tests.Capture;

/// <summary>Invariant 6: the append queue is bounded; when it is full, capture answers 503 with Retry-After.</summary>
public sealed class OverloadTests
{
    [Fact]
    public async Task Full_append_queue_answers_503_with_Retry_After_and_queued_events_still_land()
    {
        await using var server = await TestServer.StartAsync(new Dictionary<string, string?>
        {
            ["Coliseum:Capture:MaxBatchEvents"] = "10",
            ["Coliseum:Capture:MaxPendingEvents"] = "20",
        });
        // Another client holds the database's write lock (SQLite's writer lock; PostgreSQL's log head, which every
        // append locks first), so the writer cannot commit and work queues up.
        using System.Data.Common.DbConnection blocker = TestBackend.Postgres
            ? TestBackend.Open(TestBackend.SchemaOf(server.DataDirectory))
            : new SqliteConnection($"Data Source={server.DatabasePath};Pooling=False");
        if (blocker.State != System.Data.ConnectionState.Open)
        {
            blocker.Open();
        }
        using (var begin = blocker.CreateCommand())
        {
            begin.CommandText = TestBackend.Postgres ? "BEGIN; SELECT position FROM passport_log_head WHERE id = 1 FOR UPDATE" : "BEGIN IMMEDIATE";
            begin.ExecuteNonQuery();
        }

        var first = server.PostAsync("/api/passport/batch", Batch("a"));
        var second = server.PostAsync("/api/passport/batch", Batch("b"));
        await WaitForQueueAsync(server, 20);
        using var refused = await server.PostAsync("/api/passport/batch", Batch("c"));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(1), refused.Headers.RetryAfter?.Delta);
        Assert.Contains("append queue is full", await refused.Content.ReadAsStringAsync());

        using (var rollback = blocker.CreateCommand())
        {
            rollback.CommandText = "ROLLBACK";
            rollback.ExecuteNonQuery();
        }
        Assert.Equal(HttpStatusCode.OK, (await first).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await second).StatusCode);
        Assert.Equal(20, server.LogCount);
        Assert.Equal(0, server.Scalar<long>("SELECT COUNT(*) FROM passport_log WHERE message_id LIKE 'c-%'"));
    }

    private static string Batch(string prefix) =>
        Events.Batch(Enumerable.Range(0, 10).Select(i => (System.Text.Json.Nodes.JsonNode)Events.TrackPlayed($"{prefix}-{i}")).ToArray());

    private static async Task WaitForQueueAsync(TestServer server, long depth)
    {
        var appender = (Coliseum.Capture.PassportAppender)server.Services.GetService(typeof(Coliseum.Capture.PassportAppender))!;
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (appender.PendingEvents < depth)
        {
            Assert.True(DateTime.UtcNow < deadline, $"queue reached only {appender.PendingEvents}");
            await Task.Delay(10);
        }
    }
}
