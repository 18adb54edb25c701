using Coliseum.Catalogue;
using Coliseum.Processing;
using Coliseum.Security;

namespace Coliseum.Query;

/// <summary>Read endpoints over the aggregates: leaderboards, time series and today's counters (read or admin key).</summary>
internal static class QueryApi
{
    private const int DefaultLimit = 10;

    public static IEndpointRouteBuilder MapQueryApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/coliseum").WithTags("Query");
        group.MapGet("/leaderboards", ListBoards)
            .WithSummary("The defined leaderboards (read key)")
            .Produces<IReadOnlyList<LeaderboardInfo>>();
        group.MapGet("/leaderboards/{id}", GetBoardAsync)
            .WithSummary("A leaderboard's top entries for a window bucket and optional scope (read key)")
            .WithDescription("window: all_time (default) | day | week | month; at: an instant inside the bucket (default now); scope: e.g. an event id for a battle; limit: 1 to the materialised size (default 10).")
            .Produces<LeaderboardView>();
        group.MapGet("/metrics/{metricType}/series", SeriesAsync)
            .WithSummary("A metric's hourly or daily series from the rollups, empty buckets as zeros (read key)")
            .WithDescription("entityType: all (default) | user | artist | track | event | city | playlist, with entityId; bucket: day (default) | hour; from/to: ISO instants or dates (to is exclusive); tz: IANA zone for the buckets; currency: required for money metrics.")
            .Produces<SeriesResult>();
        group.MapGet("/counters", CountersAsync)
            .WithSummary("Today's platform totals and the live ingest rate (read key)")
            .Produces<CountersView>();
        return app;
    }

    private static IResult ListBoards(HttpContext http, Leaderboards boards)
    {
        if (Access.Require(http, KeyRole.Read) is { } denied) { return denied; }
        return TypedResults.Ok(boards.Boards.OrderBy(b => b.Key, StringComparer.Ordinal).Select(b => Info(b.Key, b.Value, boards.Size)).ToList());
    }

    internal static LeaderboardInfo Info(string id, LeaderboardDefinition board, int size) =>
        new(id, board.Title ?? id, board.Entity, board.IsSum ? "sum" : "count", board.Metrics, board.Scope, board.Currency, Leaderboards.Windows, size);

    private static async Task<IResult> GetBoardAsync(HttpContext http, string id, string? window, string? at, string? scope, string? limit, Leaderboards boards, TimeProvider time, CancellationToken cancellationToken)
    {
        if (Access.Require(http, KeyRole.Read) is { } denied) { return denied; }
        if (CheckBoard(boards, id, window, scope, limit, out var w, out var n) is { } invalid) { return invalid; }
        var instant = time.GetUtcNow().ToUnixTimeMilliseconds();
        if (at is not null && !QueryParams.TryInstant(at, TimeZoneInfo.Utc, out instant))
        {
            return QueryProblems.Create(400, $"at '{Clip(at)}' is not an ISO 8601 instant such as 2026-11-25T18:00:00Z", "at");
        }
        var view = await boards.GetAsync(id, w, instant, scope, cancellationToken);
        return TypedResults.Ok(view.Take(n));
    }

    /// <summary>Validates a board request's id, window, scope and limit; null when they are good.</summary>
    internal static IResult? CheckBoard(Leaderboards boards, string id, string? window, string? scope, string? limit, out string validWindow, out int validLimit)
    {
        validWindow = window ?? "all_time";
        validLimit = DefaultLimit;
        if (!boards.Boards.TryGetValue(id, out var board))
        {
            var ids = boards.Boards.Keys.Order(StringComparer.Ordinal).ToArray();
            return QueryProblems.Create(404, $"no leaderboard '{Clip(id)}'; the leaderboards are {string.Join(", ", ids)}", "id", ids);
        }
        if (!Leaderboards.Windows.Contains(validWindow))
        {
            return QueryProblems.Create(400, $"window '{Clip(validWindow)}' is not one of {string.Join(", ", Leaderboards.Windows)}", "window", Leaderboards.Windows);
        }
        if (limit is not null && (!int.TryParse(limit, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out validLimit) || validLimit < 1 || validLimit > boards.Size))
        {
            return QueryProblems.Create(400, $"limit must be a whole number from 1 to {boards.Size}", "limit");
        }
        if (scope is not null)
        {
            if (board.Scope is null)
            {
                return QueryProblems.Create(400, $"leaderboard '{id}' has no scope; it ranks the whole platform", "scope");
            }
            if (!QueryParams.ValidId(scope))
            {
                return QueryProblems.Create(400, $"scope must be a {board.Scope} id of 1 to {QueryParams.MaxIdLength} characters", "scope");
            }
        }
        return null;
    }

    private static async Task<IResult> SeriesAsync(HttpContext http, string metricType, string? entityType, string? entityId, string? currency, string? bucket, string? from, string? to, string? tz,
        Series series, QueryOptions options, ChangeFeed changes, TimeProvider time, CancellationToken cancellationToken)
    {
        if (Access.Require(http, KeyRole.Read) is { } denied) { return denied; }
        bucket ??= "day";
        entityType ??= "all";
        if (bucket is not ("hour" or "day"))
        {
            return QueryProblems.Create(400, $"bucket '{Clip(bucket)}' is not hour or day", "bucket", ["hour", "day"]);
        }
        if (entityType != "all" && !Metric.Entities.Contains(entityType))
        {
            return QueryProblems.Create(400, $"entityType '{Clip(entityType)}' is not one of all, {string.Join(", ", Metric.Entities)}", "entityType", ["all", .. Metric.Entities]);
        }
        if (entityType == "all" ? entityId is not null : !QueryParams.ValidId(entityId))
        {
            return QueryProblems.Create(400, entityType == "all"
                ? "entityId needs an entityType (user, artist, track, event, city or playlist)"
                : $"entityId must be 1 to {QueryParams.MaxIdLength} characters for entityType {entityType}", "entityId");
        }
        if (currency is not null && (currency.Length is < 3 or > 8 || !currency.All(char.IsAsciiLetterLower)))
        {
            return QueryProblems.Create(400, "currency must be a lowercase ISO 4217 code such as usd", "currency");
        }
        var zoneId = tz ?? series.StoredZone;
        if (!QueryParams.TryZone(zoneId, out var zone))
        {
            return QueryProblems.Create(400, $"tz '{Clip(zoneId)}' is not a known time zone; use an IANA name such as Europe/Madrid", "tz");
        }
        var buckets = new TimeBuckets(zone);
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var max = bucket == "hour" ? options.MaxHourlyPoints : options.MaxDailyPoints;
        long end;
        if (to is null)
        {
            end = Series.Next(buckets, bucket, bucket == "hour" ? buckets.HourStart(now) : buckets.DayStart(now));
        }
        else if (!QueryParams.TryInstant(to, zone, out end))
        {
            return QueryProblems.Create(400, $"to '{Clip(to)}' is not an ISO 8601 instant or a date (yyyy-MM-dd)", "to");
        }
        long start;
        if (from is null)
        {
            start = end - (bucket == "hour" ? 24L * 3_600_000 : 30L * 86_400_000);
        }
        else if (!QueryParams.TryInstant(from, zone, out start))
        {
            return QueryProblems.Create(400, $"from '{Clip(from)}' is not an ISO 8601 instant or a date (yyyy-MM-dd)", "from");
        }
        if (start >= end)
        {
            return QueryProblems.Create(400, "from must be before to", "from");
        }
        if (!KnownMetric(metricType) && !await series.KnownAsync(metricType, cancellationToken))
        {
            return QueryProblems.Create(404, $"no metric '{Clip(metricType)}': it is neither in the event catalogue nor a derived metric, and nothing has been recorded under it", "metricType");
        }
        var starts = Series.Buckets(buckets, bucket, start, end, max);
        if (starts is null)
        {
            return QueryProblems.Create(400, $"the range holds more than {max} {bucket} buckets; narrow from/to", "from");
        }
        var sameZone = zone.Id == TimeBuckets.For(series.StoredZone).Zone.Id;
        var regroup = bucket == "day" && !sameZone;
        if (!sameZone && !series.Aligned(starts))
        {
            return QueryProblems.Create(400, $"{bucket} buckets in {zone.Id} do not start on the hours the rollups are kept by ({series.StoredZone}); choose another tz or change Coliseum:Processing:TimeZone", "tz");
        }
        var id = entityType == "all" ? "" : entityId!;
        if (currency is null)
        {
            var currencies = await series.CurrenciesAsync(metricType, entityType, id, cancellationToken);
            if (currencies.Count > 0 && !currencies.Contains(""))
            {
                return QueryProblems.Create(400, $"{metricType} is counted in money; give currency (recorded: {string.Join(", ", currencies)})", "currency", currencies);
            }
        }
        var position = changes.Cursor;
        var lastEnd = starts.Count == 0 ? end : Series.Next(buckets, bucket, starts[^1]);
        var points = await series.ReadAsync(metricType, entityType, id, currency ?? "", bucket, starts, lastEnd, regroup, cancellationToken);
        return TypedResults.Ok(new SeriesResult(metricType, entityType, entityType == "all" ? null : id, currency, bucket, zone.Id,
            Instant.Of(starts.Count == 0 ? start : starts[0]), Instant.Of(lastEnd), position, points));
    }

    private static bool KnownMetric(string metric) =>
        EventCatalogue.TryGet(metric, out _) || metric is Metric.ListeningSeconds or Metric.Votes or Metric.Followers or Metric.ArtistEarnings or Metric.ArtistAttendance;

    private static async Task<IResult> CountersAsync(HttpContext http, Counters counters, CancellationToken cancellationToken)
    {
        if (Access.Require(http, KeyRole.Read) is { } denied) { return denied; }
        return TypedResults.Ok(await counters.GetAsync(cancellationToken));
    }

    /// <summary>Echoes user input in an error no longer than a line.</summary>
    internal static string Clip(string text) => text.Length <= 64 ? text : text[..64] + "…";
}
