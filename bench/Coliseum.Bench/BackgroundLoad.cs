using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Coliseum.Bench;

/// <summary>
/// Steady capture at a fixed rate: batches of <c>perBatch</c> events on an absolute schedule (one every
/// perBatch/rate seconds), shared by a few connections. A late batch is sent at once, so a stall is
/// followed by a catch-up burst; the achieved rate is measured, not assumed.
/// </summary>
internal sealed class BackgroundLoad : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task[] _workers;
    private readonly long _started = Stopwatch.GetTimestamp();
    private long _accepted;
    private long _batches;
    private long _rejected;
    private long _lateBatches;
    private long _stopped;
    private readonly List<double> _latencies = [];

    private BackgroundLoad(HttpClient client, IReadOnlyList<byte[]> bodies, int perBatch, int rate, int connections)
    {
        var interval = TimeSpan.FromSeconds((double)perBatch / rate);
        var next = -1L;
        _workers = Enumerable.Range(0, connections).Select(_ => Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested)
            {
                var i = Interlocked.Increment(ref next);
                var wait = interval * i - Stopwatch.GetElapsedTime(_started);
                if (wait > TimeSpan.Zero)
                {
                    try
                    {
                        await Task.Delay(wait, _stop.Token);
                    }
                    catch (OperationCanceledException)
                    {
                        return;
                    }
                }
                else if (wait < -interval)
                {
                    Interlocked.Increment(ref _lateBatches);
                }
                await PostAsync(client, bodies[(int)(i % bodies.Count)]);
            }
        })).ToArray();
    }

    public static BackgroundLoad Start(HttpClient client, IReadOnlyList<byte[]> bodies, int perBatch, int rate, int connections) =>
        new(client, bodies, perBatch, rate, connections);

    public long Accepted => Interlocked.Read(ref _accepted);

    private async Task PostAsync(HttpClient client, byte[] body)
    {
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        try
        {
            var sent = Stopwatch.GetTimestamp();
            using var response = await client.PostAsync("/api/passport/batch", content, _stop.Token);
            lock (_latencies)
            {
                _latencies.Add(Stopwatch.GetElapsedTime(sent).TotalMilliseconds);
            }
            if (!response.IsSuccessStatusCode)
            {
                Interlocked.Increment(ref _rejected);
                return;
            }
            using var document = JsonDocument.Parse(await response.Content.ReadAsStreamAsync(_stop.Token));
            Interlocked.Add(ref _accepted, document.RootElement.GetProperty("accepted").GetInt32());
            Interlocked.Increment(ref _batches);
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
    }

    /// <summary>Stops sending and describes what was achieved.</summary>
    public async Task<JsonObject> StopAsync(int rate)
    {
        Interlocked.Exchange(ref _stopped, Stopwatch.GetTimestamp());
        await _stop.CancelAsync();
        await Task.WhenAll(_workers);
        var seconds = Stopwatch.GetElapsedTime(_started, Interlocked.Read(ref _stopped)).TotalSeconds;
        var sorted = _latencies.Order().ToArray();
        double At(double q) => sorted.Length == 0 ? 0 : Math.Round(sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Length) - 1, 0, sorted.Length - 1)], 1);
        return new JsonObject
        {
            ["targetEventsPerSecond"] = rate,
            ["achievedEventsPerSecond"] = Math.Round(Accepted / seconds),
            ["seconds"] = Math.Round(seconds, 1),
            ["eventsAccepted"] = Accepted,
            ["requests"] = Interlocked.Read(ref _batches),
            ["requestsRejected"] = Interlocked.Read(ref _rejected),
            ["requestsSentLate"] = Interlocked.Read(ref _lateBatches),
            ["requestMs"] = new JsonObject { ["p50"] = At(0.5), ["p99"] = At(0.99), ["max"] = At(1) },
        };
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            await StopAsync(0);
        }
        _stop.Dispose();
    }
}
