using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Coliseum.Cli;
using Coliseum.Security;
using Coliseum.Storage;
using Coliseum.Tests.Infrastructure;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Coliseum.Tests.Security;

/// <summary>
/// Invariant 8 as a table: every endpoint the app maps (read from its <see cref="EndpointDataSource"/>, so a new
/// endpoint nobody classified fails here) against every kind of caller, with the exact status each must get.
/// </summary>
public sealed class AccessTableTests : IAsyncLifetime
{
    public enum Caller { None, BadKey, RevokedKey, Write, Read, Admin }

    /// <summary>What an endpoint is for, which decides who may call it.</summary>
    public enum Class { Capture, Read, Admin, Public, SignedWebhook }

    private const string Day = "2026-11-25";

    private TestServer _server = null!;
    private string _revokedKey = null!;
    private long _reportId;
    private long _privacyRequestId;

    /// <summary>Who gets in, by class: the success status is the endpoint's own (201, 202, 200…).</summary>
    private static int? Expected(Class cls, Caller caller) => (cls, caller) switch
    {
        (Class.Public, _) => null,
        (Class.SignedWebhook, _) => 400, // Stripe signs it; a key neither helps nor is needed
        (_, Caller.None or Caller.BadKey or Caller.RevokedKey) => 401,
        (Class.Capture, Caller.Read) => 403,
        (Class.Capture, _) => null,
        (Class.Read, Caller.Write) => 403,
        (Class.Read, _) => null,
        (Class.Admin, Caller.Admin) => null,
        (Class.Admin, _) => 403,
        _ => throw new ArgumentOutOfRangeException(nameof(cls)),
    };

    /// <param name="Success">The status a caller who may call it gets; null for any 2xx.</param>
    private sealed record Probe(Class Class, string Path, int? Success, Func<string>? Body = null, bool Stream = false);

    /// <summary>Every endpoint by "METHOD pattern", with a request that succeeds for a caller allowed in.</summary>
    private Dictionary<string, Probe> Table()
    {
        var table = new Dictionary<string, Probe>(StringComparer.Ordinal)
        {
            ["POST /api/passport/log"] = new(Class.Capture, "/api/passport/log", 201, () => Events.TrackPlayed(Id()).ToJsonString()),
            ["POST /api/passport/batch"] = new(Class.Capture, "/api/passport/batch", 200, () => new JsonObject { ["events"] = new JsonArray(Events.TrackPlayed(Id())) }.ToJsonString()),
            ["GET /api/passport/me"] = new(Class.Admin, "/api/passport/me?userId=fan-1", 200),
            ["GET /api/passport/stream"] = new(Class.Admin, "/api/passport/stream", 200, Stream: true),
            ["GET /api/coliseum/status"] = new(Class.Read, "/api/coliseum/status", 200),
            ["GET /api/coliseum/entities/{type}/{id}"] = new(Class.Read, "/api/coliseum/entities/artist/artist-1", 200),
            ["PUT /api/coliseum/entities/{type}/{id}"] = new(Class.Admin, "/api/coliseum/entities/artist/artist-1", 200, () => """{"name":"The Band"}"""),
            ["GET /api/coliseum/deadletters"] = new(Class.Admin, "/api/coliseum/deadletters", 200),
            ["POST /api/coliseum/deadletters/retry"] = new(Class.Admin, "/api/coliseum/deadletters/retry", 200, () => ""),
            ["GET /api/coliseum/leaderboards"] = new(Class.Read, "/api/coliseum/leaderboards", 200),
            ["GET /api/coliseum/leaderboards/{id}"] = new(Class.Read, "/api/coliseum/leaderboards/top_artists_by_plays", 200),
            ["GET /api/coliseum/metrics/{metricType}/series"] = new(Class.Read, $"/api/coliseum/metrics/player.track_played/series?entityType=artist&entityId=artist-1&bucket=day&from={Day}&to=2026-11-26", 200),
            ["GET /api/coliseum/counters"] = new(Class.Read, "/api/coliseum/counters", 200),
            ["GET /api/coliseum/stream/leaderboards/{id}"] = new(Class.Read, "/api/coliseum/stream/leaderboards/top_artists_by_plays", 200, Stream: true),
            ["GET /api/coliseum/stream/counters"] = new(Class.Read, "/api/coliseum/stream/counters", 200, Stream: true),
            ["GET /api/coliseum/stream/ticker"] = new(Class.Read, "/api/coliseum/stream/ticker", 200, Stream: true),
            ["POST /api/coliseum/funnels"] = new(Class.Read, "/api/coliseum/funnels", 200,
                () => $$"""{"steps":["player.track_played","concierto.ticket_purchased"],"within":"7d","from":"{{Day}}T00:00:00Z","to":"2026-11-26T00:00:00Z"}"""),
            ["GET /api/coliseum/attribution"] = new(Class.Read, $"/api/coliseum/attribution?conversion=concierto.ticket_purchased&model=last_touch&from={Day}T00:00:00Z&to=2026-11-26T00:00:00Z", 200),
            ["POST /api/coliseum/reports/"] = new(Class.Read, "/api/coliseum/reports", 202, () => $$$"""{"type":"platform","params":{"day":"{{{Day}}}"}}"""),
            ["GET /api/coliseum/reports/{id}"] = new(Class.Read, $"/api/coliseum/reports/{_reportId}", 200),
            ["* /metrics"] = new(Class.Read, "/metrics", 200),
            ["GET /healthz"] = new(Class.Public, "/healthz", 200),
            ["GET /api/privacy/requests/{id}"] = new(Class.Admin, $"/api/privacy/requests/{_privacyRequestId}", 200),
            // Stripe signs it (the secret is configured here, so an unsigned call is a 400); a key neither helps nor is needed.
            ["POST /api/stripe/webhook"] = new(Class.SignedWebhook, "/api/stripe/webhook", null, () => """{"id":"evt_1","type":"payout.paid"}"""),
            // The Jumbotron's page and files are public (the page asks for a read key); its config needs one.
            ["GET /"] = new(Class.Public, "/", 200),
            ["GET /jumbotron"] = new(Class.Public, "/jumbotron", 200),
            ["GET /jumbotron/assets/{name}"] = new(Class.Public, "/jumbotron/assets/jumbotron.js", 200),
            ["GET /api/jumbotron/config"] = new(Class.Read, "/api/jumbotron/config", 200),
            ["GET /openapi/{documentName}.json"] = new(Class.Public, "/openapi/v1.json", 200),
        };
        foreach (var call in new[] { "track", "t", "identify", "i", "page", "p", "screen", "s", "group", "g", "alias", "a", "batch", "b", "import" })
        {
            table[$"POST /v1/{call}"] = new(Class.Capture, "/v1/" + call, 200, () => SegmentBody(call));
        }
        return table;
    }

    /// <summary>Endpoints in families whose members are classified together.</summary>
    private static Probe? ByPrefix(string method, string pattern) => pattern switch
    {
        _ when pattern.StartsWith("/api/privacy/users/", StringComparison.Ordinal) => new(Class.Admin, Fill(pattern), null, method is "POST" or "PUT" ? () => "{}" : null),
        _ => null,
    };

    public async Task InitializeAsync()
    {
        _server = await TestServer.StartAsync(new Dictionary<string, string?> { ["Coliseum:Stripe:WebhookSecrets:0"] = "whsec_access_table" });
        await QueryClientLoadAsync();
        using (var named = await _server.SendAsync(HttpMethod.Put, "/api/coliseum/entities/artist/artist-1", TestServer.AdminKey, """{"name":"The Band"}"""))
        {
            Assert.Equal(HttpStatusCode.OK, named.StatusCode);
        }
        using (var created = await _server.SendAsync(HttpMethod.Post, "/api/coliseum/reports", TestServer.ReadKey, $$$"""{"type":"platform","params":{"day":"{{{Day}}}"}}"""))
        {
            Assert.Equal(HttpStatusCode.Accepted, created.StatusCode);
            _reportId = long.Parse(created.Headers.Location!.ToString().Split('/')[^1], System.Globalization.CultureInfo.InvariantCulture);
        }

        using (var erased = await _server.SendAsync(HttpMethod.Delete, "/api/privacy/users/nobody-at-all", TestServer.AdminKey))
        {
            Assert.Equal(HttpStatusCode.OK, erased.StatusCode);
            _privacyRequestId = (await erased.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>()).GetProperty("id").GetInt64();
        }

        // An admin key made the way `coliseum keys create` makes one, proven to work, then revoked the way `keys revoke` does.
        var store = _server.Services.GetRequiredService<IKeyStore>();
        var output = new StringWriter();
        Assert.Equal(0, await KeyCommands.CreateAsync(store, KeyRole.Admin, "to revoke", output, TextWriter.Null, CancellationToken.None));
        _revokedKey = output.ToString().Trim();
        await KeyCli.UntilAsync(_server, "/api/coliseum/deadletters", _revokedKey, HttpStatusCode.OK);
        Assert.Equal(0, await KeyCommands.RevokeAsync(store, _revokedKey[..11], TextWriter.Null, TextWriter.Null, CancellationToken.None));
        await KeyCli.UntilAsync(_server, "/api/coliseum/deadletters", _revokedKey, HttpStatusCode.Unauthorized);
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Every_endpoint_answers_every_caller_as_its_class_says()
    {
        var table = Table();
        var endpoints = Endpoints();
        var failures = new List<string>();
        foreach (var (endpoint, method) in endpoints)
        {
            var probe = table.GetValueOrDefault(endpoint) ?? ByPrefix(method, endpoint[(endpoint.IndexOf(' ') + 1)..]);
            if (probe is null)
            {
                failures.Add($"{endpoint}: not classified; add it to {nameof(AccessTableTests)}.{nameof(Table)} with its class");
                continue;
            }
            foreach (var caller in Enum.GetValues<Caller>())
            {
                var status = await SendAsync(method, probe, caller);
                var expected = Expected(probe.Class, caller) ?? probe.Success;
                var ok = expected is null ? status is >= 200 and < 300 : status == expected;
                if (!ok)
                {
                    failures.Add($"{endpoint} ({probe.Class}) as {caller}: {status}, expected {(expected?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "2xx")}");
                }
            }
        }
        foreach (var stale in table.Keys.Except(endpoints.Select(e => e.Endpoint)))
        {
            failures.Add($"{stale}: in the table but not mapped any more");
        }
        Assert.True(failures.Count == 0, string.Join('\n', failures));
        Assert.True(endpoints.Count >= table.Count, "the endpoint list is suspiciously short");
    }

    /// <summary>"METHOD pattern" for every route the app maps, with the method to call it by.</summary>
    private List<(string Endpoint, string Method)> Endpoints()
    {
        var list = new List<(string, string)>();
        foreach (var endpoint in _server.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>())
        {
            var pattern = "/" + endpoint.RoutePattern.RawText!.TrimStart('/');
            var methods = endpoint.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods;
            if (methods is null or { Count: 0 })
            {
                list.Add(($"* {pattern}", "GET"));
                continue;
            }
            list.AddRange(methods.Select(m => ($"{m} {pattern}", m)));
        }
        return list;
    }

    private async Task<int> SendAsync(string method, Probe probe, Caller caller)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), probe.Path);
        var key = caller switch
        {
            Caller.BadKey => "cw_0000000000000000000000000000000000000000",
            Caller.RevokedKey => _revokedKey,
            Caller.Write => TestServer.WriteKey,
            Caller.Read => TestServer.ReadKey,
            Caller.Admin => TestServer.AdminKey,
            _ => null,
        };
        if (key is not null)
        {
            request.Headers.Add("Authorization", "Bearer " + key);
        }
        if (probe.Body is not null)
        {
            request.Content = new StringContent(probe.Body(), Encoding.UTF8, "application/json");
        }
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        // A stream's status arrives with its headers; the body never ends, so it is not read.
        using var response = await _server.Client.SendAsync(request, probe.Stream ? HttpCompletionOption.ResponseHeadersRead : HttpCompletionOption.ResponseContentRead, cancel.Token);
        return (int)response.StatusCode;
    }

    private async Task QueryClientLoadAsync()
    {
        using var response = await _server.PostAsync("/api/passport/batch",
            new JsonObject { ["events"] = new JsonArray(Events.TrackPlayed("seed-1"), Events.TicketPurchased("seed-2")) }.ToJsonString());
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private static string SegmentBody(string call)
    {
        var message = new JsonObject { ["userId"] = "fan-1", ["messageId"] = Id() };
        switch (call)
        {
            case "track" or "t": message["event"] = "Song Shared"; break;
            case "identify" or "i": message["traits"] = new JsonObject { ["plan"] = "free" }; break;
            case "page" or "p" or "screen" or "s": message["name"] = "Home"; break;
            case "group" or "g": message["groupId"] = "label-1"; break;
            case "alias" or "a": message["previousId"] = "anon-1"; break;
            default:
                message["type"] = "track";
                message["event"] = "Song Shared";
                return new JsonObject { ["batch"] = new JsonArray(message) }.ToJsonString();
        }
        return message.ToJsonString();
    }

    private static string Fill(string pattern) => System.Text.RegularExpressions.Regex.Replace(pattern, @"\{(\w+)[^}]*\}", m => m.Groups[1].Value switch
    {
        "userId" => "fan-1",
        _ => "x-1",
    });

    private static string Id() => Guid.NewGuid().ToString("N");
}
