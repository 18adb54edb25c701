using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Coliseum.Tests.Infrastructure;
using Coliseum.Tests.Processing;

namespace Coliseum.Tests.Durability;

/// <summary>
/// Invariants 2 and 4: whatever crashes happen, every stored event is counted once in every aggregate,
/// and a rebuild from the log gives identical tables. The server runs as its own process, ingesting and
/// processing at once, and is killed with SIGKILL at random moments (mid-batch, mid-commit).
/// </summary>
[Collection(nameof(ChildProcessCollection))]
public sealed class ExactlyOnceTests
{
    [Fact]
    public async Task Aggregates_after_repeated_SIGKILLs_equal_a_rebuild_from_the_log()
    {
        var data = TempDirectory.Create("exactly-once");
        var events = Dataset.Generate(10_000, seed: 23).Events;
        var batches = events.Chunk(50).Select(chunk => new JsonObject { ["events"] = new JsonArray([.. chunk.Select(e => e.DeepClone())]) }.ToJsonString()).ToList();
        var random = new Random(5);
        var next = 0;
        // Small batches keep the consumers committing often, so the kills land inside their transactions.
        var environment = new Dictionary<string, string> { ["Coliseum__Processing__BatchSize"] = "200" };
        for (var life = 1; life <= 5; life++)
        {
            await using var server = await ChildServer.StartAsync(data, environment);
            var lifetime = Stopwatch.StartNew();
            var until = TimeSpan.FromMilliseconds(150 + random.Next(400));
            while (lifetime.Elapsed < until && next < batches.Count)
            {
                using var response = await server.PostAsync("/api/passport/batch", batches[next], TestServer.WriteKey);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                next++;
            }
            // Unacknowledged or not, a batch may be sent again after the restart: messageIds make that safe.
            next = Math.Max(0, next - 2);
            server.Kill();
            await server.KillAsync();
        }
        Assert.True(next < batches.Count - 10, "the kills should come while events are still arriving");

        var copy = TempDirectory.Create("exactly-once-rebuild");
        await using (var server = await ChildServer.StartAsync(data, environment))
        {
            for (; next < batches.Count; next++)
            {
                using var response = await server.PostAsync("/api/passport/batch", batches[next], TestServer.WriteKey);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            }
            await WaitCaughtUpAsync(server, TimeSpan.FromSeconds(120));
            await server.TerminateAsync(TimeSpan.FromSeconds(30));
        }
        Assert.Equal(events.Count, Sql.Scalar<long>(TestBackend.Database(data), "SELECT COUNT(*) FROM passport_log"));
        Assert.Equal(events.Count, Sql.Scalar<long>(TestBackend.Database(data), "SELECT COUNT(*) FROM coliseum_metrics WHERE seq = 0"));
        Assert.Equal(0, Sql.Scalar<long>(TestBackend.Database(data), "SELECT COUNT(*) FROM consumer_dead_letters"));

        TestBackend.CopyDatabase(data, copy);
        await ReplayAsync(copy);
        Aggregates.Equal(Aggregates.Snapshot(TestBackend.Database(copy)), Aggregates.Snapshot(TestBackend.Database(data)));
        Directory.Delete(data, recursive: true);
        Directory.Delete(copy, recursive: true);
    }

    private static async Task WaitCaughtUpAsync(ChildServer server, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        string body = "";
        while (DateTime.UtcNow < deadline)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/api/coliseum/status");
            request.Headers.Add("Authorization", "Bearer " + TestServer.ReadKey);
            using var response = await server.Client.SendAsync(request);
            body = await response.Content.ReadAsStringAsync();
            using var status = JsonDocument.Parse(body);
            var consumers = status.RootElement.GetProperty("consumers").EnumerateArray().ToList();
            if (consumers.Count == 3 && consumers.All(c => c.GetProperty("lag").GetInt64() == 0))
            {
                return;
            }
            await Task.Delay(100);
        }
        throw new TimeoutException($"the consumers did not catch up: {body}");
    }

    /// <summary>Runs <c>coliseum replay</c> (all consumers) on a data directory, as an operator would.</summary>
    internal static async Task<string> ReplayAsync(string dataDirectory)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        info.ArgumentList.Add(ChildServer.ColiseumDll());
        info.ArgumentList.Add("replay");
        info.ArgumentList.Add("--data-dir");
        info.ArgumentList.Add(dataDirectory);
        foreach (var (key, value) in TestBackend.Environment(dataDirectory))
        {
            info.Environment[key] = value;
        }
        using var process = Process.Start(info)!;
        var output = new StringBuilder();
        var stderr = process.StandardError.ReadToEndAsync();
        output.Append(await process.StandardOutput.ReadToEndAsync());
        await process.WaitForExitAsync();
        output.Append(await stderr);
        Assert.True(process.ExitCode == 0, $"coliseum replay exited {process.ExitCode}:\n{output}");
        return output.ToString();
    }
}
