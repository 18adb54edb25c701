using System.Text.Json;
using Coliseum.Capture;
using Coliseum.Query;
using Coliseum.Processing;
using Coliseum.Reports;
using Coliseum.Security;

namespace Coliseum.Passport;

/// <summary>
/// <c>GET /api/passport/me</c>: one user's own entries (newest first, paged by position) and their passport
/// summary: for a user token, its own (<c>sub</c>); for an admin key, the user named with <c>?userId=</c>
/// (see <see cref="SubjectOfAsync"/>).
/// </summary>
internal static class PassportMeApi
{
    public const int DefaultLimit = 50;
    public const int MaxLimit = 500;
    public const int TopArtists = 10;

    public static IEndpointRouteBuilder MapPassportMeApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/passport/me", MeAsync).WithTags("Passport")
            .WithSummary("A user's own entries (newest first; ?limit ≤ 500, ?before=<position>) and passport summary (a user token: its own; an admin key: ?userId=)");
        return app;
    }

    /// <summary>
    /// Whose passport this request may read, or the 4xx to answer. With a user token (<c>Authorization: Bearer
    /// &lt;jwt&gt;</c>) it is always the token's <c>sub</c>: a <c>userId</c> naming someone else is 403, an invalid
    /// token 401. Without one, an admin key names the user with <c>?userId=</c>.
    /// </summary>
    private static async Task<(string? UserId, IResult? Problem)> SubjectOfAsync(HttpContext http, string? userId, CancellationToken cancellationToken)
    {
        var (subject, tokenProblem) = await TokenAccess.CheckAsync(http, cancellationToken);
        if (tokenProblem is not null) { return (null, tokenProblem); }
        if (subject is not null)
        {
            if (userId is not null && userId != subject)
            {
                return (null, QueryProblems.Create(403, "a user token reads only its own passport: userId must be the token's sub (or left out)", "userId"));
            }
            return (subject, null);
        }
        if (Access.Require(http, KeyRole.Admin) is { } denied) { return (null, denied); }
        if (userId is not { Length: > 0 and <= ReportRequest.MaxIdLength })
        {
            return (null, QueryProblems.Create(400, $"userId is required: 1 to {ReportRequest.MaxIdLength} characters", "userId"));
        }
        return (userId, null);
    }

    private static async Task<IResult> MeAsync(HttpContext http, string? userId, int? limit, long? before, IProcessorStore store, ProcessingOptions processing, CancellationToken cancellationToken)
    {
        var (user, problem) = await SubjectOfAsync(http, userId, cancellationToken);
        if (problem is not null) { return problem; }
        if (limit is < 1 or > MaxLimit) { return QueryProblems.Create(400, $"limit must be between 1 and {MaxLimit}", "limit"); }
        if (before is < 1) { return QueryProblems.Create(400, "before must be a log position (a positive integer)", "before"); }
        var take = limit ?? DefaultLimit;

        await using var db = await ReportReader.OpenAsync(store, processing, cancellationToken);
        var positions = await db.PositionsAsync(cancellationToken);
        var entries = new List<PassportMeEntry>(take);
        long? nextBefore = null;
        // mediaid_user_entries (user_id, position), kept by the mediaid consumer: a seek to this user's newest
        // entries, then each by its position; never a scan of the log. Entries show once mediaid has applied them.
        await foreach (var r in db.RowsAsync("""
            SELECT p.position, p.message_id, p.event_type, p.occurred_at, p.received_at, p.anonymous_id, p.session_id, p.device_id, p.entity_type, p.entity_id, p.metadata, p.context
            FROM mediaid_user_entries u JOIN passport_log p ON p.position = u.position
            WHERE u.user_id = @u AND u.position < @before ORDER BY u.position DESC LIMIT @n
            """, cancellationToken, ("@u", user), ("@before", before ?? long.MaxValue), ("@n", (long)take + 1)))
        {
            if (entries.Count == take)
            {
                nextBefore = entries[^1].Position;
                break;
            }
            entries.Add(new PassportMeEntry(r.GetInt64(0), r.GetString(1), r.GetString(2), ReportReader.Iso(r.GetInt64(3))!, ReportReader.Iso(r.GetInt64(4))!,
                Text(r, 5), Text(r, 6), Text(r, 7), Text(r, 8), Text(r, 9), Json(r.GetString(10)), r.IsDBNull(11) ? null : Json(r.GetString(11))));
        }
        var summary = await SummaryAsync(db, user!, cancellationToken);
        return TypedResults.Ok(new PassportMe(user!, positions, summary, entries, nextBefore));
    }

    /// <summary>All-time: the mediaid profile and event counts, the treasury balances, net votes (day rollups) and taste (DNA) top artists.</summary>
    private static async Task<PassportSummary> SummaryAsync(ReportReader db, string user, CancellationToken ct)
    {
        var byType = new List<TypeCount>();
        await foreach (var r in db.RowsAsync("SELECT event_type, count FROM mediaid_profile_events WHERE user_id = @u ORDER BY count DESC, event_type", ct, ("@u", user)))
        {
            byType.Add(new TypeCount(r.GetString(0), r.GetInt64(1)));
        }
        var money = new List<Balance>();
        await foreach (var r in db.RowsAsync("""
            SELECT currency, spent_cents, earned_cents, refunded_cents, paid_out_cents, balance_cents FROM treasury_balances
            WHERE owner_type = 'user' AND owner_id = @u ORDER BY currency
            """, ct, ("@u", user)))
        {
            money.Add(new Balance(r.GetString(0), r.GetInt64(1), r.GetInt64(2), r.GetInt64(3), r.GetInt64(4), r.GetInt64(5)));
        }
        var votes = await db.RollupsAsync(Metric.Votes, "user", user, "", long.MinValue, long.MaxValue, ct);
        var dna = new List<(string Artist, long Score)>();
        await foreach (var r in db.RowsAsync("SELECT key, score FROM mediaid_dna WHERE user_id = @u AND kind = 'artist' AND score > 0 ORDER BY score DESC, key LIMIT @n", ct, ("@u", user), ("@n", (long)TopArtists)))
        {
            dna.Add((r.GetString(0), r.GetInt64(1)));
        }
        var names = await db.NamesAsync("artist", dna.Select(d => d.Artist), ct);
        return new PassportSummary(await PassportReports.ProfileAsync(db, user, ct), byType, money, votes.Values.Sum(v => v.Sum),
            [.. dna.Select(d => new Ranked(d.Artist, names[d.Artist], d.Score))]);
    }

    private static string? Text(System.Data.Common.DbDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);

    private static JsonElement Json(string text)
    {
        using var document = JsonDocument.Parse(text);
        return document.RootElement.Clone();
    }
}
