namespace Coliseum.Processing;

/// <summary>
/// Calendar buckets in one time zone: the start (Unix ms) of the hour, day, ISO week (Monday) and month
/// that contain an instant. Days, weeks and months start at local midnight, so a day bucket is 23 or 25
/// hours long across a daylight-saving change. UTC, the default, is plain arithmetic.
/// </summary>
public sealed class TimeBuckets
{
    private const long HourMs = 3_600_000;
    private const long DayMs = 86_400_000;

    private readonly TimeZoneInfo _zone;
    private readonly bool _utc;

    public TimeBuckets(TimeZoneInfo zone)
    {
        _zone = zone;
        _utc = zone == TimeZoneInfo.Utc || (zone.BaseUtcOffset == TimeSpan.Zero && !zone.SupportsDaylightSavingTime);
    }

    public static TimeBuckets Utc { get; } = new(TimeZoneInfo.Utc);

    public TimeZoneInfo Zone => _zone;

    /// <summary>Resolves a configured zone name; throws <see cref="TimeZoneNotFoundException"/> with the name when unknown.</summary>
    public static TimeBuckets For(string zoneId) =>
        string.IsNullOrEmpty(zoneId) || zoneId.Equals("UTC", StringComparison.OrdinalIgnoreCase) ? Utc : new(TimeZoneInfo.FindSystemTimeZoneById(zoneId));

    public long HourStart(long unixMs)
    {
        if (_utc)
        {
            return FloorTo(unixMs, HourMs);
        }
        var local = Local(unixMs);
        return ToUtc(new DateTime(local.Year, local.Month, local.Day, local.Hour, 0, 0, DateTimeKind.Unspecified), unixMs);
    }

    public long DayStart(long unixMs)
    {
        if (_utc)
        {
            return FloorTo(unixMs, DayMs);
        }
        return ToUtc(Local(unixMs).Date, unixMs);
    }

    public long WeekStart(long unixMs)
    {
        var date = _utc ? DateTime.UnixEpoch.AddMilliseconds(unixMs).Date : Local(unixMs).Date;
        var monday = date.AddDays(-(((int)date.DayOfWeek + 6) % 7));
        return _utc ? new DateTimeOffset(monday, TimeSpan.Zero).ToUnixTimeMilliseconds() : ToUtc(monday, unixMs);
    }

    public long MonthStart(long unixMs)
    {
        var date = _utc ? DateTime.UnixEpoch.AddMilliseconds(unixMs) : Local(unixMs);
        var first = new DateTime(date.Year, date.Month, 1, 0, 0, 0, DateTimeKind.Unspecified);
        return _utc ? new DateTimeOffset(first, TimeSpan.Zero).ToUnixTimeMilliseconds() : ToUtc(first, unixMs);
    }

    private static long FloorTo(long value, long unit) => value - (((value % unit) + unit) % unit);

    private DateTime Local(long unixMs) => TimeZoneInfo.ConvertTimeFromUtc(DateTime.UnixEpoch.AddMilliseconds(unixMs), _zone);

    private long ToUtc(DateTime local, long fallbackInstant)
    {
        if (_zone.IsInvalidTime(local))
        {
            // Midnight falls in a spring-forward gap in a few zones: the day starts at the first valid instant.
            local = local.AddHours(1);
        }
        var offset = _zone.IsAmbiguousTime(local) ? _zone.GetAmbiguousTimeOffsets(local).Max() : _zone.GetUtcOffset(local);
        var utc = new DateTimeOffset(local, offset).ToUnixTimeMilliseconds();
        return utc <= fallbackInstant ? utc : FloorTo(fallbackInstant, HourMs);
    }
}
