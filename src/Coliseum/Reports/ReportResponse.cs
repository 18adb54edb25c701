using System.Text.Json;

namespace Coliseum.Reports;

/// <summary>What <c>POST</c> and <c>GET /api/coliseum/reports/{id}</c> answer.</summary>
internal sealed record ReportResponse(long Id, string Type, string Status, JsonElement Params, string CreatedAt, string? StartedAt, string? CompletedAt,
    ReportPositions? Positions, JsonElement? Result, string? Error, string Location)
{
    public static ReportResponse From(ReportRow row) => new(row.Id, row.Type, row.Status, Parse(row.Params)!.Value,
        ReportReader.Iso(row.CreatedAt)!, ReportReader.Iso(row.StartedAt), ReportReader.Iso(row.CompletedAt),
        row.Positions, Parse(row.Result), row.Error, ReportsApi.LocationOf(row.Id));

    private static JsonElement? Parse(string? json)
    {
        if (json is null)
        {
            return null;
        }
        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }
}
