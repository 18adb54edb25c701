using System.Collections.Frozen;
using System.Security.Cryptography;
using Coliseum.Capture;
using Coliseum.Query;
using Coliseum.Security;
using Microsoft.Net.Http.Headers;

namespace Coliseum.Jumbotron;

/// <summary>
/// The Jumbotron: one page with its script and style sheet, built into the assembly (no build step, no
/// CDN), served at <c>/</c> and <c>/jumbotron</c>. The page reads everything else with a read key
/// through the query API and its streams; <c>/api/jumbotron/config</c> gives it the boards and defaults.
/// </summary>
internal static class JumbotronApi
{
    private const string ResourcePrefix = "Coliseum.Jumbotron.wwwroot.";

    // The page loads only its own files and talks only to this server; nothing inline, nothing framed.
    private const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
        "font-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    private static readonly Lazy<FrozenDictionary<string, Asset>> Assets = new(LoadAssets);

    public static IEndpointRouteBuilder MapJumbotron(this IEndpointRouteBuilder app, JumbotronOptions options)
    {
        app.MapGet("/api/jumbotron/config", Config).WithTags("Jumbotron")
            .WithSummary("The dashboard's boards and defaults, and the role of the key it was given (read key)")
            .Produces<JumbotronConfig>();
        if (!options.Enabled)
        {
            return app;
        }
        app.MapGet("/", (HttpContext http) => Serve(http, "index.html")).ExcludeFromDescription();
        app.MapGet("/jumbotron", (HttpContext http) => Serve(http, "index.html")).ExcludeFromDescription();
        app.MapGet("/jumbotron/assets/{name}", (HttpContext http, string name) => Serve(http, name)).ExcludeFromDescription();
        return app;
    }

    private static IResult Config(HttpContext http, Leaderboards boards, JumbotronOptions options, KeyRing keys)
    {
        if (Access.Require(http, KeyRole.Read) is { } denied) { return denied; }
        var role = keys.RoleOf(CaptureService.HeaderKey(http.Request))!.Value;
        var list = boards.Boards.OrderBy(b => b.Key, StringComparer.Ordinal).Select(b => QueryApi.Info(b.Key, b.Value, boards.Size)).ToList();
        var defaults = options.ShownBoards.Where(boards.Boards.ContainsKey).ToList();
        if (defaults.Count == 0)
        {
            defaults = list.Take(2).Select(b => b.Id).ToList();
        }
        return TypedResults.Ok(new JumbotronConfig(
            role.ToString().ToLowerInvariant(), list, defaults, options.Window, Math.Min(options.Limit, boards.Size), options.CycleSeconds, options.LagAlertSeconds));
    }

    private static IResult Serve(HttpContext http, string name)
    {
        if (!Assets.Value.TryGetValue(name, out var asset))
        {
            return Problems.Create(404, $"no Jumbotron file '{(name.Length > 64 ? name[..64] : name)}'");
        }
        var headers = http.Response.Headers;
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.XContentTypeOptions = "nosniff";
        // A kiosk URL may carry ?key=; the page drops it from the address bar, and no request sends it on.
        headers["Referrer-Policy"] = "no-referrer";
        headers.CacheControl = "no-cache";
        headers.ETag = asset.ETag;
        if (http.Request.Headers.IfNoneMatch.ToString() == asset.ETag)
        {
            return TypedResults.StatusCode(StatusCodes.Status304NotModified);
        }
        return TypedResults.Bytes(asset.Content, asset.ContentType);
    }

    private static FrozenDictionary<string, Asset> LoadAssets()
    {
        var assembly = typeof(JumbotronApi).Assembly;
        var assets = new Dictionary<string, Asset>(StringComparer.Ordinal);
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            var content = copy.ToArray();
            var name = resource[ResourcePrefix.Length..];
            var type = Path.GetExtension(name) switch
            {
                ".html" => "text/html; charset=utf-8",
                ".js" => "text/javascript; charset=utf-8",
                ".css" => "text/css; charset=utf-8",
                ".svg" => "image/svg+xml",
                _ => "application/octet-stream",
            };
            assets[name] = new Asset(content, type, new EntityTagHeaderValue($"\"{Convert.ToHexStringLower(SHA256.HashData(content))[..16]}\"").ToString());
        }
        return assets.ToFrozenDictionary(StringComparer.Ordinal);
    }

    private sealed record Asset(byte[] Content, string ContentType, string ETag);
}

/// <summary>What the dashboard needs to start: the key's role (it refuses to keep an admin key), the boards, and the defaults.</summary>
public sealed record JumbotronConfig(
    string Role,
    IReadOnlyList<LeaderboardInfo> Boards,
    IReadOnlyList<string> DefaultBoards,
    string Window,
    int Limit,
    int CycleSeconds,
    int LagAlertSeconds);
