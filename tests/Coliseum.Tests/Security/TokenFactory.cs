using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Coliseum.Tests.Security;

/// <summary>Makes real JWTs the way Supabase does (HS256 with the project secret, RS256/ES256 with a key pair) and JWKS files for them.</summary>
internal static class TokenFactory
{
    public const string Secret = "super-secret-jwt-token-with-at-least-32-characters-long";
    public const string Audience = "authenticated";

    private static readonly JsonWebTokenHandler Handler = new();

    public static string Hs256(string sub, string secret = Secret, TimeSpan? expiresIn = null, string algorithm = SecurityAlgorithms.HmacSha256, string audience = Audience) =>
        Create(sub, new SigningCredentials(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(secret)), algorithm), expiresIn, audience);

    public static string Signed(string sub, SecurityKey key, string algorithm, TimeSpan? expiresIn = null) =>
        Create(sub, new SigningCredentials(key, algorithm), expiresIn, Audience);

    private static string Create(string sub, SigningCredentials credentials, TimeSpan? expiresIn, string audience)
    {
        var now = DateTime.UtcNow;
        var expires = now + (expiresIn ?? TimeSpan.FromHours(1));
        return Handler.CreateToken(new SecurityTokenDescriptor
        {
            Claims = new Dictionary<string, object> { ["sub"] = sub, ["role"] = "authenticated" },
            Audience = audience,
            Issuer = "https://project.supabase.co/auth/v1",
            IssuedAt = expires.AddHours(-2),
            NotBefore = expires.AddHours(-2),
            Expires = expires,
            SigningCredentials = credentials,
        });
    }

    /// <summary>An unsigned token (<c>alg: none</c>) that claims to be <paramref name="sub"/>.</summary>
    public static string Unsigned(string sub)
    {
        var exp = DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeSeconds();
        return Base64Url("""{"alg":"none","typ":"JWT"}""") + "." + Base64Url($$"""{"sub":"{{sub}}","aud":"{{Audience}}","exp":{{exp}}}""") + ".";
    }

    public static RsaSecurityKey RsaKey(string kid) => new(RSA.Create(2048)) { KeyId = kid };

    public static ECDsaSecurityKey EcKey(string kid) => new(ECDsa.Create(ECCurve.NamedCurves.nistP256)) { KeyId = kid };

    /// <summary>A JWKS document with the public halves of the keys.</summary>
    public static string Jwks(params SecurityKey[] keys)
    {
        var array = new JsonArray();
        foreach (var key in keys)
        {
            switch (key)
            {
                case RsaSecurityKey rsa:
                    var p = rsa.Rsa.ExportParameters(false);
                    array.Add(new JsonObject { ["kty"] = "RSA", ["kid"] = rsa.KeyId, ["use"] = "sig", ["alg"] = "RS256", ["n"] = Base64Url(p.Modulus!), ["e"] = Base64Url(p.Exponent!) });
                    break;
                case ECDsaSecurityKey ec:
                    var q = ec.ECDsa.ExportParameters(false).Q;
                    array.Add(new JsonObject { ["kty"] = "EC", ["kid"] = ec.KeyId, ["use"] = "sig", ["alg"] = "ES256", ["crv"] = "P-256", ["x"] = Base64Url(q.X!), ["y"] = Base64Url(q.Y!) });
                    break;
                default:
                    throw new ArgumentException("only RSA and EC keys go in a JWKS");
            }
        }
        return new JsonObject { ["keys"] = array }.ToJsonString();
    }

    private static string Base64Url(string text) => Base64Url(Encoding.UTF8.GetBytes(text));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
