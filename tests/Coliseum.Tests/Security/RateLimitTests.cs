using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Coliseum.Tests.Capture;
using Coliseum.Tests.Infrastructure;

namespace Coliseum.Tests.Security;

/// <summary>
/// Rate limits (invariant 6 for a client that will not slow down): tiny token buckets that never refill within
/// a test (one token an hour), so the count of requests let through is exact, not a matter of timing.
/// </summary>
[Collection(MetricsCollection.Name)]
public sealed class RateLimitTests
{
    private const string SecondWriteKey = "second-write-key";
    private const string MetricsKey = "metrics-read-key";
    private const string Counter = "coliseum_requests_rate_limited_total";

    private static Task<TestServer> StartAsync(string limit, params (string Key, string Value)[] extra)
    {
        var settings = new Dictionary<string, string?>
        {
            [$"Coliseum:RateLimits:{limit}:TokenLimit"] = "2",
            [$"Coliseum:RateLimits:{limit}:TokensPerPeriod"] = "1",
            [$"Coliseum:RateLimits:{limit}:PeriodSeconds"] = "3600",
            ["Coliseum:Keys:Write:1"] = SecondWriteKey,
            ["Coliseum:Keys:Read:1"] = MetricsKey,
        };
        foreach (var (key, value) in extra)
        {
            settings[key] = value;
        }
        return TestServer.StartAsync(settings);
    }

    [Fact]
    public async Task Capture_past_its_key_limit_gets_429_with_Retry_After_and_is_counted_while_other_keys_go_on()
    {
        await using var server = await StartAsync("CapturePerKey");
        var before = Prometheus.Sample(await Prometheus.ScrapeAsync(server, MetricsKey), Counter, "limit=\"capture_key\"");

        Assert.Equal(HttpStatusCode.Created, (await Log(server, "r-1", TestServer.WriteKey)).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await Log(server, "r-2", TestServer.WriteKey)).StatusCode);
        using var refused = await Log(server, "r-3", TestServer.WriteKey);

        var problem = await refused.AssertProblemAsync(HttpStatusCode.TooManyRequests,
            $"too many requests from this key (capture_key limit, Coliseum:RateLimits); retry after {refused.Headers.RetryAfter?.Delta?.TotalSeconds} s");
        Assert.Equal(429, problem.GetProperty("status").GetInt32());
        Assert.InRange(refused.Headers.RetryAfter!.Delta!.Value, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(3600));
        Assert.Equal(HttpStatusCode.Created, (await Log(server, "r-4", SecondWriteKey)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await server.SendAsync(HttpMethod.Get, "/api/coliseum/counters", TestServer.ReadKey)).StatusCode);
        Assert.Equal(["r-1", "r-2", "r-4"], Sql.Column(server.DatabasePath, "SELECT message_id FROM passport_entries ORDER BY position"));
        Assert.Equal(1, Prometheus.Sample(await Prometheus.ScrapeAsync(server, MetricsKey), Counter, "limit=\"capture_key\"") - before);
    }

    [Fact]
    public async Task Keyless_and_unknown_key_capture_share_one_bucket_per_address_and_another_address_is_not_affected()
    {
        await using var server = await StartAsync("CapturePerAddress", ("Coliseum:Capture:AllowKeyless", "true"));
        var before = Prometheus.Sample(await Prometheus.ScrapeAsync(server, MetricsKey), Counter, "limit=\"capture_address\"");

        Assert.Equal(HttpStatusCode.Created, (await Log(server, "a-1", key: null)).StatusCode);
        // Random keys get no bucket of their own: they draw on their address's.
        Assert.Equal(HttpStatusCode.Unauthorized, (await Log(server, "a-2", "cw_" + Guid.NewGuid().ToString("N"))).StatusCode);
        using var refused = await Log(server, "a-3", "cw_" + Guid.NewGuid().ToString("N"));
        using var keyless = await Log(server, "a-4", key: null);

        await refused.AssertProblemAsync(HttpStatusCode.TooManyRequests,
            $"too many requests from this client address (capture_address limit, Coliseum:RateLimits); retry after {refused.Headers.RetryAfter?.Delta?.TotalSeconds} s");
        Assert.Equal(HttpStatusCode.TooManyRequests, keyless.StatusCode);
        Assert.NotNull(keyless.Headers.RetryAfter?.Delta);
        // A valid key has its own bucket; so has another address (127.0.0.2 is loopback too).
        Assert.Equal(HttpStatusCode.Created, (await Log(server, "a-5", TestServer.WriteKey)).StatusCode);
        using var elsewhere = FromAddress(server, IPAddress.Parse("127.0.0.2"));
        Assert.Equal(HttpStatusCode.Created, (await elsewhere.PostAsync("/api/passport/log", Json(Events.TrackPlayed("a-6")))).StatusCode);
        Assert.Equal(["a-1", "a-5", "a-6"], Sql.Column(server.DatabasePath, "SELECT message_id FROM passport_entries ORDER BY position"));
        Assert.Equal(2, Prometheus.Sample(await Prometheus.ScrapeAsync(server, MetricsKey), Counter, "limit=\"capture_address\"") - before);
    }

    /// <summary>Behind a trusted proxy each client is counted by its forwarded address; from anyone else the header is ignored.</summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Behind_a_trusted_proxy_each_client_has_its_own_address_bucket(bool trusted)
    {
        var proxy = trusted ? new[] { ("Coliseum:Proxy:KnownProxies:0", "127.0.0.1") } : [("Coliseum:Proxy:KnownNetworks:0", "10.9.0.0/16")];
        await using var server = await StartAsync("CapturePerAddress", [("Coliseum:Capture:AllowKeyless", "true"), .. proxy]);

        async Task<HttpStatusCode> FromClient(string client, string id)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/passport/log") { Content = Json(Events.TrackPlayed(id)) };
            request.Headers.Add("X-Forwarded-For", client);
            using var response = await server.Client.SendAsync(request);
            return response.StatusCode;
        }
        Assert.Equal(HttpStatusCode.Created, await FromClient("203.0.113.7", "p-1"));
        Assert.Equal(HttpStatusCode.Created, await FromClient("203.0.113.7", "p-2"));
        Assert.Equal(HttpStatusCode.TooManyRequests, await FromClient("203.0.113.7", "p-3"));
        // Another client behind the proxy has a bucket of its own; unless the proxy is not trusted, when
        // everyone is the proxy's (loopback) address and the header could be anything a client likes.
        Assert.Equal(trusted ? HttpStatusCode.Created : HttpStatusCode.TooManyRequests, await FromClient("198.51.100.20", "p-4"));
    }

    [Theory]
    [InlineData("Coliseum:Proxy:KnownProxies:0", "proxy.internal", "'proxy.internal' is not an IP address")]
    [InlineData("Coliseum:Proxy:KnownNetworks:0", "10.0.0.0", "'10.0.0.0' is not a CIDR range")]
    public async Task A_proxy_setting_that_is_not_an_address_stops_the_start(string setting, string value, string message)
    {
        var error = await Assert.ThrowsAsync<Microsoft.Extensions.Options.OptionsValidationException>(() => TestServer.StartAsync(new Dictionary<string, string?> { [setting] = value }));
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Reads_past_a_key_limit_get_429_while_other_keys_read_on()
    {
        await using var server = await StartAsync("ReadPerKey");

        Assert.Equal(HttpStatusCode.OK, (await server.SendAsync(HttpMethod.Get, "/api/coliseum/counters", TestServer.ReadKey)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await server.SendAsync(HttpMethod.Get, "/api/coliseum/leaderboards", TestServer.ReadKey)).StatusCode);
        using var refused = await server.SendAsync(HttpMethod.Get, "/api/coliseum/counters", TestServer.ReadKey);

        await refused.AssertProblemAsync(HttpStatusCode.TooManyRequests,
            $"too many requests from this key (read_key limit, Coliseum:RateLimits); retry after {refused.Headers.RetryAfter?.Delta?.TotalSeconds} s");
        Assert.Equal(HttpStatusCode.OK, (await server.SendAsync(HttpMethod.Get, "/api/coliseum/counters", TestServer.AdminKey)).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await Log(server, "w-1", TestServer.WriteKey)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await server.Client.GetAsync("/healthz")).StatusCode);
        var metrics = await Prometheus.ScrapeAsync(server, MetricsKey);
        Assert.True(Prometheus.Sample(metrics, Counter, "limit=\"read_key\"") >= 1, metrics);
    }

    [Fact]
    public async Task With_limits_disabled_nothing_is_refused()
    {
        await using var server = await StartAsync("CapturePerKey", ("Coliseum:RateLimits:Enabled", "false"));

        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(HttpStatusCode.Created, (await Log(server, $"d-{i}", TestServer.WriteKey)).StatusCode);
        }
    }

    [Theory]
    [InlineData("Coliseum:RateLimits:CapturePerKey:TokenLimit", "0", "Coliseum:RateLimits:CapturePerKey:TokenLimit must be at least 1")]
    [InlineData("Coliseum:RateLimits:ReadPerKey:PeriodSeconds", "0", "Coliseum:RateLimits:ReadPerKey:PeriodSeconds must be between 0.001 and 86400")]
    public async Task A_bad_limit_stops_the_server_at_start_naming_the_setting(string setting, string value, string message)
    {
        var error = await Assert.ThrowsAsync<Microsoft.Extensions.Options.OptionsValidationException>(() => TestServer.StartAsync(new Dictionary<string, string?> { [setting] = value }));

        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    private static Task<HttpResponseMessage> Log(TestServer server, string messageId, string? key) =>
        server.PostAsync("/api/passport/log", Events.TrackPlayed(messageId).ToJsonString(), key);

    private static StringContent Json(JsonObject body) => new(body.ToJsonString(), System.Text.Encoding.UTF8, "application/json");

    /// <summary>A client whose connections come from <paramref name="local"/>.</summary>
    private static HttpClient FromAddress(TestServer server, IPAddress local) => new(new SocketsHttpHandler
    {
        ConnectCallback = async (context, cancellationToken) =>
        {
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
            socket.Bind(new IPEndPoint(local, 0));
            await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        },
    }) { BaseAddress = server.Address };
}
