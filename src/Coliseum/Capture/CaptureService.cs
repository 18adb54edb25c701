using System.Text;
using System.Text.Json;
using Coliseum.Diagnostics;
using Coliseum.Security;
using Coliseum.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Primitives;

namespace Coliseum.Capture;

/// <summary>What every capture endpoint shares: who may write, and handing records to the group commit.</summary>
internal sealed class CaptureService(EventValidator validator, PassportAppender appender, KeyRing keys, TimeProvider clock, Privacy.Suppressions suppressions)
{
    public EventValidator Validator => validator;

    public CaptureOptions Options => validator.Options;

    public long Now() => clock.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>The key in the request's headers: Segment's Basic auth, a Bearer key (not a JWT: that is a user token), or X-Coliseum-Key.</summary>
    public static string? HeaderKey(HttpRequest request)
    {
        if (request.Headers.TryGetValue("X-Coliseum-Key", out var header) && !StringValues.IsNullOrEmpty(header))
        {
            return header.ToString();
        }
        var authorization = request.Headers.Authorization.ToString();
        if (authorization.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            try
            {
                var decoded = Encoding.UTF8.GetString(Convert.FromBase64String(authorization[6..].Trim()));
                var colon = decoded.IndexOf(':', StringComparison.Ordinal);
                return colon >= 0 ? decoded[..colon] : decoded;
            }
            catch (FormatException)
            {
                return "";
            }
        }
        if (authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            // A JWT there is a user token (see TokenAccess), not a key.
            var bearer = authorization[7..].Trim();
            return UserTokens.LooksLikeJwt(bearer) ? null : bearer;
        }
        return null;
    }

    /// <summary>
    /// Checks the key presented in the headers before the body is read. Returns a problem to answer
    /// with, or null to go on; <paramref name="decided"/> is false when no header key was given and
    /// the body's <c>writeKey</c> (or keyless capture) must decide.
    /// </summary>
    public ProblemHttpResult? AuthorizeHeader(HttpRequest request, out bool decided)
    {
        var key = HeaderKey(request);
        decided = key is not null;
        return key is null ? null : Check(key);
    }

    /// <summary>Decides from the body's <c>writeKey</c>, or allows keyless capture when configured for this endpoint.</summary>
    public ProblemHttpResult? AuthorizeBody(JsonElement root, bool keylessEndpoint)
    {
        if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("writeKey"u8, out var writeKey) && writeKey.ValueKind == JsonValueKind.String)
        {
            return Check(writeKey.GetString()!);
        }
        if (keylessEndpoint && Options.AllowKeyless)
        {
            return null;
        }
        return Problems.Create(401, "a write key is required: send Authorization: Basic base64(key:), X-Coliseum-Key, or writeKey in the body");
    }

    private ProblemHttpResult? Check(string key) => keys.RoleOf(key) switch
    {
        KeyRole.Write or KeyRole.Admin => null,
        KeyRole.Read => Problems.Create(403, "a read key cannot append events; use a write key"),
        _ => Problems.Create(401, "the key is not valid"),
    };

    /// <summary>Appends durably; on overload or a storage failure returns the 503 to answer instead.</summary>
    public async Task<(AppendOutcome? Outcome, IResult? Problem)> AppendAsync(IReadOnlyList<PassportRecord> records, HttpContext http)
    {
        // Events of users erased with ?suppress=true are acknowledged and not stored (docs/privacy.md).
        var (kept, map) = suppressions.Filter(records);
        if (map is null)
        {
            return await AppendKeptAsync(records, http).ConfigureAwait(false);
        }
        if (kept.Count == 0)
        {
            return (Privacy.Suppressions.Acknowledge(null, map), null);
        }
        var (outcome, problem) = await AppendKeptAsync(kept, http).ConfigureAwait(false);
        return problem is null ? (Privacy.Suppressions.Acknowledge(outcome, map), null) : (null, problem);
    }

    private async Task<(AppendOutcome? Outcome, IResult? Problem)> AppendKeptAsync(IReadOnlyList<PassportRecord> records, HttpContext http)
    {
        Task<AppendOutcome>? task;
        try
        {
            task = appender.TryAppendAsync(records);
        }
        catch (ObjectDisposedException)
        {
            return (null, Unavailable(http, "Coliseum is shutting down", 5));
        }
        if (task is null)
        {
            return (null, Unavailable(http, $"the append queue is full ({Options.MaxPendingEvents} events waiting); retry shortly", 1));
        }
        AppendOutcome outcome;
        try
        {
            outcome = await task.ConfigureAwait(false);
        }
        catch (StorageUnavailableException ex)
        {
            return (null, Unavailable(http, ex.Message, 5));
        }
        // Counted once stored, like events_accepted: a retried or refused event is not a second violation.
        for (var i = 0; i < records.Count; i++)
        {
            if (outcome.Inserted[i] && records[i].Warnings is { } w && w.Contains("unknown_type", StringComparison.Ordinal))
            {
                ColiseumMetrics.TrackingPlanViolation();
            }
        }
        return (outcome, null);
    }

    private static ProblemHttpResult Unavailable(HttpContext http, string message, int retryAfterSeconds)
    {
        http.Response.Headers.RetryAfter = retryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return Problems.Create(503, message);
    }
}
