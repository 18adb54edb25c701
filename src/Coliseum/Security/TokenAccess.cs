using System.Text.Json;
using Coliseum.Capture;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Coliseum.Security;

/// <summary>
/// What the browser endpoints do with a user token. The token travels in <c>Authorization: Bearer &lt;jwt&gt;</c>;
/// a write key, when one is sent as well, goes in <c>X-Coliseum-Key</c> or the body's <c>writeKey</c>.
/// A token that is present must be valid (401 otherwise, never ignored), and then it decides whose
/// events and whose passport the request may touch.
/// </summary>
internal static class TokenAccess
{
    /// <summary>(null, null) when the request carries no token; (sub, null) when it is valid; else the problem to answer.</summary>
    public static async Task<(string? Subject, ProblemHttpResult? Problem)> CheckAsync(HttpContext http, CancellationToken cancellationToken)
    {
        if (UserTokens.BearerToken(http.Request) is not { } token)
        {
            return (null, null);
        }
        var result = await http.RequestServices.GetRequiredService<UserTokens>().ValidateAsync(token, cancellationToken).ConfigureAwait(false);
        if (result.IsValid)
        {
            return (result.Subject, null);
        }
        if (result.Status == 503)
        {
            http.Response.Headers.RetryAfter = "5";
        }
        return (null, Problems.Create(result.Status, result.Error!, "Authorization"));
    }

    /// <summary>
    /// With <c>Coliseum:Tokens:RequireForKeyless</c>, a request that would be let in by keyless capture (no key
    /// in the headers, no <c>writeKey</c> in the body) must carry a valid user token.
    /// </summary>
    public static ProblemHttpResult? RequireForKeyless(HttpContext http, JsonElement root, string? subject)
    {
        if (subject is not null || !http.RequestServices.GetRequiredService<UserTokens>().Options.RequireForKeyless)
        {
            return null;
        }
        var hasWriteKey = root.ValueKind == JsonValueKind.Object && root.TryGetProperty("writeKey"u8, out var key) && key.ValueKind == JsonValueKind.String;
        return hasWriteKey ? null : Problems.Create(401, "a user token is required: Authorization: Bearer <the signed-in user's session JWT>, or a write key", "Authorization");
    }

    public static Rejection Mismatch(int index) => new(index, "userId must equal the user token's sub", "userId");

    /// <summary>403 naming each event whose userId is not the token's subject.</summary>
    public static ProblemHttpResult Forbidden(IReadOnlyList<Rejection> mismatched)
    {
        var first = mismatched[0].Index;
        var message = mismatched.Count == 1
            ? $"event {first}: userId must equal the user token's sub"
            : $"{mismatched.Count} events have a userId other than the user token's sub; the first is event {first}";
        return Problems.Create(403, message, "userId", mismatched);
    }
}
