using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using Coliseum.Tests.Infrastructure;

namespace Coliseum.Tests.Stripe;

/// <summary>
/// Signs a body the way Stripe does (its documented scheme: <c>Stripe-Signature: t=…,v1=…</c> where v1 is
/// the hex HMAC-SHA256 of <c>{t}.{body}</c> keyed with the endpoint secret) and delivers it the way
/// Stripe's servers do. Stripe's own servers are the one thing that cannot be here.
/// </summary>
internal static class StripeSigner
{
    public const string Path = "/api/stripe/webhook";
    public const string Secret = "whsec_4eC39HqLyjWDarjtT1zdp7dcTest0123456789ab";
    public const string NewSecret = "whsec_rotatedZ9yXwVuTsRqPoNmLkJiHgFeDcBa98765";

    public static long Now => DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    public static Dictionary<string, string?> Settings(params string[] secrets)
    {
        var settings = new Dictionary<string, string?>();
        for (var i = 0; i < secrets.Length; i++)
        {
            settings[$"Coliseum:Stripe:WebhookSecrets:{i}"] = secrets[i];
        }
        return settings;
    }

    public static string V1(byte[] body, string secret, long timestamp)
    {
        var signed = Encoding.UTF8.GetBytes(timestamp.ToString(CultureInfo.InvariantCulture) + ".").Concat(body).ToArray();
        return Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), signed));
    }

    public static string Header(string body, string secret = Secret, long? timestamp = null) =>
        Header(Encoding.UTF8.GetBytes(body), secret, timestamp);

    public static string Header(byte[] body, string secret = Secret, long? timestamp = null)
    {
        var t = timestamp ?? Now;
        return $"t={t},v1={V1(body, secret, t)}";
    }

    /// <summary>Signs <paramref name="body"/> now with <paramref name="secret"/> and posts it.</summary>
    public static Task<HttpResponseMessage> DeliverAsync(TestServer server, string body, string secret = Secret) =>
        PostAsync(server, Encoding.UTF8.GetBytes(body), Header(body, secret));

    /// <summary>Posts the bytes as Stripe does, with this signature header (none when null).</summary>
    public static async Task<HttpResponseMessage> PostAsync(TestServer server, byte[] body, string? signature, string? contentType = "application/json; charset=utf-8")
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, Path) { Content = new ByteArrayContent(body) };
        if (contentType is not null)
        {
            request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        }
        request.Headers.UserAgent.ParseAdd("Stripe/1.0");
        if (signature is not null)
        {
            request.Headers.TryAddWithoutValidation("Stripe-Signature", signature);
        }
        return await server.Client.SendAsync(request);
    }
}
