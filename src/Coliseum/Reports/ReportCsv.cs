using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Coliseum.Reports;

/// <summary>
/// A report's result as RFC 4180 CSV (CRLF line ends, fields with a comma, quote, CR or LF quoted, quotes
/// doubled). Every type has the same columns, one value per row (docs/reports.md lists each type's rows):
/// <c>section,key,item,name,currency,metric,value</c>.
/// </summary>
internal static class ReportCsv
{
    public const string Header = "section,key,item,name,currency,metric,value";

    public static string Write(string type, string resultJson)
    {
        var rows = new List<string?[]>();
        void Row(string section, string key, string? item, string? name, string? currency, string metric, object? value) =>
            rows.Add([section, key, item, name, currency, metric, Format(value)]);
        var json = ReportsJsonContext.Default;
        switch (type)
        {
            case "artist":
            {
                var r = JsonSerializer.Deserialize(resultJson, json.ArtistReport)!;
                foreach (var (metric, value) in new (string, object)[]
                {
                    ("plays", r.Plays), ("uniqueListeners", r.UniqueListeners), ("listeningSeconds", r.ListeningSeconds), ("completions", r.Completions),
                    ("skips", r.Skips), ("completionRate", r.CompletionRate), ("skipRate", r.SkipRate), ("votes", r.Votes),
                    ("followersNet", r.FollowersNet), ("attendance", r.Attendance),
                })
                {
                    Row("summary", r.ArtistId, null, r.Name, null, metric, value);
                }
                r.Earnings.ToList().ForEach(e => Row("earnings", r.ArtistId, null, r.Name, e.Currency, "cents", e.Cents));
                foreach (var e in r.Events)
                {
                    Row("events", e.EventId, e.Role, e.Name, null, "attendance", e.Attendance);
                }
                r.TopTracks.ToList().ForEach(t => Row("topTracks", t.Id, null, t.Name, null, "plays", t.Count));
                r.TopCities.ToList().ForEach(c => Row("topCities", c.Id, null, c.Name, null, "attendance", c.Count));
                foreach (var d in r.Daily)
                {
                    foreach (var (metric, value) in new (string, long)[]
                    {
                        ("plays", d.Plays), ("listeners", d.Listeners), ("completions", d.Completions), ("skips", d.Skips),
                        ("votes", d.Votes), ("followersNet", d.FollowersNet), ("attendance", d.Attendance),
                    })
                    {
                        Row("daily", d.Date, null, null, null, metric, value);
                    }
                }
                break;
            }
            case "event":
            {
                var r = JsonSerializer.Deserialize(resultJson, json.EventReport)!;
                Row("summary", r.EventId, null, r.Name, null, "ratings", r.Ratings);
                r.Artists.ToList().ForEach(a => Row("artists", a.ArtistId, a.Role, a.Name, null, "performs", 1L));
                foreach (var f in r.Funnel)
                {
                    foreach (var (metric, value) in new (string, object)[] { ("count", f.Count), ("users", f.Users), ("reached", f.Reached), ("conversion", f.Conversion) })
                    {
                        Row("funnel", f.Step, f.Metric, null, null, metric, value);
                    }
                }
                foreach (var m in r.Revenue)
                {
                    foreach (var (metric, value) in new (string, long)[] { ("tickets", m.Tickets), ("ticketsCents", m.TicketsCents), ("refundsCents", m.RefundsCents), ("netTicketsCents", m.NetTicketsCents), ("spentCents", m.SpentCents) })
                    {
                        Row("revenue", r.EventId, null, null, m.Currency, metric, value);
                    }
                }
                foreach (var v in r.Votes)
                {
                    Row("votes", v.ArtistId, null, v.Name, null, "votes", v.Votes);
                    Row("votes", v.ArtistId, null, v.Name, null, "voters", v.Voters);
                }
                break;
            }
            case "passport":
            {
                var r = JsonSerializer.Deserialize(resultJson, json.PassportReport)!;
                foreach (var (metric, value) in new (string, object?)[]
                {
                    ("eventsAttended", r.EventsAttended), ("plays", r.Plays), ("listeningSeconds", r.ListeningSeconds), ("votes", r.Votes), ("votesCast", r.VotesCast),
                    ("firstSeen", r.Profile?.FirstSeen), ("lastSeen", r.Profile?.LastSeen), ("eventCount", r.Profile?.EventCount),
                    ("signedUpAt", r.Profile?.SignedUpAt), ("lastLoginAt", r.Profile?.LastLoginAt),
                })
                {
                    Row("summary", r.UserId, null, null, null, metric, value);
                }
                foreach (var m in r.Money)
                {
                    foreach (var (metric, value) in new (string, long)[] { ("spentCents", m.SpentCents), ("refundedCents", m.RefundedCents), ("earnedCents", m.EarnedCents), ("tipsSentCents", m.TipsSentCents) })
                    {
                        Row("money", r.UserId, null, null, m.Currency, metric, value);
                    }
                }
                r.Events.ToList().ForEach(e => Row("events", e.Id, null, e.Name, null, "attended", e.Count));
                r.TopArtists.ToList().ForEach(a => Row("topArtists", a.Id, null, a.Name, null, "plays", a.Count));
                break;
            }
            case "platform":
            {
                var r = JsonSerializer.Deserialize(resultJson, json.PlatformReport)!;
                Row("summary", r.Day, null, r.TimeZone, null, "activeUsers", r.ActiveUsers);
                Row("summary", r.Day, null, r.TimeZone, null, "signUps", r.SignUps);
                foreach (var m in r.Metrics)
                {
                    Row("metrics", m.Metric, null, null, m.Currency, "count", m.Count);
                    Row("metrics", m.Metric, null, null, m.Currency, "sum", m.Sum);
                    Row("metrics", m.Metric, null, null, m.Currency, "users", m.Users);
                }
                foreach (var m in r.Money)
                {
                    foreach (var (metric, value) in new (string, long)[]
                    {
                        ("spentCents", m.SpentCents), ("earnedCents", m.EarnedCents), ("tipsCents", m.TipsCents), ("ticketsCents", m.TicketsCents),
                        ("refundsCents", m.RefundsCents), ("artistEarningsCents", m.ArtistEarningsCents),
                    })
                    {
                        Row("money", r.Day, null, null, m.Currency, metric, value);
                    }
                }
                foreach (var l in r.Leaders)
                {
                    Row("leaders", l.LeaderboardId, l.EntityId, l.EntityName, null, "rank", l.Rank);
                    Row("leaders", l.LeaderboardId, l.EntityId, l.EntityName, null, "score", l.Score);
                }
                break;
            }
            default:
                throw new ReportException($"no CSV shape for report type '{type}'");
        }

        var csv = new StringBuilder(Header).Append("\r\n");
        foreach (var row in rows)
        {
            for (var i = 0; i < row.Length; i++)
            {
                if (i > 0)
                {
                    csv.Append(',');
                }
                // The last column is a number Coliseum formats; the others may hold names and ids users chose.
                Field(csv, i < row.Length - 1 ? Text(row[i]) : row[i]);
            }
            csv.Append("\r\n");
        }
        return csv.ToString();
    }

    private static string? Format(object? value) => value switch
    {
        null => null,
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString(),
    };

    /// <summary>
    /// A text cell that a spreadsheet would take for a formula (it starts with <c>=</c>, <c>+</c>, <c>-</c>,
    /// <c>@</c>, tab or CR) gets a leading apostrophe, so a hostile name cannot run when the export is opened.
    /// </summary>
    internal static string? Text(string? value) =>
        value is { Length: > 0 } && value[0] is '=' or '+' or '-' or '@' or '\t' or '\r' ? "'" + value : value;

    private static void Field(StringBuilder csv, string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return;
        }
        if (value.AsSpan().IndexOfAny(",\"\r\n") < 0)
        {
            csv.Append(value);
            return;
        }
        csv.Append('"').Append(value.Replace("\"", "\"\"", StringComparison.Ordinal)).Append('"');
    }
}
