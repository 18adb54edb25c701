using System.Text.Json;
using Coliseum.Diagnostics;
using Coliseum.Security;

namespace Coliseum.Capture;

/// <summary>Coliseum's own capture endpoints: one event, or a batch of them.</summary>
internal static class PassportApi
{
    public static IEndpointRouteBuilder MapPassportApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/passport").WithTags("Capture");
        api.MapPost("/log", LogAsync)
            .WithSummary("Append one event (the React hook's contract)")
            .Produces<LogResponse>(StatusCodes.Status201Created)
            .ProducesProblem(400).ProducesProblem(401).ProducesProblem(403).ProducesProblem(413).ProducesProblem(415).ProducesProblem(503);
        api.MapPost("/batch", BatchAsync)
            .WithSummary("Append up to 2,500 events")
            .Produces<BatchResponse>()
            .ProducesProblem(400).ProducesProblem(401).ProducesProblem(403).ProducesProblem(413).ProducesProblem(415).ProducesProblem(503);
        return app;
    }

    private static async Task<IResult> LogAsync(HttpContext http, CaptureService capture, CancellationToken cancellationToken)
    {
        var (subject, tokenProblem) = await TokenAccess.CheckAsync(http, cancellationToken);
        if (tokenProblem is not null)
        {
            return tokenProblem;
        }
        var problem = capture.AuthorizeHeader(http.Request, out var decided);
        if (problem is not null)
        {
            return problem;
        }
        var (body, bodyProblem) = await CaptureBody.ReadAsync(http.Request, capture.Options, cancellationToken);
        if (body is null)
        {
            ColiseumMetrics.EventRejected(null, "log");
            return bodyProblem!;
        }
        using (body)
        {
            if (!decided && (TokenAccess.RequireForKeyless(http, body.Root, subject) ?? capture.AuthorizeBody(body.Root, keylessEndpoint: true)) is { } keyProblem)
            {
                return keyProblem;
            }
            if (body.Root.ValueKind == JsonValueKind.Array)
            {
                ColiseumMetrics.EventRejected(null, "log");
                return Problems.Create(400, "expected one event as a JSON object; send several to /api/passport/batch as {\"events\": [...]}");
            }
            if (!capture.Validator.TryValidate(body.Root, capture.Now(), "api", out var record, out var error))
            {
                ColiseumMetrics.EventRejected(TypeOf(body.Root), "log");
                return Problems.Create(400, error);
            }
            if (subject is not null && record.UserId != subject)
            {
                return TokenAccess.Forbidden([TokenAccess.Mismatch(0)]);
            }
            var (outcome, appendProblem) = await capture.AppendAsync([record], http);
            return appendProblem ?? TypedResults.Json(new LogResponse(true, outcome!.Duplicates > 0), CaptureJsonContext.Relaxed.LogResponse, statusCode: 201);
        }
    }

    private static async Task<IResult> BatchAsync(HttpContext http, CaptureService capture, CancellationToken cancellationToken)
    {
        var (subject, tokenProblem) = await TokenAccess.CheckAsync(http, cancellationToken);
        if (tokenProblem is not null)
        {
            return tokenProblem;
        }
        var problem = capture.AuthorizeHeader(http.Request, out var decided);
        if (problem is not null)
        {
            return problem;
        }
        var (body, bodyProblem) = await CaptureBody.ReadAsync(http.Request, capture.Options, cancellationToken);
        if (body is null)
        {
            ColiseumMetrics.EventRejected(null, "batch");
            return bodyProblem!;
        }
        using (body)
        {
            if (!decided && (TokenAccess.RequireForKeyless(http, body.Root, subject) ?? capture.AuthorizeBody(body.Root, keylessEndpoint: true)) is { } keyProblem)
            {
                return keyProblem;
            }
            if (body.Root.ValueKind != JsonValueKind.Object || !body.Root.TryGetProperty("events"u8, out var events))
            {
                return Problems.Create(400, "expected {\"events\": [...]}", "events");
            }
            if (events.ValueKind != JsonValueKind.Array)
            {
                return Problems.Create(400, $"events must be an array, not {EventValidator.Describe(events.ValueKind)}", "events");
            }
            var count = events.GetArrayLength();
            if (count > capture.Options.MaxBatchEvents)
            {
                return Problems.Create(413, $"batch has {count} events; the limit is {capture.Options.MaxBatchEvents}", "events");
            }
            var now = capture.Now();
            var records = new List<PassportRecord>(count);
            var rejected = new List<Rejection>();
            List<Rejection>? mismatched = null;
            var index = 0;
            foreach (var ev in events.EnumerateArray())
            {
                if (capture.Validator.TryValidate(ev, now, "api", out var record, out var error))
                {
                    if (subject is not null && record.UserId != subject)
                    {
                        (mismatched ??= []).Add(TokenAccess.Mismatch(index));
                    }
                    records.Add(record);
                }
                else
                {
                    ColiseumMetrics.EventRejected(TypeOf(ev), "batch");
                    rejected.Add(new Rejection(index, error.Message, error.Field));
                }
                index++;
            }
            if (mismatched is not null)
            {
                // The request writes as someone else: nothing of it is stored.
                return TokenAccess.Forbidden(mismatched);
            }
            return await Respond(http, capture, records, rejected);
        }
    }

    /// <summary>
    /// 200 with the counts when anything was stored (or already there); when every event was refused,
    /// a 400 naming each one.
    /// </summary>
    internal static async Task<IResult> Respond(HttpContext http, CaptureService capture, List<PassportRecord> records, List<Rejection> rejected, bool segment = false)
    {
        if (records.Count == 0 && rejected.Count > 0)
        {
            var first = rejected[0];
            var message = rejected.Count == 1
                ? $"event {first.Index}: {first.Error}"
                : $"all {rejected.Count} events were rejected; event {first.Index}: {first.Error}";
            return Problems.Create(400, message, first.Field, rejected);
        }
        var (outcome, appendProblem) = await capture.AppendAsync(records, http);
        if (appendProblem is not null)
        {
            return appendProblem;
        }
        return segment
            ? TypedResults.Json(new SegmentResponse(true, outcome!.Accepted, outcome.Duplicates, rejected), CaptureJsonContext.Relaxed.SegmentResponse)
            : TypedResults.Json(new BatchResponse(outcome!.Accepted, outcome.Duplicates, rejected), CaptureJsonContext.Relaxed.BatchResponse);
    }

    internal static string? TypeOf(JsonElement ev) =>
        ev.ValueKind == JsonValueKind.Object && ev.TryGetProperty("type"u8, out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
}
