using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Coliseum.Bench;

/// <summary>The processor's own account of itself: <c>GET /api/coliseum/status</c> with the read key.</summary>
internal static class ServerStatus
{
    public static async Task<JsonObject> GetAsync(Uri address)
    {
        using var client = new HttpClient { BaseAddress = address };
        client.DefaultRequestHeaders.Add("Authorization", $"Bearer {ServerProcess.ReadKey}");
        return JsonNode.Parse(await client.GetStringAsync("/api/coliseum/status"))!.AsObject();
    }

    /// <summary>Waits until every consumer has applied the whole log, at most a minute.</summary>
    public static async Task WaitForCatchUpAsync(Uri address)
    {
        var started = Stopwatch.GetTimestamp();
        while (Stopwatch.GetElapsedTime(started) < TimeSpan.FromMinutes(1))
        {
            var status = await GetAsync(address);
            if (status["consumers"]!.AsArray().All(c => c!["lag"]!.GetValue<long>() == 0))
            {
                Scratch.Progress($"consumers caught up after {Stopwatch.GetElapsedTime(started).TotalSeconds:N1} s");
                return;
            }
            await Task.Delay(250);
        }
        Scratch.Progress("consumers did not catch up within a minute; measuring anyway");
    }
}

/// <summary>Reads the consumers' lag from the status endpoint every 2 s and keeps the worst.</summary>
internal sealed class LagSampler
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task<JsonObject> _loop;

    public LagSampler(Uri address) => _loop = Task.Run(async () =>
    {
        long maxLag = 0, samples = 0;
        double maxLagSeconds = 0;
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(2_000, _stop.Token);
                foreach (var consumer in (await ServerStatus.GetAsync(address))["consumers"]!.AsArray())
                {
                    maxLag = Math.Max(maxLag, consumer!["lag"]!.GetValue<long>());
                    maxLagSeconds = Math.Max(maxLagSeconds, consumer["lagSeconds"]!.GetValue<double>());
                }
                samples++;
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
        return new JsonObject { ["samples"] = samples, ["maxLagEntries"] = maxLag, ["maxLagSeconds"] = maxLagSeconds };
    });

    public async Task<JsonObject> StopAsync()
    {
        await _stop.CancelAsync();
        return await _loop;
    }
}
