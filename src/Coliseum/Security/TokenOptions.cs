namespace Coliseum.Security;

/// <summary>
/// User tokens (<c>Coliseum:Tokens</c>): the platform's Supabase session JWT, checked with the project's
/// JWT secret (HS256) or with public keys from a JWKS file or URL (RS256, ES256).
/// </summary>
public sealed class TokenOptions
{
    public const string Section = "Coliseum:Tokens";

    /// <summary>The project's JWT secret for HS256 tokens (Supabase: Settings → API → JWT secret); at least 32 bytes.</summary>
    public string? Secret { get; set; }

    /// <summary>A JWKS file with the public keys of RS256/ES256 tokens; read again when a token names an unknown <c>kid</c>.</summary>
    public string? JwksPath { get; set; }

    /// <summary>A JWKS URL (Supabase: <c>https://&lt;project&gt;.supabase.co/auth/v1/.well-known/jwks.json</c>).</summary>
    public string? JwksUrl { get; set; }

    /// <summary>When set, a token's <c>iss</c> must equal it (Supabase: <c>https://&lt;project&gt;.supabase.co/auth/v1</c>).</summary>
    public string? Issuer { get; set; }

    /// <summary>When set, a token's <c>aud</c> must contain it (Supabase signs signed-in sessions with <c>authenticated</c>).</summary>
    public string? Audience { get; set; }

    /// <summary>Keyless browser capture (<c>Coliseum:Capture:AllowKeyless</c>) needs a valid user token.</summary>
    public bool RequireForKeyless { get; set; }

    /// <summary>Leeway for <c>exp</c> and <c>nbf</c> against this server's clock.</summary>
    public int ClockSkewSeconds { get; set; } = 30;

    /// <summary>How long keys fetched from <see cref="JwksUrl"/> are used before they are fetched again.</summary>
    public int JwksCacheSeconds { get; set; } = 600;

    /// <summary>Least time between two reloads of the JWKS caused by tokens naming a <c>kid</c> it lacks.</summary>
    public int JwksMinRefreshSeconds { get; set; } = 30;

    public bool Configured => !string.IsNullOrEmpty(Secret) || !string.IsNullOrEmpty(JwksPath) || !string.IsNullOrEmpty(JwksUrl);

    public IEnumerable<string> Validate()
    {
        if (!string.IsNullOrEmpty(Secret) && System.Text.Encoding.UTF8.GetByteCount(Secret) < 32)
        {
            yield return "Coliseum:Tokens:Secret must be at least 32 bytes (HS256 needs a 256-bit key)";
        }
        if (!string.IsNullOrEmpty(JwksPath) && !string.IsNullOrEmpty(JwksUrl))
        {
            yield return "Coliseum:Tokens: set JwksPath or JwksUrl, not both";
        }
        if (!string.IsNullOrEmpty(JwksPath) && !File.Exists(JwksPath))
        {
            yield return $"Coliseum:Tokens:JwksPath '{JwksPath}' does not exist";
        }
        if (!string.IsNullOrEmpty(JwksUrl) && (!Uri.TryCreate(JwksUrl, UriKind.Absolute, out var url) || url.Scheme is not ("https" or "http")))
        {
            yield return "Coliseum:Tokens:JwksUrl must be an absolute http(s) URL";
        }
        if (ClockSkewSeconds is < 0 or > 600) { yield return "Coliseum:Tokens:ClockSkewSeconds must be between 0 and 600"; }
        if (JwksCacheSeconds is < 10 or > 86_400) { yield return "Coliseum:Tokens:JwksCacheSeconds must be between 10 and 86400"; }
        if (JwksMinRefreshSeconds is < 0 or > 3_600) { yield return "Coliseum:Tokens:JwksMinRefreshSeconds must be between 0 and 3600"; }
        if (RequireForKeyless && !Configured)
        {
            yield return "Coliseum:Tokens:RequireForKeyless needs Secret, JwksPath or JwksUrl";
        }
    }
}
