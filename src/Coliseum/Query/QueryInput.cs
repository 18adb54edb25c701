using System.Globalization;

namespace Coliseum.Query;

/// <summary>Parsing shared by the funnel and attribution endpoints.</summary>
internal static class QueryInput
{
    /// <summary>An ISO-8601 instant (<c>2026-11-02T00:00:00Z</c>; without an offset it is taken as UTC).</summary>
    public static bool TryInstant(string? text, out DateTimeOffset value)
    {
        value = default;
        return !string.IsNullOrWhiteSpace(text) && text.Contains('T', StringComparison.Ordinal)
            && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out value);
    }
}
