using System.Buffers;
using System.Text.Json;
using Coliseum.Diagnostics;

namespace Coliseum.Capture;

/// <summary>
/// Segment's HTTP Tracking API, so Segment's client libraries can point at Coliseum unchanged:
/// <c>/v1/track|identify|page|screen|group|alias|batch</c> and analytics.js's short paths
/// <c>/v1/t|i|p|s|g|a|b</c>; JSON or <c>text/plain</c> bodies; the write key as Basic auth user name or
/// <c>writeKey</c> in the body.
/// </summary>
internal static class SegmentApi
{
    private static readonly (string Long, string Short)[] Calls =
        [("track", "t"), ("identify", "i"), ("page", "p"), ("screen", "s"), ("group", "g"), ("alias", "a")];

    public static IEndpointRouteBuilder MapSegmentApi(this IEndpointRouteBuilder app)
    {
        var v1 = app.MapGroup("/v1").WithTags("Segment");
        foreach (var (call, shortName) in Calls)
        {
            foreach (var path in new[] { call, shortName })
            {
                v1.MapPost($"/{path}", (HttpContext http, CaptureService capture, CancellationToken ct) => HandleAsync(http, capture, call, ct))
                    .WithSummary($"Segment {call}")
                    .Produces<SegmentResponse>().ProducesProblem(400).ProducesProblem(401).ProducesProblem(413).ProducesProblem(415).ProducesProblem(503);
            }
        }
        foreach (var path in new[] { "batch", "b", "import" })
        {
            v1.MapPost($"/{path}", (HttpContext http, CaptureService capture, CancellationToken ct) => HandleAsync(http, capture, null, ct))
                .WithSummary("Segment batch")
                .Produces<SegmentResponse>().ProducesProblem(400).ProducesProblem(401).ProducesProblem(413).ProducesProblem(415).ProducesProblem(503);
        }
        return app;
    }

    /// <param name="call">The call named by the path, or null for a batch.</param>
    private static async Task<IResult> HandleAsync(HttpContext http, CaptureService capture, string? call, CancellationToken cancellationToken)
    {
        var problem = capture.AuthorizeHeader(http.Request, out var decided);
        if (problem is not null)
        {
            return problem;
        }
        var (body, bodyProblem) = await CaptureBody.ReadAsync(http.Request, capture.Options, cancellationToken);
        if (body is null)
        {
            ColiseumMetrics.EventRejected(null, "segment");
            return bodyProblem!;
        }
        using (body)
        {
            var root = body.Root;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return Problems.Create(400, $"expected a JSON object, not {EventValidator.Describe(root.ValueKind)}");
            }
            if (!decided && capture.AuthorizeBody(root, keylessEndpoint: false) is { } keyProblem)
            {
                return keyProblem;
            }

            var now = capture.Now();
            var records = new List<PassportRecord>();
            var rejected = new List<Rejection>();
            var buffer = new ArrayBufferWriter<byte>(1024);
            if (call is not null)
            {
                Map(capture, root, call, null, null, null, now, buffer, 0, records, rejected);
                if (rejected.Count > 0)
                {
                    return Problems.Create(400, rejected[0].Error, rejected[0].Field);
                }
            }
            else
            {
                if (!root.TryGetProperty("batch"u8, out var batch) || batch.ValueKind != JsonValueKind.Array)
                {
                    return Problems.Create(400, "expected {\"batch\": [...]}", "batch");
                }
                var count = batch.GetArrayLength();
                if (count > capture.Options.MaxBatchEvents)
                {
                    return Problems.Create(413, $"batch has {count} messages; the limit is {capture.Options.MaxBatchEvents}", "batch");
                }
                var context = Optional(root, "context");
                var integrations = Optional(root, "integrations");
                var sentAt = Optional(root, "sentAt");
                var index = 0;
                foreach (var message in batch.EnumerateArray())
                {
                    Map(capture, message, null, context, integrations, sentAt, now, buffer, index++, records, rejected);
                }
            }
            return await PassportApi.Respond(http, capture, records, rejected, segment: true);
        }
    }

    private static void Map(CaptureService capture, JsonElement message, string? call, JsonElement? context, JsonElement? integrations, JsonElement? sentAt,
        long now, ArrayBufferWriter<byte> buffer, int index, List<PassportRecord> records, List<Rejection> rejected)
    {
        buffer.ResetWrittenCount();
        if (!SegmentMapper.TryMap(message, call, context, integrations, sentAt, now, buffer, out var catalogueType, out var error))
        {
            ColiseumMetrics.EventRejected(null, "segment");
            rejected.Add(new Rejection(index, error.Message, error.Field));
            return;
        }
        using var mapped = JsonDocument.Parse(buffer.WrittenMemory, new JsonDocumentOptions { MaxDepth = capture.Options.MaxDepth + 2 });
        // Segment event names are free text ("Order Completed"); only catalogue names are held to domain.action.
        if (capture.Validator.TryValidate(mapped.RootElement, now, "segment", out var record, out error, strictType: catalogueType))
        {
            records.Add(record);
        }
        else
        {
            ColiseumMetrics.EventRejected(PassportApi.TypeOf(mapped.RootElement), "segment");
            rejected.Add(new Rejection(index, error.Message, error.Field));
        }
    }

    private static JsonElement? Optional(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null ? value : null;
}
