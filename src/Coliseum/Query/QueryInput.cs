namespace Coliseum.Query;

/// <summary>Parsing shared by the funnel and attribution endpoints.</summary>
internal static class QueryInput
{
    /// <summary>An ISO-8601 instant (<c>2026-11-02T00:00:00Z</c>; without an offset it is taken as UTC); unlike the series, not a bare date.</summary>
    public static bool TryInstant(string? text, out DateTimeOffset value)
    {
        value = default;
        if (text is null || !text.Contains('T', StringComparison.Ordinal) || !QueryParams.TryInstant(text, TimeZoneInfo.Utc, out var unixMs))
        {
            return false;
        }
        value = DateTimeOffset.FromUnixTimeMilliseconds(unixMs);
        return true;
    }
}
