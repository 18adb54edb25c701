using System.Net;
using Coliseum.Tests.Infrastructure;

namespace Coliseum.Tests.Security;

/// <summary>CORS: the configured origins may call capture and the read API from a browser; no other origin may.</summary>
public sealed class CorsTests : IAsyncLifetime
{
    private const string App = "https://app.example.com";

    private TestServer _server = null!;

    public async Task InitializeAsync() => _server = await TestServer.StartAsync(new Dictionary<string, string?>
    {
        ["Coliseum:Cors:Origins:0"] = App,
        ["Coliseum:Cors:Origins:1"] = "http://localhost:5173/",
    });

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Theory]
    [InlineData("/api/passport/log")]
    [InlineData("/api/passport/batch")]
    [InlineData("/v1/track")]
    [InlineData("/v1/batch")]
    public async Task Preflight_for_capture_from_an_allowed_origin_allows_POST_with_a_key_header_and_JSON(string path)
    {
        using var response = await PreflightAsync(_server, path, App, "POST", "content-type,authorization,x-coliseum-key");

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal(App, Header(response, "Access-Control-Allow-Origin"));
        Assert.Equal("POST", Header(response, "Access-Control-Allow-Methods"));
        Assert.Equal("Content-Type,Authorization,X-Coliseum-Key", Header(response, "Access-Control-Allow-Headers"));
        Assert.Equal("600", Header(response, "Access-Control-Max-Age"));
        Assert.Null(Header(response, "Access-Control-Allow-Credentials"));
    }

    [Theory]
    [InlineData("/api/coliseum/leaderboards/top_artists_by_plays", "GET", "authorization")]
    [InlineData("/api/coliseum/stream/counters", "GET", "authorization,last-event-id")]
    [InlineData("/api/coliseum/funnels", "POST", "authorization,content-type")]
    public async Task Preflight_for_reads_from_an_allowed_origin_allows_them(string path, string method, string headers)
    {
        using var response = await PreflightAsync(_server, path, "http://localhost:5173", method, headers);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal("http://localhost:5173", Header(response, "Access-Control-Allow-Origin"));
        Assert.Equal("GET,POST", Header(response, "Access-Control-Allow-Methods"));
        Assert.Equal("Authorization,X-Coliseum-Key,Content-Type,Last-Event-ID", Header(response, "Access-Control-Allow-Headers"));
        Assert.All(headers.Split(','), h => Assert.Contains(h, Header(response, "Access-Control-Allow-Headers")!.Split(','), StringComparer.OrdinalIgnoreCase));
    }

    /// <summary>
    /// ASP.NET's CORS answers a preflight from an allowed origin with the policy's methods and headers, and the
    /// browser refuses a request that needs more than those: so "not allowed" here means "not in the answer".
    /// </summary>
    [Theory]
    [InlineData("/api/passport/log", "PUT", "content-type", "PUT")]                         // capture is POST only
    [InlineData("/api/passport/log", "POST", "x-custom", "x-custom")]                       // a header not on the list
    [InlineData("/api/coliseum/entities/artist/a-1", "PUT", "authorization", "PUT")]        // admin writes are not offered to browsers
    [InlineData("/api/coliseum/counters", "DELETE", "authorization", "DELETE")]
    public async Task Preflight_asking_for_more_than_is_allowed_is_not_granted_it(string path, string method, string headers, string refused)
    {
        using var response = await PreflightAsync(_server, path, App, method, headers);

        var granted = (Header(response, "Access-Control-Allow-Methods") + "," + Header(response, "Access-Control-Allow-Headers")).Split(',');
        Assert.DoesNotContain(refused, granted, StringComparer.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("https://evil.example.com")]
    [InlineData("https://app.example.com.evil.example")]
    [InlineData("http://app.example.com")] // another scheme is another origin
    public async Task Preflight_from_an_origin_not_on_the_list_gets_no_CORS_headers(string origin)
    {
        using var response = await PreflightAsync(_server, "/api/passport/log", origin, "POST", "content-type");

        Assert.Null(Header(response, "Access-Control-Allow-Origin"));
        Assert.Null(Header(response, "Access-Control-Allow-Methods"));
    }

    [Fact]
    public async Task An_actual_request_from_an_allowed_origin_is_answered_with_its_origin_and_the_exposed_headers()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/passport/log") { Content = new StringContent(Events.TrackPlayed("cors-1").ToJsonString(), System.Text.Encoding.UTF8, "application/json") };
        request.Headers.Add("Origin", App);
        request.Headers.Add("X-Coliseum-Key", TestServer.WriteKey);

        using var response = await _server.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal(App, Header(response, "Access-Control-Allow-Origin"));
        Assert.Equal("Retry-After,Location", Header(response, "Access-Control-Expose-Headers"));
        Assert.Contains("Origin", response.Headers.Vary);
    }

    [Fact]
    public async Task Without_configured_origins_nothing_is_allowed_cross_origin()
    {
        await using var server = await TestServer.StartAsync();

        using var preflight = await PreflightAsync(server, "/api/passport/log", App, "POST", "content-type");
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/coliseum/counters");
        request.Headers.Add("Origin", App);
        request.Headers.Add("Authorization", "Bearer " + TestServer.ReadKey);
        using var read = await server.Client.SendAsync(request);

        Assert.Null(Header(preflight, "Access-Control-Allow-Origin"));
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        Assert.Null(Header(read, "Access-Control-Allow-Origin"));
    }

    [Theory]
    [InlineData("*")]
    [InlineData("https://app.example.com/path")]
    [InlineData("app.example.com")]
    public async Task An_origin_that_is_not_one_stops_the_server_at_start(string origin)
    {
        var error = await Assert.ThrowsAsync<Microsoft.Extensions.Options.OptionsValidationException>(() =>
            TestServer.StartAsync(new Dictionary<string, string?> { ["Coliseum:Cors:Origins:0"] = origin }));

        Assert.Contains($"Coliseum:Cors:Origins: '{origin}' is not an origin", error.Message, StringComparison.Ordinal);
    }

    private static async Task<HttpResponseMessage> PreflightAsync(TestServer server, string path, string origin, string method, string headers)
    {
        using var request = new HttpRequestMessage(HttpMethod.Options, path);
        request.Headers.Add("Origin", origin);
        request.Headers.Add("Access-Control-Request-Method", method);
        request.Headers.Add("Access-Control-Request-Headers", headers);
        return await server.Client.SendAsync(request);
    }

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? string.Join(",", values) : null;
}
