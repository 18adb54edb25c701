using System.Net;
using System.Text.Json;
using Coliseum.Tests.Infrastructure;

namespace Coliseum.Tests.Query;

/// <summary>The OpenAPI document and its browsable reference page.</summary>
public sealed class ApiReferenceTests
{
    [Fact]
    public async Task The_document_lists_every_read_endpoint_and_declares_the_bearer_key_and_the_reference_page_is_served()
    {
        await using var server = await TestServer.StartAsync();
        using var response = await server.Client.GetAsync("/openapi/v1.json");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var paths = document.RootElement.GetProperty("paths").EnumerateObject().Select(p => p.Name).ToHashSet();
        foreach (var path in new[]
        {
            "/api/coliseum/leaderboards", "/api/coliseum/leaderboards/{id}", "/api/coliseum/metrics/{metricType}/series", "/api/coliseum/counters",
            "/api/coliseum/reports", "/api/coliseum/reports/{id}", "/api/coliseum/funnels", "/api/coliseum/attribution", "/api/passport/me",
            "/api/coliseum/stream/leaderboards/{id}", "/api/coliseum/stream/counters", "/api/coliseum/stream/ticker", "/api/passport/stream",
        })
        {
            Assert.Contains(path, paths);
        }
        var scheme = document.RootElement.GetProperty("components").GetProperty("securitySchemes").GetProperty("key");
        Assert.Equal("http", scheme.GetProperty("type").GetString());
        Assert.Equal("bearer", scheme.GetProperty("scheme").GetString());
        Assert.Equal("key", document.RootElement.GetProperty("security")[0].EnumerateObject().Single().Name);

        using var page = await server.Client.GetAsync("/api/docs/index.html");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        var html = await page.Content.ReadAsStringAsync();
        Assert.Contains("Coliseum API", html, StringComparison.Ordinal);
        using var config = await server.Client.GetAsync("/api/docs/index.js");
        Assert.Contains("/openapi/v1.json", await config.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
