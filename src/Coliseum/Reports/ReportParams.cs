using System.Text.Json.Serialization;

namespace Coliseum.Reports;

/// <summary>A report's parameters, normalised (defaults filled in, dates as yyyy-MM-dd); stored as the row's <c>params</c>.</summary>
internal sealed record ReportParams
{
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? ArtistId { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? EventId { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? UserId { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public int? Year { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? From { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? To { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Day { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Tz { get; init; }

    [JsonIgnore] public DateOnly FromDate => DateOnly.ParseExact(From!, ReportRequest.DateFormat, System.Globalization.CultureInfo.InvariantCulture);
    [JsonIgnore] public DateOnly ToDate => DateOnly.ParseExact(To!, ReportRequest.DateFormat, System.Globalization.CultureInfo.InvariantCulture);
    [JsonIgnore] public DateOnly DayDate => DateOnly.ParseExact(Day!, ReportRequest.DateFormat, System.Globalization.CultureInfo.InvariantCulture);
}
