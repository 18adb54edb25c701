using System.Net;
using Coliseum.Tests.Infrastructure;

namespace Coliseum.Tests.Privacy;

/// <summary>Client IP addresses that events carry are dropped at capture unless <c>Coliseum:Privacy:StoreIpAddresses</c> is on.</summary>
public sealed class IpAddressTests
{
    private static async Task SendAllAsync(TestServer server)
    {
        using var log = await server.PostAsync("/api/passport/log",
            """{"type":"passport.page_viewed","userId":"u1","at":"2026-11-25T10:00:00Z","path":"/","ip":"203.0.113.1","context":{"ip":"203.0.113.2","userAgent":"Firefox"}}""");
        Assert.Equal(HttpStatusCode.Created, log.StatusCode);
        using var track = await server.PostAsync("/v1/track", """{"userId":"u1","event":"Page Viewed","properties":{"path":"/x"},"context":{"ip":"203.0.113.3","locale":"es-ES"}}""");
        Assert.Equal(HttpStatusCode.OK, track.StatusCode);
        using var batch = await server.PostAsync("/v1/batch", """{"batch":[{"type":"track","userId":"u2","event":"Page Viewed","properties":{"path":"/y"}}],"context":{"ip":"203.0.113.4"}}""");
        Assert.Equal(HttpStatusCode.OK, batch.StatusCode);
    }

    [Fact]
    public async Task Client_addresses_are_not_stored_by_default_and_the_rest_of_the_context_is()
    {
        await using var server = await TestServer.StartAsync();
        await SendAllAsync(server);
        Assert.Equal(3, server.LogCount);
        Assert.Equal(0, server.Scalar<long>("SELECT COUNT(*) FROM passport_log WHERE CAST(metadata AS text) LIKE '%203.0.113%' OR CAST(context AS text) LIKE '%203.0.113%'"));
        Assert.Equal("Firefox", server.Scalar<string>("SELECT json_extract(context, '$.userAgent') FROM passport_log WHERE json_extract(metadata, '$.path') = '/'"));
        Assert.Equal("es-ES", server.Scalar<string>("SELECT json_extract(context, '$.locale') FROM passport_log WHERE json_extract(metadata, '$.path') = '/x'"));
    }

    [Fact]
    public async Task Client_addresses_are_stored_when_configured()
    {
        await using var server = await TestServer.StartAsync(new Dictionary<string, string?> { ["Coliseum:Privacy:StoreIpAddresses"] = "true" });
        await SendAllAsync(server);
        Assert.Equal("203.0.113.1", server.Scalar<string>("SELECT json_extract(metadata, '$.ip') FROM passport_log WHERE json_extract(metadata, '$.path') = '/'"));
        Assert.Equal("203.0.113.2", server.Scalar<string>("SELECT json_extract(context, '$.ip') FROM passport_log WHERE json_extract(metadata, '$.path') = '/'"));
        Assert.Equal("203.0.113.3", server.Scalar<string>("SELECT json_extract(context, '$.ip') FROM passport_log WHERE json_extract(metadata, '$.path') = '/x'"));
        Assert.Equal("203.0.113.4", server.Scalar<string>("SELECT json_extract(context, '$.ip') FROM passport_log WHERE json_extract(metadata, '$.path') = '/y'"));
    }
}
