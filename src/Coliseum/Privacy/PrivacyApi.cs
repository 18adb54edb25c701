using System.Globalization;
using Coliseum.Capture;
using Coliseum.Processing;
using Coliseum.Query;
using Coliseum.Security;

namespace Coliseum.Privacy;

/// <summary>
/// Privacy requests (admin key): erase a user (<c>DELETE /api/privacy/users/{userId}</c>, optionally
/// suppressing their later events), follow the erasure's rebuild (<c>GET /api/privacy/requests/{id}</c>),
/// and export everything held about a user (<c>GET /api/privacy/users/{userId}/export</c>).
/// </summary>
internal static class PrivacyApi
{
    /// <summary>As long as capture allows a userId to be.</summary>
    public const int MaxUserIdLength = 128;

    public static IEndpointRouteBuilder MapPrivacyApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/privacy").WithTags("Privacy");
        group.MapDelete("/users/{userId}", EraseAsync)
            .WithSummary("Erase a user: blank their log entries, rebuild the aggregates without them, keep an audit record without the id; ?suppress=true drops their later events (admin key). 202 + Location while the rebuild runs, 200 when nothing needed rebuilding")
            .Produces<PrivacyRequestView>(StatusCodes.Status202Accepted).Produces<PrivacyRequestView>()
            .ProducesProblem(400).ProducesProblem(401).ProducesProblem(403).ProducesProblem(409);
        group.MapGet("/requests/{id}", GetAsync)
            .WithSummary("A privacy request's audit record and rebuild progress (admin key)")
            .Produces<PrivacyRequestView>().ProducesProblem(401).ProducesProblem(403).ProducesProblem(404);
        group.MapGet("/users/{userId}/export", ExportAsync)
            .WithSummary("Everything held about a user as one JSON document, streamed (admin key)")
            .ProducesProblem(400).ProducesProblem(401).ProducesProblem(403);
        return app;
    }

    public static string LocationOf(long id) => $"/api/privacy/requests/{id.ToString(CultureInfo.InvariantCulture)}";

    private static async Task<IResult> EraseAsync(HttpContext http, string userId, bool? suppress, UserErasure erasure, CancellationToken cancellationToken)
    {
        if (Access.Require(http, KeyRole.Admin) is { } denied) { return denied; }
        if (Invalid(userId) is { } problem) { return problem; }
        PrivacyRequestView view;
        try
        {
            view = await erasure.EraseAsync(userId, suppress ?? false, KeyId(http), cancellationToken);
        }
        catch (InvalidOperationException ex)
        {
            return QueryProblems.Create(409, $"the erasure needs every consumer paused, and {ex.Message}; send the request to the process that runs the consumers");
        }
        if (view.Status == "done")
        {
            return TypedResults.Json(view, PrivacyJsonContext.Default.PrivacyRequestView);
        }
        http.Response.Headers.Location = LocationOf(view.Id);
        return TypedResults.Json(view, PrivacyJsonContext.Default.PrivacyRequestView, statusCode: StatusCodes.Status202Accepted);
    }

    private static async Task<IResult> GetAsync(HttpContext http, string id, UserErasure erasure, CancellationToken cancellationToken)
    {
        if (Access.Require(http, KeyRole.Admin) is { } denied) { return denied; }
        if (!long.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out var number))
        {
            return QueryProblems.Create(400, "id must be a privacy request's number", "id");
        }
        var view = await erasure.GetAsync(number, cancellationToken);
        return view is null
            ? QueryProblems.Create(404, $"no privacy request {number}")
            : TypedResults.Json(view, PrivacyJsonContext.Default.PrivacyRequestView);
    }

    private static async Task<IResult> ExportAsync(HttpContext http, string userId, IProcessorStore store, TimeProvider time, CancellationToken cancellationToken)
    {
        if (Access.Require(http, KeyRole.Admin) is { } denied) { return denied; }
        if (Invalid(userId) is { } problem) { return problem; }
        await UserExport.WriteAsync(http, store, userId, time, cancellationToken);
        return Results.Empty;
    }

    private static IResult? Invalid(string userId) => userId.Length is 0 or > MaxUserIdLength
        ? QueryProblems.Create(400, $"userId must be 1 to {MaxUserIdLength} characters", "userId")
        : null;

    /// <summary>Who asked, without the key: the first 12 hex digits of the key's SHA-256 (what <c>keys.json</c> holds).</summary>
    private static string KeyId(HttpContext http) => KeyRing.Hash(CaptureService.HeaderKey(http.Request) ?? "")[..12];
}
