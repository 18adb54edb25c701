using System.Buffers;
using System.Globalization;
using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Coliseum.Catalogue;
using Coliseum.Processing;
using Coliseum.Security;
using Coliseum.Storage;

namespace Coliseum.Query;

/// <summary>
/// Live streams as Server-Sent Events. Each stream pulls what it sends when it is ready to send it (the
/// board or counters as they are now, the log after the last position sent), so nothing is queued per
/// client: a client that stops reading blocks only its own connection, and is dropped when one update
/// has waited <c>StreamWriteTimeoutSeconds</c> to be written. Changes are coalesced to one update per <c>StreamMinIntervalMilliseconds</c>; a
/// heartbeat keeps idle connections open through proxies. Every update carries an id, and a client that
/// reconnects with <c>Last-Event-ID</c> resumes: boards and counters send the current state when it
/// differs from what that id showed, the passport stream sends every entry after that position.
/// </summary>
internal static class StreamApi
{
    private const int PassportReadBatch = 500;
    private static readonly TimeSpan Retry = TimeSpan.FromSeconds(2);

    public static IEndpointRouteBuilder MapStreamApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/coliseum/stream/leaderboards/{id}", StreamBoard).WithTags("Streams")
            .WithSummary("Server-Sent Events: the board's top N now, then whenever it changes (read key)")
            .WithDescription("Events: `leaderboard` (data: the same JSON as GET /api/coliseum/leaderboards/{id}) and `heartbeat`. window, scope and limit as for the GET.")
            .Produces(200, contentType: "text/event-stream");
        app.MapGet("/api/coliseum/stream/counters", StreamCounters).WithTags("Streams")
            .WithSummary("Server-Sent Events: today's totals and the ingest rate, whenever they change (read key)")
            .WithDescription("Events: `counters` (data: the same JSON as GET /api/coliseum/counters) and `heartbeat`.")
            .Produces(200, contentType: "text/event-stream");
        app.MapGet("/api/coliseum/stream/ticker", StreamTicker).WithTags("Streams")
            .WithSummary("Server-Sent Events: new events for a public ticker, with entity names and no personal data (read key)")
            .WithDescription("types and from as for /api/passport/stream. Each `entry` carries position, type, category, occurredAt and the artist, event, track, playlist and city it concerns, with names from the entity directory; never a user id, amount or any other field.")
            .Produces(200, contentType: "text/event-stream");
        app.MapGet("/api/passport/stream", StreamPassport).WithTags("Streams")
            .WithSummary("Server-Sent Events: new log entries as they are stored (admin key)")
            .WithDescription("types: comma-separated event types or prefixes ending in .* (default all); from: head (default: only new entries) or a position to replay after. Event ids are log positions; Last-Event-ID resumes after it. Entries carry catalogue fields only: no traits, context or extra properties.")
            .Produces(200, contentType: "text/event-stream");
        return app;
    }

    private static IResult StreamBoard(HttpContext http, string id, string? window, string? scope, string? limit, Leaderboards boards, ChangeFeed changes, StreamGate gate, QueryOptions options, TimeProvider time)
    {
        if (Access.Require(http, KeyRole.Read) is { } denied) { return denied; }
        if (QueryApi.CheckBoard(boards, id, window, scope, limit, out var w, out var n) is { } invalid) { return invalid; }
        if (!gate.TryEnter(http)) { return Busy(http, gate); }
        return TypedResults.ServerSentEvents(Guarded(KeyRole.Read, BoardItems(id, w, scope, n, LastEventId(http), boards, changes, options, time, Ending(http)), http, options));
    }

    private static IResult StreamCounters(HttpContext http, Counters counters, ChangeFeed changes, StreamGate gate, QueryOptions options, TimeProvider time)
    {
        if (Access.Require(http, KeyRole.Read) is { } denied) { return denied; }
        if (!gate.TryEnter(http)) { return Busy(http, gate); }
        return TypedResults.ServerSentEvents(Guarded(KeyRole.Read, CounterItems(LastEventId(http), counters, changes, options, time, Ending(http)), http, options));
    }

    private static IResult StreamPassport(HttpContext http, string? types, string? from, IPassportStore log, LogSignal signal, ChangeFeed changes, StreamGate gate, QueryOptions options, TimeProvider time)
    {
        if (Access.Require(http, KeyRole.Admin) is { } denied) { return denied; }
        if (TailRequest(http, types, from, out var filter, out var after) is { } invalid) { return invalid; }
        if (!gate.TryEnter(http)) { return Busy(http, gate); }
        return TypedResults.ServerSentEvents(Guarded(KeyRole.Admin, TailItems(after, filter, new PassportRenderer(), log, signal, changes, options, time, Ending(http)), http, options));
    }

    private static IResult StreamTicker(HttpContext http, string? types, string? from, IPassportStore log, IProcessorStore store, LogSignal signal, ChangeFeed changes, StreamGate gate, QueryOptions options, TimeProvider time)
    {
        if (Access.Require(http, KeyRole.Read) is { } denied) { return denied; }
        if (TailRequest(http, types, from, out var filter, out var after) is { } invalid) { return invalid; }
        if (!gate.TryEnter(http)) { return Busy(http, gate); }
        return TypedResults.ServerSentEvents(Guarded(KeyRole.Read, TailItems(after, filter, new TickerRenderer(store), log, signal, changes, options, time, Ending(http)), http, options));
    }

    /// <summary>A log tail's <c>types</c>, and where it starts: after <c>Last-Event-ID</c>, else <c>from</c> (head by default).</summary>
    private static IResult? TailRequest(HttpContext http, string? types, string? from, out TypeFilter filter, out long after)
    {
        after = -1;
        filter = TypeFilter.Parse(types, out var error)!;
        if (filter is null)
        {
            return QueryProblems.Create(400, error!, "types");
        }
        var lastEventId = LastEventId(http);
        if (lastEventId is not null)
        {
            return long.TryParse(lastEventId, NumberStyles.None, CultureInfo.InvariantCulture, out after)
                ? null
                : QueryProblems.Create(400, "Last-Event-ID must be a log position sent by this stream", "Last-Event-ID");
        }
        if (from is null or "head")
        {
            return null;
        }
        return long.TryParse(from, NumberStyles.None, CultureInfo.InvariantCulture, out after)
            ? null
            : QueryProblems.Create(400, "from must be head or a log position (0 replays the whole log)", "from");
    }

    private static IResult Busy(HttpContext http, StreamGate gate)
    {
        http.Response.Headers.RetryAfter = "5";
        return QueryProblems.Create(503, $"this server is already serving {gate.Limit} live streams; retry later or raise Coliseum:Query:MaxStreams");
    }

    /// <summary>
    /// Drops a client that stops reading: each update must reach the socket within
    /// <c>StreamWriteTimeoutSeconds</c>, or the connection is aborted. (Kestrel's own minimum response data
    /// rate allows minutes per buffered write, and would let a stuck client pin a stream that long.)
    /// Ends the stream when its key stops being good enough (revoked): checked before every update and
    /// heartbeat, so within <c>HeartbeatSeconds</c>; the client's reconnect then gets the 401.
    /// </summary>
    private static async IAsyncEnumerable<SseItem<string>> Guarded(KeyRole needed, IAsyncEnumerable<SseItem<string>> items, HttpContext http, QueryOptions options)
    {
        var limit = TimeSpan.FromSeconds(options.StreamWriteTimeoutSeconds);
        await using var watchdog = new Timer(static state =>
        {
            var context = (HttpContext)state!;
            StreamLog.SlowClient(context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Coliseum.Query.Streams"), context.Request.Path);
            context.Abort();
        }, http, Timeout.Infinite, Timeout.Infinite);
        await foreach (var item in items.ConfigureAwait(false))
        {
            if (Access.Require(http, needed) is not null)
            {
                yield break;
            }
            // Armed while the item is written and flushed; disarmed when the writer asks for the next one.
            watchdog.Change(limit, Timeout.InfiniteTimeSpan);
            yield return item;
            watchdog.Change(Timeout.Infinite, Timeout.Infinite);
        }
    }

    /// <summary>Ends a stream when its client goes or the server shuts down (so open dashboards don't hold up a restart).</summary>
    private static CancellationToken Ending(HttpContext http)
    {
        var stopping = http.RequestServices.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
        var ending = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted, stopping);
        http.Response.RegisterForDispose(ending);
        return ending.Token;
    }

    private static string? LastEventId(HttpContext http)
    {
        var value = http.Request.Headers["Last-Event-ID"].ToString();
        return value.Length is 0 or > 64 ? null : value;
    }

    private static async IAsyncEnumerable<SseItem<string>> BoardItems(string id, string window, string? scope, int limit, string? lastEventId, Leaderboards boards, ChangeFeed changes, QueryOptions options, TimeProvider time, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        string? shown = null;
        var first = true;
        var lastWrite = time.GetTimestamp();
        while (true)
        {
            var next = changes.Next;
            var view = (await boards.GetAsync(id, window, time.GetUtcNow().ToUnixTimeMilliseconds(), scope, cancellationToken).ConfigureAwait(false)).Take(limit);
            var eventId = string.Create(CultureInfo.InvariantCulture, $"{view.LogPosition}:{Instant.Ms(view.BucketStart) ?? 0}");
            var signature = Signature(view);
            if (first && eventId == lastEventId)
            {
                // A reconnect that already saw this state: send only what changes from here.
                shown = signature;
            }
            if (signature != shown)
            {
                shown = signature;
                lastWrite = time.GetTimestamp();
                yield return new SseItem<string>(JsonSerializer.Serialize(view, QueryJsonContext.Default.LeaderboardView), "leaderboard") { EventId = eventId, ReconnectionInterval = first ? Retry : null };
            }
            first = false;
            if (!await WaitAsync(next, lastWrite, options, time, cancellationToken).ConfigureAwait(false))
            {
                lastWrite = time.GetTimestamp();
                yield return Heartbeat(time);
            }
        }
    }

    private static async IAsyncEnumerable<SseItem<string>> CounterItems(string? lastEventId, Counters counters, ChangeFeed changes, QueryOptions options, TimeProvider time, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        string? shown = null;
        var first = true;
        var lastWrite = time.GetTimestamp();
        while (true)
        {
            var next = changes.Next;
            var view = await counters.GetAsync(cancellationToken).ConfigureAwait(false);
            var json = JsonSerializer.Serialize(view, QueryJsonContext.Default.CountersView);
            var eventId = string.Create(CultureInfo.InvariantCulture, $"{view.LogPosition}:{Instant.Ms(view.Day)}");
            // The head moves with every capture; the totals, position and rate are what a screen shows.
            var signature = JsonSerializer.Serialize(view with { Head = 0 }, QueryJsonContext.Default.CountersView);
            if (first && eventId == lastEventId)
            {
                shown = signature;
            }
            if (signature != shown)
            {
                shown = signature;
                lastWrite = time.GetTimestamp();
                yield return new SseItem<string>(json, "counters") { EventId = eventId, ReconnectionInterval = first ? Retry : null };
            }
            first = false;
            // The rate moves whenever events arrive; at most one counters update a second.
            if (!await WaitAsync(next, lastWrite, options, time, cancellationToken, minimum: TimeSpan.FromSeconds(1)).ConfigureAwait(false))
            {
                lastWrite = time.GetTimestamp();
                yield return Heartbeat(time);
            }
        }
    }

    private static async IAsyncEnumerable<SseItem<string>> TailItems(long after, TypeFilter filter, IEntryRenderer renderer, IPassportStore log, LogSignal signal, ChangeFeed changes, QueryOptions options, TimeProvider time, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var position = after < 0 ? await log.GetHeadAsync(cancellationToken).ConfigureAwait(false) : after;
        var lastWrite = time.GetTimestamp();
        var first = true;
        var caughtUp = false;
        while (true)
        {
            var logNext = signal.Next;
            var next = changes.Next;
            var entries = await log.ReadAsync(position, PassportReadBatch, cancellationToken).ConfigureAwait(false);
            await renderer.PrepareAsync(entries.Where(e => filter.Matches(e.Record.EventType)).ToList(), cancellationToken).ConfigureAwait(false);
            foreach (var entry in entries)
            {
                position = entry.Position;
                if (!filter.Matches(entry.Record.EventType))
                {
                    continue;
                }
                lastWrite = time.GetTimestamp();
                yield return new SseItem<string>(renderer.Render(entry), "entry")
                {
                    EventId = entry.Position.ToString(CultureInfo.InvariantCulture),
                    ReconnectionInterval = first ? Retry : null,
                };
                first = false;
            }
            if (entries.Count == PassportReadBatch)
            {
                continue;
            }
            if (!caughtUp)
            {
                // The replay (if any) is done: say where the client stands, so a reconnect resumes from here even if nothing matched.
                caughtUp = true;
                lastWrite = time.GetTimestamp();
                yield return new SseItem<string>(string.Create(CultureInfo.InvariantCulture, $"{{\"position\":{position}}}"), "ready") { EventId = position.ToString(CultureInfo.InvariantCulture), ReconnectionInterval = first ? Retry : null };
                first = false;
            }
            if (!await WaitAsync(Task.WhenAny(logNext, next), lastWrite, options, time, cancellationToken, minimum: TimeSpan.Zero).ConfigureAwait(false))
            {
                lastWrite = time.GetTimestamp();
                yield return Heartbeat(time) with { EventId = position.ToString(CultureInfo.InvariantCulture) };
            }
        }
    }

    /// <summary>
    /// Waits for <paramref name="next"/> and then the least interval between updates (coalescing the
    /// changes that land meanwhile); false when the heartbeat falls due first.
    /// </summary>
    private static async Task<bool> WaitAsync(Task next, long lastWrite, QueryOptions options, TimeProvider time, CancellationToken cancellationToken, TimeSpan? minimum = null)
    {
        var heartbeat = TimeSpan.FromSeconds(options.HeartbeatSeconds) - time.GetElapsedTime(lastWrite);
        if (heartbeat > TimeSpan.Zero)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(heartbeat);
            try
            {
                await next.WaitAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
            }
        }
        if (!next.IsCompleted)
        {
            return false;
        }
        var interval = minimum ?? TimeSpan.FromMilliseconds(options.StreamMinIntervalMilliseconds);
        var wait = interval - time.GetElapsedTime(lastWrite);
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait, time, cancellationToken).ConfigureAwait(false);
        }
        return true;
    }

    private static SseItem<string> Heartbeat(TimeProvider time) =>
        new(string.Create(CultureInfo.InvariantCulture, $"{{\"at\":\"{time.GetUtcNow():yyyy-MM-ddTHH:mm:ss.fffZ}\"}}"), "heartbeat");

    /// <summary>What a board shows (ranks, names, scores and bucket), without the position that moves on every commit.</summary>
    private static string Signature(LeaderboardView view)
    {
        var text = new StringBuilder();
        text.Append(Instant.Ms(view.BucketStart)).Append('|');
        foreach (var e in view.Entries)
        {
            text.Append(e.Rank).Append('\u001f').Append(e.EntityId).Append('\u001f').Append(e.EntityName).Append('\u001f').Append(e.Score).Append('\u001e');
        }
        return text.ToString();
    }

    /// <summary>The passport stream's <c>types</c>: exact event types and prefixes such as <c>concierto.*</c>.</summary>
    private sealed class TypeFilter
    {
        private readonly HashSet<string> _exact = new(StringComparer.Ordinal);
        private readonly List<string> _prefixes = [];
        private bool _all;

        public static TypeFilter? Parse(string? types, out string? error)
        {
            error = null;
            var filter = new TypeFilter();
            if (string.IsNullOrWhiteSpace(types))
            {
                filter._all = true;
                return filter;
            }
            var parts = types.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length > 64 || types.Length > 4096)
            {
                error = "types may list at most 64 types or prefixes";
                return null;
            }
            foreach (var part in parts)
            {
                if (part.EndsWith(".*", StringComparison.Ordinal) && part.Length > 2 && part.IndexOf('*') == part.Length - 1)
                {
                    filter._prefixes.Add(part[..^1]);
                }
                else if (part.Contains('*', StringComparison.Ordinal) || !part.Contains('.', StringComparison.Ordinal) || part.Length > 128)
                {
                    error = $"'{QueryApi.Clip(part)}' is neither an event type (domain.action) nor a prefix such as concierto.*";
                    return null;
                }
                else
                {
                    filter._exact.Add(part);
                }
            }
            return filter;
        }

        public bool Matches(string type)
        {
            if (_all || _exact.Contains(type))
            {
                return true;
            }
            foreach (var prefix in _prefixes)
            {
                if (type.StartsWith(prefix, StringComparison.Ordinal))
                {
                    return true;
                }
            }
            return false;
        }
    }
}

/// <summary>Counts the live streams this process serves and refuses more than <see cref="QueryOptions.MaxStreams"/>.</summary>
public sealed class StreamGate(QueryOptions options)
{
    private int _open;

    public int Limit => options.MaxStreams;

    public int Open => Volatile.Read(ref _open);

    public bool TryEnter(HttpContext http)
    {
        if (Interlocked.Increment(ref _open) > options.MaxStreams)
        {
            Interlocked.Decrement(ref _open);
            return false;
        }
        // Released when the response completes, however the stream ends.
        http.Response.OnCompleted(() =>
        {
            Interlocked.Decrement(ref _open);
            return Task.CompletedTask;
        });
        return true;
    }
}

internal static partial class StreamLog
{
    [LoggerMessage(EventId = 41, Level = LogLevel.Information, Message = "Dropped a client of {Path} that stopped reading")]
    public static partial void SlowClient(ILogger logger, string path);
}

/// <summary>Turns the log entries a tail stream sends into their JSON; may look things up once per batch first.</summary>
internal interface IEntryRenderer
{
    Task PrepareAsync(IReadOnlyList<PassportEntry> entries, CancellationToken cancellationToken);

    string Render(PassportEntry entry);
}

/// <summary>The admin stream's entries.</summary>
internal sealed class PassportRenderer : IEntryRenderer
{
    private readonly ArrayBufferWriter<byte> _buffer = new(1024);

    /// <summary>One log entry for the admin stream: envelope and catalogue fields; never traits, context or unknown extras.</summary>
    public Task PrepareAsync(IReadOnlyList<PassportEntry> entries, CancellationToken cancellationToken) => Task.CompletedTask;

    public string Render(PassportEntry entry)
    {
        var r = entry.Record;
        var buffer = _buffer;
        buffer.ResetWrittenCount();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteNumber("position", entry.Position);
            json.WriteString("type", r.EventType);
            json.WriteString("category", r.EventCategory);
            json.WriteString("userId", r.UserId);
            json.WriteString("anonymousId", r.AnonymousId);
            json.WriteString("entityType", r.EntityType);
            json.WriteString("entityId", r.EntityId);
            json.WriteString("occurredAt", Instant.Of(r.OccurredAt));
            json.WriteString("receivedAt", Instant.Of(r.ReceivedAt));
            json.WriteString("source", r.Source);
            json.WriteStartObject("fields");
            if (EventCatalogue.TryGet(r.EventType, out var spec))
            {
                using var metadata = JsonDocument.Parse(r.Metadata);
                foreach (var property in metadata.RootElement.EnumerateObject())
                {
                    if (property.Name != "traits" && spec.FieldsByName.ContainsKey(property.Name))
                    {
                        property.WriteTo(json);
                    }
                }
            }
            json.WriteEndObject();
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
