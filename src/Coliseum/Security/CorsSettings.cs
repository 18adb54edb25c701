using Microsoft.AspNetCore.Cors.Infrastructure;

namespace Coliseum.Security;

/// <summary>
/// <c>Coliseum:Cors:Origins:N</c>: the origins (scheme, host and port, e.g. <c>https://app.example.com</c>)
/// whose pages may call Coliseum. None by default: browsers then allow same-origin calls only.
/// </summary>
public sealed class CorsSettings
{
    public const string Section = "Coliseum:Cors";

    public List<string> Origins { get; set; } = [];

    /// <summary>How long a browser may cache a preflight answer.</summary>
    public int MaxAgeSeconds { get; set; } = 600;

    public IEnumerable<string> Validate()
    {
        foreach (var origin in Origins)
        {
            if (!Uri.TryCreate(origin, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https")
                || uri.PathAndQuery != "/" || origin.TrimEnd('/').Length != uri.GetLeftPart(UriPartial.Authority).Length)
            {
                yield return $"{Section}:Origins: '{origin}' is not an origin; write scheme://host[:port], e.g. https://app.example.com";
            }
        }
        if (MaxAgeSeconds is < 0 or > 86_400) { yield return $"{Section}:MaxAgeSeconds must be between 0 and 86400"; }
    }
}

/// <summary>
/// Chooses the CORS policy by path: capture endpoints may be POSTed to with a key header and a JSON body;
/// the rest of the API may be read (GET, and POST for reports and funnels) with a key and, for streams,
/// <c>Last-Event-ID</c>. Origins outside the list get no CORS headers, so the browser refuses.
/// </summary>
internal sealed class ColiseumCorsPolicies(CorsSettings settings) : ICorsPolicyProvider
{
    // Retry-After and Location are not headers a browser shows a script unless told: 429/503 and the report's Location.
    private static readonly string[] Exposed = ["Retry-After", "Location"];

    private readonly CorsPolicy _capture = Build(settings, ["POST"], ["Content-Type", "Authorization", "X-Coliseum-Key"]);
    private readonly CorsPolicy _read = Build(settings, ["GET", "POST"], ["Authorization", "X-Coliseum-Key", "Content-Type", "Last-Event-ID"]);

    public Task<CorsPolicy?> GetPolicyAsync(HttpContext context, string? policyName) => Task.FromResult(Traffic.Of(context.Request) switch
    {
        TrafficClass.Capture => _capture,
        TrafficClass.Read => _read,
        _ => (CorsPolicy?)null,
    });

    private static CorsPolicy Build(CorsSettings settings, string[] methods, string[] headers) => new CorsPolicyBuilder()
        .WithOrigins([.. settings.Origins.Select(o => o.TrimEnd('/'))])
        .WithMethods(methods)
        .WithHeaders(headers)
        .WithExposedHeaders(Exposed)
        .SetPreflightMaxAge(TimeSpan.FromSeconds(settings.MaxAgeSeconds))
        .Build();
}
