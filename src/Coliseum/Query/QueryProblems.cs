using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Coliseum.Query;

/// <summary>ProblemDetails for the query API: the same shape as capture's (<c>error</c>, <c>field</c>), titled for a query, and the valid choices when there are few.</summary>
internal static class QueryProblems
{
    public static ProblemHttpResult Create(int status, string detail, string? field = null, IReadOnlyList<string>? valid = null)
    {
        var problem = new ProblemDetails
        {
            Status = status,
            Title = status switch
            {
                400 => "Invalid request",
                401 => "Not authenticated: no valid key or token",
                403 => "Not allowed for this key or token",
                404 => "Not found",
                409 => "Conflict",
                413 => "Too large",
                429 => "Too many requests",
                503 => "Busy, retry later",
                _ => "Request failed",
            },
            Detail = detail,
            Type = $"https://coliseum.dev/problems/{status}",
        };
        problem.Extensions["error"] = detail;
        if (field is not null)
        {
            problem.Extensions["field"] = field;
        }
        if (valid is not null)
        {
            problem.Extensions["valid"] = valid.ToArray();
        }
        return TypedResults.Problem(problem);
    }
}
