using Coliseum.Capture;
using Coliseum.Processing;
using Coliseum.Security;

namespace Coliseum.Query;

/// <summary><c>GET /api/coliseum/attribution</c>: conversions and their value per source, medium and campaign (read key).</summary>
internal static class AttributionApi
{
    public const int MaxLimit = 1000;
    public static readonly TimeSpan MaxRange = TimeSpan.FromDays(366);
    private static readonly string[] Conversions = ["concierto.ticket_purchased", "treasury.subscription_started", "passport.signed_up"];
    private static readonly string[] Models = ["first_touch", "last_touch"];

    public static IEndpointRouteBuilder MapAttributionApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/coliseum/attribution", AttributionAsync).WithTags("Coliseum")
            .WithSummary("Conversions credited per source/medium/campaign, first- or last-touch, with their value per currency (read key)");
        return app;
    }

    private static async Task<IResult> AttributionAsync(HttpContext http, IProcessorStore store, string? conversion, string? model, string? from, string? to, int? limit, CancellationToken cancellationToken)
    {
        if (Access.Require(http, KeyRole.Read) is { } denied) { return denied; }
        if (conversion is null || !Conversions.Contains(conversion)) { return QueryProblems.Create(400, $"conversion must be one of {string.Join(", ", Conversions)}", "conversion"); }
        model ??= "last_touch";
        if (!Models.Contains(model)) { return QueryProblems.Create(400, $"model must be {string.Join(" or ", Models)}", "model"); }
        if (!QueryInput.TryInstant(from, out var start)) { return QueryProblems.Create(400, "from must be an ISO-8601 instant such as 2026-11-02T00:00:00Z", "from"); }
        if (!QueryInput.TryInstant(to, out var end)) { return QueryProblems.Create(400, "to must be an ISO-8601 instant such as 2026-11-02T00:00:00Z", "to"); }
        if (start >= end) { return QueryProblems.Create(400, "from must be before to", "from"); }
        if (end - start > MaxRange) { return QueryProblems.Create(400, $"the range from..to is at most {MaxRange.TotalDays:0} days", "to"); }
        if (limit is < 1 or > MaxLimit) { return QueryProblems.Create(400, $"limit must be between 1 and {MaxLimit}", "limit"); }

        await using var connection = await store.OpenReaderAsync(cancellationToken);
        var logPosition = await Db.ScalarAsync(connection, null, "SELECT position FROM consumer_cursors WHERE name = 'coliseum'", cancellationToken);
        await using var command = Db.Command(connection, null, """
            SELECT source, medium, campaign, currency, COUNT(*), CAST(SUM(value_cents) AS bigint)
            FROM conversion_attributions
            WHERE conversion_type = @c AND model = @m AND occurred_at >= @f AND occurred_at < @t AND position <= @log
            GROUP BY source, medium, campaign, currency
            """, ("@c", conversion), ("@m", model), ("@f", start.ToUnixTimeMilliseconds()), ("@t", end.ToUnixTimeMilliseconds()), ("@log", logPosition));
        var rows = new Dictionary<(string Source, string? Medium, string? Campaign), (long Conversions, SortedDictionary<string, long> Value)>();
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                var key = (reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2));
                if (!rows.TryGetValue(key, out var row))
                {
                    row = (0, new SortedDictionary<string, long>(StringComparer.Ordinal));
                }
                row.Conversions += reader.GetInt64(4);
                if (!reader.IsDBNull(3))
                {
                    // One row per currency: cents are never summed across currencies.
                    row.Value[reader.GetString(3)] = row.Value.GetValueOrDefault(reader.GetString(3)) + reader.GetInt64(5);
                }
                rows[key] = row;
            }
        }
        var sources = rows
            .OrderByDescending(r => r.Value.Conversions)
            .ThenBy(r => r.Key.Source, StringComparer.Ordinal).ThenBy(r => r.Key.Medium ?? "", StringComparer.Ordinal).ThenBy(r => r.Key.Campaign ?? "", StringComparer.Ordinal)
            .Take(limit ?? 100)
            .Select(r => new AttributionRow(r.Key.Source, r.Key.Medium, r.Key.Campaign, r.Value.Conversions, r.Value.Value.Select(v => new MoneyValue(v.Key, v.Value)).ToList()))
            .ToList();
        return TypedResults.Ok(new AttributionResult(conversion, model, start.UtcDateTime, end.UtcDateTime, logPosition, rows.Values.Sum(r => r.Conversions), rows.Count, sources));
    }
}

/// <summary>The attribution answer: <see cref="Conversions"/> in the range in total, <see cref="Sources"/> how many source/medium/campaign rows exist (at most <c>limit</c> are listed).</summary>
internal sealed record AttributionResult(string Conversion, string Model, DateTime From, DateTime To, long LogPosition, long Conversions, int Sources, IReadOnlyList<AttributionRow> Rows);

internal sealed record AttributionRow(string Source, string? Medium, string? Campaign, long Conversions, IReadOnlyList<MoneyValue> Value);

internal sealed record MoneyValue(string Currency, long Cents);
