using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Text;
using Coliseum.Hosting;
using Coliseum.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Coliseum.Tests.Security;

/// <summary>Keys never reach the logs, at any level, whichever way they are sent and however the request ends.</summary>
public sealed class KeyLoggingTests
{
    private const string WriteKey = "cw_1111111111111111111111111111111111111111";
    private const string ReadKey = "cr_2222222222222222222222222222222222222222";
    private const string UnknownKey = "cw_3333333333333333333333333333333333333333";

    [Fact]
    public async Task No_key_appears_in_any_log_line_even_at_trace_level()
    {
        var directory = TempDirectory.Create("key-logs");
        var logs = new CapturingProvider();
        var app = await ColiseumApp.BuildAsync([], builder =>
        {
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["urls"] = "http://127.0.0.1:0",
                ["Coliseum:DataDirectory"] = directory,
                ["Coliseum:Keys:Write:0"] = WriteKey,
                ["Coliseum:Keys:Read:0"] = ReadKey,
                ["Coliseum:RateLimits:ReadPerKey:TokenLimit"] = "3",
                ["Coliseum:RateLimits:ReadPerKey:TokensPerPeriod"] = "1",
                ["Coliseum:RateLimits:ReadPerKey:PeriodSeconds"] = "3600",
                ["Logging:LogLevel:Default"] = "Trace",
                ["Logging:LogLevel:Microsoft"] = "Trace",
            });
            builder.Logging.AddProvider(logs);
        });
        try
        {
            await app.StartAsync();
            var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
            using var client = new HttpClient { BaseAddress = new Uri(address) };
            var tooLong = "cw_" + new string('4', 400);

            foreach (var key in new[] { WriteKey, ReadKey, UnknownKey, tooLong })
            {
                await SendAsync(client, HttpMethod.Post, "/api/passport/log", r => r.Headers.Add("X-Coliseum-Key", key), Events.TrackPlayed().ToJsonString());
                await SendAsync(client, HttpMethod.Post, "/v1/track", r => r.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(key + ":"))),
                    "{\"userId\":\"fan-1\",\"event\":\"Song Shared\"}");
                await SendAsync(client, HttpMethod.Post, "/v1/track", _ => { }, $"{{\"writeKey\":\"{key}\",\"userId\":\"fan-1\",\"event\":\"Song Shared\"}}");
                await SendAsync(client, HttpMethod.Post, "/api/passport/batch", r => r.Headers.Add("X-Coliseum-Key", key), $"{{\"events\": [{{\"type\": \"{key}\"}}], \"broken");
                await SendAsync(client, HttpMethod.Get, "/api/coliseum/counters", r => r.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key), null);
                await SendAsync(client, HttpMethod.Get, "/metrics", r => r.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key), null);
            }
            // Past the read limit: the 429 path logs too.
            await SendAsync(client, HttpMethod.Get, "/api/coliseum/leaderboards", r => r.Headers.Authorization = new AuthenticationHeaderValue("Bearer", ReadKey), null);
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
            SqliteConnection.ClearAllPools();
            Directory.Delete(directory, recursive: true);
        }

        Assert.True(logs.Lines.Count > 20, "trace logging captured almost nothing; the test would prove nothing");
        Assert.Contains(logs.Lines, l => l.Contains("/api/passport/log", StringComparison.Ordinal));
        foreach (var secret in new[] { WriteKey, ReadKey, UnknownKey, "4444444444444444", Convert.ToBase64String(Encoding.UTF8.GetBytes(WriteKey + ":"))[..20] })
        {
            Assert.DoesNotContain(logs.Lines, l => l.Contains(secret, StringComparison.Ordinal));
        }
    }

    private static async Task SendAsync(HttpClient client, HttpMethod method, string path, Action<HttpRequestMessage> key, string? body)
    {
        using var request = new HttpRequestMessage(method, path);
        key(request);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }
        using var response = await client.SendAsync(request);
        await response.Content.ReadAsStringAsync();
    }

    /// <summary>Every log line at every level: message, state values, scopes and exception text.</summary>
    private sealed class CapturingProvider : ILoggerProvider
    {
        public ConcurrentQueue<string> Lines { get; } = new();

        public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

        public void Dispose()
        {
        }

        private sealed class Logger(CapturingProvider provider, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull
            {
                provider.Lines.Enqueue($"{category} scope: {Describe(state)}");
                return null;
            }

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                provider.Lines.Enqueue($"{category} {logLevel}: {formatter(state, exception)} | {Describe(state)} | {exception}");

            private static string Describe(object? state) => state is IEnumerable<KeyValuePair<string, object?>> pairs
                ? string.Join("; ", pairs.Select(p => $"{p.Key}={p.Value}"))
                : state?.ToString() ?? "";
        }
    }
}
