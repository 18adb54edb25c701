using System.Net;
using System.Text.RegularExpressions;
using Coliseum.Tests.Infrastructure;
using Coliseum.Tests.Query;
using Microsoft.Extensions.Options;

namespace Coliseum.Tests.Jumbotron;

/// <summary>How the page is served (no browser needed): headers, caching, its config endpoint and settings.</summary>
public sealed partial class JumbotronPageTests
{
    [Theory]
    [InlineData("/")]
    [InlineData("/jumbotron")]
    public async Task The_page_is_served_with_a_strict_content_security_policy(string path)
    {
        await using var server = await TestServer.StartAsync();
        using var response = await server.Client.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        var policy = response.Headers.GetValues("Content-Security-Policy").Single();
        Assert.Contains("script-src 'self'", policy, StringComparison.Ordinal);
        Assert.Contains("connect-src 'self'", policy, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe-inline", policy, StringComparison.Ordinal);
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("no-referrer", response.Headers.GetValues("Referrer-Policy").Single());
        var html = await response.Content.ReadAsStringAsync();
        Assert.Contains("<script src=\"/jumbotron/assets/jumbotron.js\" defer></script>", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<script>", html, StringComparison.Ordinal);
        Assert.DoesNotContain(" style=", html, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("jumbotron.js", "text/javascript")]
    [InlineData("jumbotron.css", "text/css")]
    [InlineData("icon.svg", "image/svg+xml")]
    public async Task Assets_revalidate_with_an_etag(string name, string type)
    {
        await using var server = await TestServer.StartAsync();
        using var first = await server.Client.GetAsync("/jumbotron/assets/" + name);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(type, first.Content.Headers.ContentType?.MediaType);
        Assert.Equal("no-cache", first.Headers.CacheControl?.ToString());
        var tag = first.Headers.ETag!;
        using var request = new HttpRequestMessage(HttpMethod.Get, "/jumbotron/assets/" + name);
        request.Headers.IfNoneMatch.Add(tag);
        using var again = await server.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.NotModified, again.StatusCode);
        Assert.Empty(await again.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task An_unknown_asset_is_a_404_problem()
    {
        await using var server = await TestServer.StartAsync();
        using var response = await server.Client.GetAsync("/jumbotron/assets/secrets.json");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("no Jumbotron file 'secrets.json'", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    /// <summary>Nothing is fetched from anywhere but this server: no CDN, no fonts, no analytics.</summary>
    [Fact]
    public async Task The_page_loads_nothing_from_elsewhere()
    {
        await using var server = await TestServer.StartAsync();
        foreach (var path in new[] { "/", "/jumbotron/assets/jumbotron.js", "/jumbotron/assets/jumbotron.css", "/jumbotron/assets/icon.svg" })
        {
            var text = await server.Client.GetStringAsync(path);
            var external = ExternalUrl().Matches(text).Select(m => m.Value).Where(u => u != "http://www.w3.org/2000/svg").ToList();
            Assert.True(external.Count == 0, $"{path} refers to {string.Join(", ", external)}");
        }
    }

    [Fact]
    public async Task The_config_needs_a_read_key_and_says_which_role_it_was_given()
    {
        await using var server = await TestServer.StartAsync();
        await QueryClient.ExpectAsync(server, "/api/jumbotron/config", null, HttpStatusCode.Unauthorized, null);
        await QueryClient.ExpectAsync(server, "/api/jumbotron/config", TestServer.WriteKey, HttpStatusCode.Forbidden, null);
        var config = await QueryClient.OkAsync(server, "/api/jumbotron/config");
        Assert.Equal("read", config.GetProperty("role").GetString());
        Assert.Equal(["top_artists_by_plays", "top_artists_by_votes"], config.GetProperty("defaultBoards").EnumerateArray().Select(b => b.GetString()));
        Assert.Equal(10, config.GetProperty("boards").GetArrayLength());
        Assert.Equal("day", config.GetProperty("window").GetString());
        Assert.Equal(20, config.GetProperty("cycleSeconds").GetInt32());
        Assert.Equal(30, config.GetProperty("lagAlertSeconds").GetInt32());
        var (status, admin) = await QueryClient.GetAsync(server, "/api/jumbotron/config", TestServer.AdminKey);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("admin", admin.GetProperty("role").GetString());
    }

    [Fact]
    public async Task Settings_choose_the_boards_and_can_turn_the_page_off()
    {
        await using var server = await TestServer.StartAsync(new Dictionary<string, string?>
        {
            ["Coliseum:Jumbotron:Enabled"] = "false",
            ["Coliseum:Jumbotron:Boards:0"] = "top_events_by_attendance",
            ["Coliseum:Jumbotron:Window"] = "week",
            ["Coliseum:Jumbotron:LagAlertSeconds"] = "5",
        });
        using var page = await server.Client.GetAsync("/");
        Assert.Equal(HttpStatusCode.NotFound, page.StatusCode);
        var config = await QueryClient.OkAsync(server, "/api/jumbotron/config");
        Assert.Equal(["top_events_by_attendance"], config.GetProperty("defaultBoards").EnumerateArray().Select(b => b.GetString()));
        Assert.Equal("week", config.GetProperty("window").GetString());
        Assert.Equal(5, config.GetProperty("lagAlertSeconds").GetInt32());
    }

    [Theory]
    [InlineData("Coliseum:Jumbotron:Window", "year", "Window must be all_time, day, week or month")]
    [InlineData("Coliseum:Jumbotron:Limit", "100", "Limit must be between 3 and 25")]
    [InlineData("Coliseum:Jumbotron:LagAlertSeconds", "0", "LagAlertSeconds must be between 1 and 86400")]
    public async Task Bad_settings_stop_the_start_with_a_message(string key, string value, string message)
    {
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => TestServer.StartAsync(new Dictionary<string, string?> { [key] = value }));
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [GeneratedRegex("https?://[^\\s\"')]+")]
    private static partial Regex ExternalUrl();
}
