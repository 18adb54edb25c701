using System.Globalization;

namespace Coliseum.Query;

/// <summary>Parsing of the query API's shared parameters: instants, dates and time zones.</summary>
internal static class QueryParams
{
    public const int MaxIdLength = 128;

    /// <summary>An ISO 8601 instant (<c>2026-11-25T18:00:00Z</c>, an offset, or no offset = UTC), or a date (<c>2026-11-25</c>) meaning midnight in <paramref name="zone"/>.</summary>
    public static bool TryInstant(string text, TimeZoneInfo zone, out long unixMs)
    {
        unixMs = 0;
        if (text.Length is 0 or > 40)
        {
            return false;
        }
        if (DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
        {
            var local = date.ToDateTime(TimeOnly.MinValue, DateTimeKind.Unspecified);
            if (zone.IsInvalidTime(local))
            {
                local = local.AddHours(1);
            }
            unixMs = new DateTimeOffset(local, zone.GetUtcOffset(local)).ToUnixTimeMilliseconds();
            return true;
        }
        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var instant))
        {
            unixMs = instant.ToUnixTimeMilliseconds();
            return true;
        }
        return false;
    }

    public static bool TryZone(string id, out TimeZoneInfo zone)
    {
        zone = TimeZoneInfo.Utc;
        if (id.Length is 0 or > 64)
        {
            return false;
        }
        if (id.Equals("UTC", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }
        return TimeZoneInfo.TryFindSystemTimeZoneById(id, out zone!);
    }

    public static bool ValidId(string? id) => id is { Length: > 0 and <= MaxIdLength };
}

/// <summary>Instants in responses: UTC <see cref="DateTime"/>s, which serialise as <c>2026-11-25T18:00:00.000Z</c>.</summary>
internal static class Instant
{
    public static DateTime Of(long unixMs) => DateTime.UnixEpoch.AddMilliseconds(unixMs);

    public static long Ms(DateTime instant) => (long)(instant - DateTime.UnixEpoch).TotalMilliseconds;

    public static long? Ms(DateTime? instant) => instant is { } i ? Ms(i) : null;
}
