using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;

namespace Coliseum.Bench;

/// <summary>
/// Sends one probe every 200 ms over its own connection and, after the 2xx, polls the materialised
/// board straight from the SQLite file until the probe is rank 1. Probes never overlap: a slow one
/// delays the next.
/// </summary>
internal sealed class Probes : IDisposable
{
    public const string Board = "bench_probe";
    public const string EventType = "bench.probe";

    private static readonly TimeSpan Every = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan GiveUp = TimeSpan.FromSeconds(30);

    private readonly SocketsHttpHandler _handler = new() { MaxConnectionsPerServer = 1 };
    private readonly HttpClient _client;
    private readonly string _database;
    private SqliteConnection? _connection;
    private SqliteCommand? _rankOne;
    private long _seq;

    public Probes(Uri address, string database)
    {
        _client = new HttpClient(_handler) { BaseAddress = address };
        _client.DefaultRequestHeaders.Add("X-Coliseum-Key", ServerProcess.WriteKey);
        _database = database;
    }

    public async Task<Latencies> RunAsync(TimeSpan duration)
    {
        var result = new Latencies();
        var started = Stopwatch.GetTimestamp();
        for (var k = 0; Stopwatch.GetElapsedTime(started) < duration; k++)
        {
            var wait = Every * k - Stopwatch.GetElapsedTime(started);
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait);
            }
            await ProbeAsync(Interlocked.Increment(ref _seq), result);
        }
        return result;
    }

    private async Task ProbeAsync(long seq, Latencies result)
    {
        using var content = new ByteArrayContent(FreshnessBenchmark.ProbeBody(seq));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        var sent = Stopwatch.GetTimestamp();
        using (var response = await _client.PostAsync("/api/passport/log", content))
        {
            if (!response.IsSuccessStatusCode)
            {
                result.Failed++;
                return;
            }
        }
        var acknowledged = Stopwatch.GetTimestamp();
        result.Acks.Add(Stopwatch.GetElapsedTime(sent, acknowledged).TotalMilliseconds);
        var expected = $"probe-{seq}";
        while (Stopwatch.GetElapsedTime(acknowledged) < GiveUp)
        {
            result.Polls++;
            if (RankOne() == expected)
            {
                result.Visible.Add(Stopwatch.GetElapsedTime(acknowledged).TotalMilliseconds);
                result.FromSend.Add(Stopwatch.GetElapsedTime(sent).TotalMilliseconds);
                return;
            }
            await Task.Delay(2);
        }
        result.TimedOut++;
    }

    /// <summary>Who is rank 1 of the probe board's all-time bucket now (each read is its own snapshot).</summary>
    private string? RankOne()
    {
        if (_rankOne is null)
        {
            if (!File.Exists(_database))
            {
                return null;
            }
            _connection = Sql.OpenReadOnly(_database);
            _rankOne = _connection.CreateCommand();
            _rankOne.CommandText = $"SELECT entity_id FROM coliseum_leaderboards WHERE leaderboard_id = '{Board}' AND time_window = 'all_time' AND bucket_start = 0 AND scope = '' AND rank = 1";
            _rankOne.Prepare();
        }
        return _rankOne.ExecuteScalar() as string;
    }

    public void Dispose()
    {
        _rankOne?.Dispose();
        _connection?.Dispose();
        _client.Dispose();
        _handler.Dispose();
    }
}

/// <summary>Probe latencies in ms: until visible at rank 1 (from the 2xx), and of the 2xx itself.</summary>
internal sealed class Latencies
{
    public List<double> Visible { get; } = [];
    public List<double> Acks { get; } = [];
    public List<double> FromSend { get; } = [];
    public long Polls { get; set; }
    public int Failed { get; set; }
    public int TimedOut { get; set; }

    public double Percentile(double q) => Percentile(Visible, q);

    public double SentToVisible(double q) => Percentile(FromSend, q);

    private static double Percentile(List<double> values, double q)
    {
        if (values.Count == 0)
        {
            return double.NaN;
        }
        var sorted = values.Order().ToArray();
        return sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Length) - 1, 0, sorted.Length - 1)];
    }

    public JsonObject Describe() => new()
    {
        ["probes"] = Visible.Count,
        ["visibleAfterAckMs"] = new JsonObject
        {
            ["p50"] = Ms(Percentile(Visible, 0.5)),
            ["p90"] = Ms(Percentile(Visible, 0.9)),
            ["p99"] = Ms(Percentile(Visible, 0.99)),
            ["max"] = Ms(Visible.Count == 0 ? double.NaN : Visible.Max()),
            ["mean"] = Ms(Visible.Count == 0 ? double.NaN : Visible.Average()),
        },
        ["sentToVisibleMs"] = new JsonObject
        {
            ["p50"] = Ms(Percentile(FromSend, 0.5)),
            ["p90"] = Ms(Percentile(FromSend, 0.9)),
            ["p99"] = Ms(Percentile(FromSend, 0.99)),
            ["max"] = Ms(FromSend.Count == 0 ? double.NaN : FromSend.Max()),
        },
        ["ackMs"] = new JsonObject { ["p50"] = Ms(Percentile(Acks, 0.5)), ["p99"] = Ms(Percentile(Acks, 0.99)) },
        ["averagePollIntervalMs"] = Ms(Polls == 0 ? double.NaN : Visible.Sum() / Polls),
        ["failed"] = Failed,
        ["timedOut"] = TimedOut,
    };

    private static JsonValue? Ms(double value) => double.IsNaN(value) ? null : JsonValue.Create(Math.Round(value, 1));
}
