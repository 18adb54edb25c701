using System.Globalization;
using System.Text.Json;
using Coliseum.Capture;
using Coliseum.Query;
using Coliseum.Processing;
using Coliseum.Security;

namespace Coliseum.Reports;

/// <summary>
/// <c>POST /api/coliseum/reports</c> queues a report (202 + Location) and <c>GET /api/coliseum/reports/{id}</c>
/// answers its status, parameters, the log positions it reflects, and its result (JSON, or CSV with
/// <c>?format=csv</c>). Read or admin key.
/// </summary>
internal static class ReportsApi
{
    private const int MaxBodyBytes = 16 * 1024;
    private const int RetryAfterSeconds = 2;

    public static IEndpointRouteBuilder MapReportsApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/coliseum/reports").WithTags("Reports");
        group.MapPost("/", CreateAsync).WithSummary("Queue a report: {\"type\": \"artist|event|passport|platform\", \"params\": {…}} (read key); 202 with its Location");
        group.MapGet("/{id}", GetAsync).WithSummary("A report's status, params, reflected log positions and result; ?format=csv exports the result (read key)");
        return app;
    }

    public static string LocationOf(long id) => $"/api/coliseum/reports/{id.ToString(CultureInfo.InvariantCulture)}";

    private static async Task<IResult> CreateAsync(HttpContext http, ReportQueue queue, IProcessorStore store, ProcessingOptions processing, TimeProvider time, CancellationToken cancellationToken)
    {
        if (Access.Require(http, KeyRole.Read) is { } denied) { return denied; }
        if (http.Request.ContentLength > MaxBodyBytes) { return QueryProblems.Create(413, $"the body may be at most {MaxBodyBytes} bytes"); }
        JsonDocument document;
        try
        {
            using var buffer = new MemoryStream();
            await http.Request.Body.CopyToAsync(buffer, cancellationToken);
            if (buffer.Length > MaxBodyBytes) { return QueryProblems.Create(413, $"the body may be at most {MaxBodyBytes} bytes"); }
            document = JsonDocument.Parse(buffer.ToArray(), new JsonDocumentOptions { MaxDepth = 8 });
        }
        catch (JsonException ex)
        {
            return QueryProblems.Create(400, $"the body is not valid JSON: {ex.Message}");
        }
        var now = time.GetUtcNow();
        using (document)
        {
            var buckets = TimeBuckets.For(processing.TimeZone);
            var zone = ReportReader.ZoneOf(processing.TimeZone);
            var today = DateOnly.FromDateTime(TimeZoneInfo.ConvertTimeFromUtc(now.UtcDateTime, zone));
            if (ReportRequest.Parse(document.RootElement, today, out var problem) is not { } request)
            {
                return problem!;
            }
            if (request.Type == "platform")
            {
                try
                {
                    PlatformReports.Window(request.Params, buckets, zone, processing.TimeZone);
                }
                catch (ReportException ex)
                {
                    return QueryProblems.Create(400, ex.Message, ex.Field);
                }
            }
            if (!queue.TryReserve())
            {
                http.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
                return QueryProblems.Create(503, "too many reports are waiting to be computed; retry later");
            }
            try
            {
                var parameters = JsonSerializer.Serialize(request.Params, ReportsJsonContext.Default.ReportParams);
                var id = await ReportRows.CreateAsync(store, request.Type, parameters, now.ToUnixTimeMilliseconds(), cancellationToken);
                queue.Enqueue(id);
                var row = new ReportRow(id, request.Type, parameters, ReportRows.Pending, now.ToUnixTimeMilliseconds(), null, null, null, null, null);
                return TypedResults.Accepted(LocationOf(id), ReportResponse.From(row));
            }
            catch
            {
                queue.Release();
                throw;
            }
        }
    }

    private static async Task<IResult> GetAsync(HttpContext http, string id, string? format, IProcessorStore store, CancellationToken cancellationToken)
    {
        if (Access.Require(http, KeyRole.Read) is { } denied) { return denied; }
        if (format is not (null or "json" or "csv")) { return QueryProblems.Create(400, "format must be json or csv", "format"); }
        if (!long.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out var number)
            || await ReportRows.FindAsync(store, number, cancellationToken) is not { } row)
        {
            return QueryProblems.Create(404, $"no report '{id}'", "id");
        }
        if (format != "csv")
        {
            if (row.Status is ReportRows.Pending or ReportRows.Running)
            {
                http.Response.Headers.RetryAfter = "1";
            }
            return TypedResults.Ok(ReportResponse.From(row));
        }
        if (row.Status != ReportRows.Done || row.Result is null)
        {
            return QueryProblems.Create(409, $"report {row.Id} is {row.Status}; its CSV is available once it is done", "format");
        }
        http.Response.Headers.ContentDisposition = $"attachment; filename=\"report-{row.Id.ToString(CultureInfo.InvariantCulture)}-{row.Type}.csv\"";
        return TypedResults.Text(ReportCsv.Write(row.Type, row.Result), "text/csv; charset=utf-8; header=present");
    }
}
