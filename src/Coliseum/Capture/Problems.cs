using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Coliseum.Capture;

/// <summary>
/// Error answers: RFC 9457 ProblemDetails that also carry <c>error</c> (the sentence the React hook
/// reads) and, where one is to blame, <c>field</c>.
/// </summary>
internal static class Problems
{
    public static ProblemHttpResult Create(int status, string error, string? field = null, IReadOnlyList<Rejection>? rejected = null)
    {
        var problem = new ProblemDetails
        {
            Status = status,
            Title = Title(status),
            Detail = error,
            Type = $"https://coliseum.dev/problems/{status}",
        };
        problem.Extensions["error"] = error;
        if (field is not null)
        {
            problem.Extensions["field"] = field;
        }
        if (rejected is not null)
        {
            problem.Extensions["rejected"] = rejected;
        }
        return TypedResults.Problem(problem);
    }

    public static ProblemHttpResult Create(int status, Coliseum.Capture.CaptureError error) => Create(status, error.Message, error.Field);

    private static string Title(int status) => status switch
    {
        400 => "Invalid event",
        401 => "Not authenticated: no valid key or token",
        403 => "Not allowed for this key or token",
        404 => "Not found",
        409 => "Conflict",
        413 => "Too large",
        415 => "Unsupported content type",
        429 => "Too many requests",
        503 => "Busy, retry later",
        _ => "Request failed",
    };
}
