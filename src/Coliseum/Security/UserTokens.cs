using System.Text;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Coliseum.Security;

/// <summary>
/// Checks user tokens (the platform's Supabase session, a JWT) with Microsoft.IdentityModel: HS256 with
/// the project's secret, RS256/ES256 with keys from a JWKS file or URL. Signature, <c>exp</c>/<c>nbf</c>
/// (with a small skew), the algorithm, and the issuer/audience when configured; the result is the
/// token's <c>sub</c>. The JWKS is cached; a token naming a <c>kid</c> the cached set lacks reloads it,
/// at most once per <see cref="TokenOptions.JwksMinRefreshSeconds"/> (key rotation without a restart,
/// and no reload storm from forged <c>kid</c>s).
/// </summary>
public sealed partial class UserTokens : IDisposable
{
    /// <summary>Longest token looked at; Supabase sessions are about 1 KB.</summary>
    public const int MaxTokenLength = 8 * 1024;

    private const int MaxJwksBytes = 1024 * 1024;

    private readonly TokenOptions _options;
    private readonly TimeProvider _time;
    private readonly JsonWebTokenHandler _handler = new();
    private readonly SymmetricSecurityKey? _secret;
    private readonly HttpClient? _http;
    private readonly SemaphoreSlim _reload = new(1, 1);
    private volatile KeySet? _jwks;

    public UserTokens(TokenOptions options, TimeProvider time)
    {
        _options = options;
        _time = time;
        if (!string.IsNullOrEmpty(options.Secret))
        {
            _secret = new SymmetricSecurityKey(Encoding.UTF8.GetBytes(options.Secret));
        }
        if (!string.IsNullOrEmpty(options.JwksUrl))
        {
            _http = new HttpClient { Timeout = TimeSpan.FromSeconds(10), MaxResponseContentBufferSize = MaxJwksBytes };
        }
        List<string> algorithms = [];
        if (_secret is not null)
        {
            algorithms.Add(SecurityAlgorithms.HmacSha256);
        }
        if (!string.IsNullOrEmpty(options.JwksPath) || _http is not null)
        {
            algorithms.Add(SecurityAlgorithms.RsaSha256);
            algorithms.Add(SecurityAlgorithms.EcdsaSha256);
        }
        Algorithms = algorithms;
        if (!string.IsNullOrEmpty(options.JwksPath))
        {
            // Read at start so a broken file stops the server with a clear message rather than failing every request.
            _jwks = new KeySet(ParseJwks(File.ReadAllText(options.JwksPath), options.JwksPath), Now);
        }
    }

    public TokenOptions Options => _options;

    private long Now => _time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>
    /// A bearer value that is a JWT rather than an API key: three base64url parts joined by dots. Coliseum's
    /// keys (<c>cw_…</c>, <c>cr_…</c>, <c>ca_…</c>) never contain a dot; configured keys must not look like this.
    /// </summary>
    public static bool LooksLikeJwt(ReadOnlySpan<char> value)
    {
        if (value.Length is < 5 or > MaxTokenLength)
        {
            return false;
        }
        var dots = 0;
        var partLength = 0;
        foreach (var c in value)
        {
            if (c == '.')
            {
                // The signature may be empty (alg "none"), header and payload may not.
                if (partLength == 0 && dots < 2) { return false; }
                dots++;
                partLength = 0;
            }
            else if (char.IsAsciiLetterOrDigit(c) || c is '-' or '_')
            {
                partLength++;
            }
            else
            {
                return false;
            }
        }
        return dots == 2;
    }

    /// <summary>The JWT in <c>Authorization: Bearer</c>, or null when there is none (or the bearer value is a key).</summary>
    public static string? BearerToken(HttpRequest request)
    {
        var authorization = request.Headers.Authorization.ToString();
        if (!authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }
        var value = authorization.AsSpan(7).Trim();
        return LooksLikeJwt(value) ? value.ToString() : null;
    }

    /// <summary>Validates a token; the result holds its <c>sub</c>, or the status (401, 503) and reason to answer with.</summary>
    public async Task<UserTokenResult> ValidateAsync(string token, CancellationToken cancellationToken)
    {
        if (!_options.Configured)
        {
            return UserTokenResult.Fail(401, "user tokens are not accepted: Coliseum:Tokens has no Secret, JwksPath or JwksUrl");
        }
        if (token.Length > MaxTokenLength)
        {
            return UserTokenResult.Fail(401, $"the user token is longer than {MaxTokenLength} characters");
        }
        string? kid;
        try
        {
            var header = new JsonWebToken(token);
            kid = header.Kid;
            // The library refuses these too; saying which algorithm was refused helps whoever set the platform up.
            if (!Algorithms.Contains(header.Alg, StringComparer.Ordinal))
            {
                return UserTokenResult.Fail(401, $"the user token's algorithm '{Clip(header.Alg)}' is not accepted; accepted: {string.Join(", ", Algorithms)}");
            }
        }
        catch (Exception ex) when (ex is ArgumentException or SecurityTokenMalformedException)
        {
            return UserTokenResult.Fail(401, "the user token is not a well-formed JWT");
        }
        IReadOnlyList<SecurityKey> keys;
        try
        {
            keys = await KeysAsync(kid, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or ArgumentException or IOException && !cancellationToken.IsCancellationRequested)
        {
            return UserTokenResult.Fail(503, "the keys that check user tokens could not be loaded (Coliseum:Tokens:JwksUrl); retry shortly");
        }
        var result = await _handler.ValidateTokenAsync(token, Parameters(keys)).ConfigureAwait(false);
        if (!result.IsValid)
        {
            return UserTokenResult.Fail(401, Reason(result.Exception));
        }
        var subject = (result.SecurityToken as JsonWebToken)?.Subject;
        if (string.IsNullOrEmpty(subject))
        {
            return UserTokenResult.Fail(401, "the user token has no sub");
        }
        return UserTokenResult.Valid(subject);
    }

    /// <summary>HS256 with a secret; RS256 and ES256 with a JWKS. Never <c>none</c>.</summary>
    private IReadOnlyList<string> Algorithms { get; }

    private static string Clip(string? text) => text is null ? "" : text.Length <= 16 ? text : text[..16];

    private TokenValidationParameters Parameters(IReadOnlyList<SecurityKey> keys)
    {
        return new TokenValidationParameters
        {
            IssuerSigningKeys = keys,
            ValidAlgorithms = Algorithms,
            RequireSignedTokens = true,
            RequireExpirationTime = true,
            ValidateLifetime = true,
            ClockSkew = TimeSpan.FromSeconds(_options.ClockSkewSeconds),
            ValidateIssuer = !string.IsNullOrEmpty(_options.Issuer),
            ValidIssuer = _options.Issuer,
            ValidateAudience = !string.IsNullOrEmpty(_options.Audience),
            ValidAudience = _options.Audience,
            ValidateIssuerSigningKey = false,
            TryAllIssuerSigningKeys = true,
        };
    }

    private static string Reason(Exception? exception) => exception switch
    {
        SecurityTokenExpiredException => "the user token has expired",
        SecurityTokenNotYetValidException => "the user token is not valid yet (nbf)",
        SecurityTokenNoExpirationException => "the user token has no exp",
        SecurityTokenInvalidAlgorithmException => "the user token's algorithm is not accepted",
        SecurityTokenInvalidAudienceException => "the user token's audience (aud) is not the configured one",
        SecurityTokenInvalidIssuerException => "the user token's issuer (iss) is not the configured one",
        SecurityTokenSignatureKeyNotFoundException or SecurityTokenInvalidSignatureException => "the user token's signature is not valid",
        SecurityTokenMalformedException or ArgumentException => "the user token is not a well-formed JWT",
        _ => "the user token is not valid",
    };

    /// <summary>The secret and the JWKS keys; reloads the JWKS when it is stale, or when <paramref name="kid"/> is not in it (bounded).</summary>
    private async Task<IReadOnlyList<SecurityKey>> KeysAsync(string? kid, CancellationToken cancellationToken)
    {
        var set = _jwks;
        if (_options.JwksPath is { Length: > 0 } || _http is not null)
        {
            var stale = set is null || (_http is not null && Now - set.LoadedAt > _options.JwksCacheSeconds * 1000L);
            var unknownKid = set is not null && kid is not null && !set.Keys.Any(k => k.KeyId == kid) && Now - set.LoadedAt >= _options.JwksMinRefreshSeconds * 1000L;
            if (stale || unknownKid)
            {
                set = await ReloadAsync(set, cancellationToken).ConfigureAwait(false);
            }
        }
        if (_secret is null)
        {
            return set?.Keys ?? [];
        }
        return set is null ? [_secret] : [_secret, .. set.Keys];
    }

    private async Task<KeySet> ReloadAsync(KeySet? seen, CancellationToken cancellationToken)
    {
        await _reload.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_jwks is { } current && !ReferenceEquals(current, seen))
            {
                return current; // another request reloaded it meanwhile
            }
            string json;
            string source;
            if (_http is not null)
            {
                source = _options.JwksUrl!;
                json = await _http.GetStringAsync(new Uri(source), cancellationToken).ConfigureAwait(false);
            }
            else
            {
                source = _options.JwksPath!;
                json = await File.ReadAllTextAsync(source, cancellationToken).ConfigureAwait(false);
            }
            var set = new KeySet(ParseJwks(json, source), Now);
            _jwks = set;
            return set;
        }
        finally
        {
            _reload.Release();
        }
    }

    private static IReadOnlyList<SecurityKey> ParseJwks(string json, string source)
    {
        try
        {
            return [.. new JsonWebKeySet(json).GetSigningKeys()];
        }
        catch (Exception ex) when (ex is ArgumentException or System.Text.Json.JsonException)
        {
            throw new ArgumentException($"{source} is not a JSON Web Key Set", ex);
        }
    }

    public void Dispose()
    {
        _http?.Dispose();
        _reload.Dispose();
    }

    private sealed record KeySet(IReadOnlyList<SecurityKey> Keys, long LoadedAt);
}

/// <summary>A checked user token: its subject, or the status and reason to refuse the request with.</summary>
public sealed record UserTokenResult(string? Subject, int Status, string? Error)
{
    public bool IsValid => Subject is not null;

    public static UserTokenResult Valid(string subject) => new(subject, 200, null);

    public static UserTokenResult Fail(int status, string error) => new(null, status, error);
}
