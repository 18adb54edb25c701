using System.Globalization;
using System.Text.Json;
using Coliseum.Capture;
using Coliseum.Query;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Coliseum.Reports;

/// <summary>
/// Reads and checks a <c>POST /api/coliseum/reports</c> body: <c>{"type", "params"}</c>. Every parameter is
/// bounded; a mistake is a 400 naming the field (<c>type</c>, <c>params</c>, <c>params.from</c>, …).
/// </summary>
internal static class ReportRequest
{
    public const string DateFormat = "yyyy-MM-dd";
    public const int MaxRangeDays = 366;
    public const int DefaultRangeDays = 30;
    public const int MaxIdLength = 128;

    public static readonly string[] Types = ["artist", "event", "passport", "platform"];

    private static readonly Dictionary<string, string[]> Allowed = new(StringComparer.Ordinal)
    {
        ["artist"] = ["artistId", "from", "to"],
        ["event"] = ["eventId"],
        ["passport"] = ["userId", "year", "from", "to"],
        ["platform"] = ["day", "tz"],
    };

    /// <summary>The normalised request, or the 400 to answer. <paramref name="today"/> is today's date in the configured zone (for defaults).</summary>
    public static (string Type, ReportParams Params)? Parse(JsonElement body, DateOnly today, out ProblemHttpResult? problem)
    {
        problem = null;
        if (body.ValueKind != JsonValueKind.Object)
        {
            problem = QueryProblems.Create(400, "the body must be a JSON object {\"type\": …, \"params\": {…}}");
            return null;
        }
        foreach (var property in body.EnumerateObject())
        {
            if (property.Name is not ("type" or "params"))
            {
                problem = QueryProblems.Create(400, $"unknown field '{property.Name}'; the body has type and params", property.Name);
                return null;
            }
        }
        if (!body.TryGetProperty("type", out var typeElement) || typeElement.ValueKind != JsonValueKind.String || !Types.Contains(typeElement.GetString()))
        {
            problem = QueryProblems.Create(400, $"type must be one of {string.Join(", ", Types)}", "type");
            return null;
        }
        var type = typeElement.GetString()!;
        var parameters = body.TryGetProperty("params", out var p) ? p : default;
        if (parameters.ValueKind == JsonValueKind.Undefined || parameters.ValueKind == JsonValueKind.Null)
        {
            problem = QueryProblems.Create(400, $"params must be an object with {string.Join(", ", Allowed[type])}", "params");
            return null;
        }
        if (parameters.ValueKind != JsonValueKind.Object)
        {
            problem = QueryProblems.Create(400, "params must be a JSON object", "params");
            return null;
        }
        foreach (var property in parameters.EnumerateObject())
        {
            if (!Allowed[type].Contains(property.Name, StringComparer.Ordinal))
            {
                problem = QueryProblems.Create(400, $"unknown parameter '{property.Name}' for a {type} report; it takes {string.Join(", ", Allowed[type])}", "params." + property.Name);
                return null;
            }
        }
        try
        {
            var normalised = type switch
            {
                "artist" => Artist(parameters, today),
                "event" => new ReportParams { EventId = Id(parameters, "eventId") },
                "passport" => Passport(parameters, today),
                _ => Platform(parameters),
            };
            return (type, normalised);
        }
        catch (BadParameter bad)
        {
            problem = QueryProblems.Create(400, bad.Message, "params." + bad.Field);
            return null;
        }
    }

    private static ReportParams Artist(JsonElement p, DateOnly today)
    {
        var id = Id(p, "artistId");
        var (from, to) = Range(p, today, DefaultRangeDays);
        return new ReportParams { ArtistId = id, From = Text(from), To = Text(to) };
    }

    private static ReportParams Passport(JsonElement p, DateOnly today)
    {
        var id = Id(p, "userId");
        if (p.TryGetProperty("year", out var y))
        {
            if (p.TryGetProperty("from", out _) || p.TryGetProperty("to", out _))
            {
                throw new BadParameter("year", "give either year or from/to, not both");
            }
            if (y.ValueKind != JsonValueKind.Number || !y.TryGetInt32(out var year) || year is < 1970 or > 9999)
            {
                throw new BadParameter("year", "year must be a whole number from 1970 to 9999");
            }
            return new ReportParams { UserId = id, Year = year, From = Text(new DateOnly(year, 1, 1)), To = Text(new DateOnly(year, 12, 31)) };
        }
        if (!p.TryGetProperty("from", out _) && !p.TryGetProperty("to", out _))
        {
            return new ReportParams { UserId = id, Year = today.Year, From = Text(new DateOnly(today.Year, 1, 1)), To = Text(new DateOnly(today.Year, 12, 31)) };
        }
        var (from, to) = Range(p, today, DefaultRangeDays);
        return new ReportParams { UserId = id, From = Text(from), To = Text(to) };
    }

    private static ReportParams Platform(JsonElement p)
    {
        if (!p.TryGetProperty("day", out _))
        {
            throw new BadParameter("day", "day is required (yyyy-MM-dd)");
        }
        var day = Date(p, "day")!.Value;
        string? tz = null;
        if (p.TryGetProperty("tz", out var z))
        {
            if (z.ValueKind != JsonValueKind.String || z.GetString() is not { Length: > 0 and <= 64 } name)
            {
                throw new BadParameter("tz", "tz must be a time zone name such as Europe/Madrid");
            }
            try
            {
                TimeZoneInfo.FindSystemTimeZoneById(name);
            }
            catch (Exception ex) when (ex is TimeZoneNotFoundException or InvalidTimeZoneException)
            {
                throw new BadParameter("tz", $"tz '{name}' is not a known time zone (use an IANA name such as Europe/Madrid)");
            }
            tz = name;
        }
        return new ReportParams { Day = Text(day), Tz = tz };
    }

    private static (DateOnly From, DateOnly To) Range(JsonElement p, DateOnly today, int defaultDays)
    {
        var from = Date(p, "from");
        var to = Date(p, "to");
        if (from is null && to is null)
        {
            return (today.AddDays(1 - defaultDays), today);
        }
        to ??= from!.Value.AddDays(defaultDays - 1);
        from ??= to.Value.AddDays(1 - defaultDays);
        if (from > to)
        {
            throw new BadParameter("from", "from must not be after to");
        }
        if (to.Value.DayNumber - from.Value.DayNumber + 1 > MaxRangeDays)
        {
            throw new BadParameter("to", $"the range from..to may span at most {MaxRangeDays} days");
        }
        return (from.Value, to.Value);
    }

    private static DateOnly? Date(JsonElement p, string name)
    {
        if (!p.TryGetProperty(name, out var value))
        {
            return null;
        }
        if (value.ValueKind == JsonValueKind.String
            && DateOnly.TryParseExact(value.GetString(), DateFormat, CultureInfo.InvariantCulture, DateTimeStyles.None, out var date)
            && date.Year is >= 1970 and <= 9999)
        {
            return date;
        }
        throw new BadParameter(name, $"{name} must be a date yyyy-MM-dd (inclusive, in the configured time zone)");
    }

    private static string Id(JsonElement p, string name)
    {
        if (!p.TryGetProperty(name, out var value) || value.ValueKind != JsonValueKind.String || value.GetString() is not { Length: > 0 and <= MaxIdLength } id)
        {
            throw new BadParameter(name, $"{name} is required: a string of 1 to {MaxIdLength} characters");
        }
        return id;
    }

    private static string Text(DateOnly date) => date.ToString(DateFormat, CultureInfo.InvariantCulture);

    private sealed class BadParameter(string field, string message) : Exception(message)
    {
        public string Field { get; } = field;
    }
}
