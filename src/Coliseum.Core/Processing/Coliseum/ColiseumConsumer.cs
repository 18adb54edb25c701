using Coliseum.Catalogue;
using System.Data.Common;
using System.Text;
using Coliseum.Storage;

namespace Coliseum.Processing.Coliseum;

/// <summary>
/// The <c>coliseum</c> consumer: every event's metric rows (<c>coliseum_metrics</c>), hourly and daily
/// rollups with distinct users, the configured leaderboards for each window, the entity directory, and
/// <c>artist_event_participation</c> (which credits attendance to the artists who played).
/// </summary>
public sealed class ColiseumConsumer : Consumer
{
    public const string ConsumerName = "coliseum";

    private readonly TimeBuckets _buckets;
    private readonly int _boardSize;
    private readonly Dictionary<string, List<(string Id, LeaderboardDefinition Board)>> _boardsByMetric = new(StringComparer.Ordinal);

    public ColiseumConsumer(ProcessingOptions options)
    {
        _buckets = TimeBuckets.For(options.TimeZone);
        _boardSize = options.LeaderboardSize;
        AttributionLookbackMs = options.AttributionLookbackDays * 86_400_000L;
        Boards = options.Leaderboards.Where(b => b.Value.Enabled).ToDictionary(b => b.Key, b => b.Value, StringComparer.Ordinal);
        foreach (var (id, board) in Boards.OrderBy(b => b.Key, StringComparer.Ordinal))
        {
            foreach (var metric in board.Metrics)
            {
                if (!_boardsByMetric.TryGetValue(metric, out var list))
                {
                    _boardsByMetric[metric] = list = [];
                }
                list.Add((id, board));
            }
        }
    }

    public override string Name => ConsumerName;

    internal MemberCache Members { get; } = new();

    /// <summary>How far before a conversion its touchpoints are credited (<c>AttributionLookbackDays</c>).</summary>
    internal long AttributionLookbackMs { get; }

    public override void Invalidate() => Members.Clear();

    /// <summary>The enabled leaderboards by id.</summary>
    public IReadOnlyDictionary<string, LeaderboardDefinition> Boards { get; }

    public override IReadOnlyList<string> ResetStatements { get; } =
    [
        "DELETE FROM coliseum_metrics",
        "DELETE FROM coliseum_rollups",
        "DELETE FROM coliseum_rollup_users",
        "DELETE FROM coliseum_leaderboard_scores",
        "DELETE FROM coliseum_leaderboard_windows",
        "DELETE FROM coliseum_leaderboards",
        "DELETE FROM coliseum_votes",
        "DELETE FROM coliseum_touchpoints",
        "DELETE FROM conversion_attributions",
        "DELETE FROM artist_event_participation",
        "DELETE FROM coliseum_breakdowns",
        // Names set through the entities API are not in the log: a replay keeps them.
        "DELETE FROM coliseum_entities WHERE source = 'event'",
    ];

    public override async Task<ConsumerBatch> PrepareAsync(IReadOnlyList<PassportEntry> entries, DbConnection reader, CancellationToken cancellationToken)
    {
        using var parsed = ParsedEntries.Parse(entries);
        var attendedEvents = new HashSet<string>(StringComparer.Ordinal);
        var retractions = new HashSet<VoteKey>();
        for (var i = 0; i < entries.Count; i++)
        {
            var fields = parsed.Fields(i);
            switch (entries[i].Record.EventType)
            {
                case "concierto.event_attended":
                    attendedEvents.Add(fields.RequiredString("eventId"));
                    break;
                case "coliseum.vote_retracted" or "coliseum.vote_cast":
                    retractions.Add(new VoteKey(UserOf(entries[i].Record) ?? "", fields.RequiredString("eventId"), fields.RequiredString("artistId")));
                    break;
            }
        }
        var batch = new ColiseumBatch(this, _buckets, _boardSize);
        await batch.LoadAsync(reader, attendedEvents, retractions, cancellationToken).ConfigureAwait(false);
        for (var i = 0; i < entries.Count; i++)
        {
            if (!Privacy.ErasedEntry.Is(entries[i].Record))
            {
                Apply(entries[i], parsed.Fields(i), batch);
            }
        }
        await batch.Attribution.ResolveAsync(reader, cancellationToken).ConfigureAwait(false);
        return batch;
    }

    internal IReadOnlyList<(string Id, LeaderboardDefinition Board)> BoardsFor(string metric) =>
        _boardsByMetric.TryGetValue(metric, out var list) ? list : [];

    internal static string? UserOf(Capture.PassportRecord record) => record.UserId ?? record.AnonymousId;

    /// <summary>Turns one event into its contributions and state changes. Reads every field before touching the batch, so an event that throws leaves nothing behind.</summary>
    private static void Apply(PassportEntry entry, EventFields f, ColiseumBatch batch)
    {
        var r = entry.Record;
        var user = UserOf(r);
        // Ids are read from any event that carries them; only the catalogue's own fields are type-checked at
        // capture, so an extra one of the wrong type (a numeric trackId on a page view) is ignored, not fatal.
        var declared = EventCatalogue.TryGet(r.EventType, out var spec) ? spec.FieldsByName : null;
        string? Text(string name) => declared is not null && declared.ContainsKey(name) ? f.String(name) : f.ExtraString(name);
        var artist = Text("artistId");
        var track = Text("trackId");
        var evt = Text("eventId");
        var city = r.EventType is "concierto.event_attended" or "concierto.event_created" ? f.String("city") : null;
        var playlist = Text("playlistId");
        switch (r.EntityType)
        {
            case "artist": artist ??= r.EntityId; break;
            case "track": track ??= r.EntityId; break;
            case "event": evt ??= r.EntityId; break;
            case "playlist": playlist ??= r.EntityId; break;
        }
        var currency = Text("currency") ?? "";
        var value = (declared is not null && declared.ContainsKey("amountCents") ? f.Long("amountCents") : f.ExtraLong("amountCents")) ?? 1;

        var seq = 0;
        Contribution Make(string metric, long metricValue, string? metadata, string? artistOverride = null) => new()
        {
            Position = entry.Position,
            Seq = seq++,
            Metric = metric,
            Value = metricValue,
            Currency = currency,
            User = user,
            Artist = artistOverride ?? artist,
            Track = track,
            Event = evt,
            City = city,
            Playlist = playlist,
            EntityType = r.EntityType,
            EntityId = r.EntityId,
            Metadata = metadata,
            Timestamp = r.OccurredAt,
            ReceivedAt = r.ReceivedAt,
        };
        var metadataText = Encoding.UTF8.GetString(r.Metadata);

        switch (r.EventType)
        {
            case "player.track_played":
            {
                var seconds = f.WholeNumber("durationSeconds") ?? 0;
                batch.Add(Make(r.EventType, 1, metadataText));
                batch.Add(Make(Metric.ListeningSeconds, seconds, null));
                break;
            }
            case "coliseum.vote_cast":
            {
                var weight = f.RequiredLong("weight");
                var key = new VoteKey(user ?? "", f.RequiredString("eventId"), f.RequiredString("artistId"));
                batch.SetVote(key, batch.VoteOf(key) + weight);
                batch.Add(Make(r.EventType, weight, metadataText));
                batch.Add(Make(Metric.Votes, weight, null));
                break;
            }
            case "coliseum.vote_retracted":
            {
                var key = new VoteKey(user ?? "", f.RequiredString("eventId"), f.RequiredString("artistId"));
                var weight = batch.VoteOf(key);
                batch.SetVote(key, 0);
                batch.Add(Make(r.EventType, weight, metadataText));
                batch.Add(Make(Metric.Votes, -weight, null));
                break;
            }
            case "social.artist_followed":
                batch.Add(Make(r.EventType, 1, metadataText));
                batch.Add(Make(Metric.Followers, 1, null));
                break;
            case "social.artist_unfollowed":
                batch.Add(Make(r.EventType, 1, metadataText));
                batch.Add(Make(Metric.Followers, -1, null));
                break;
            case "treasury.money_earned" when artist is not null:
            case "treasury.tip_sent":
            {
                var earner = f.RequiredString("artistId");
                batch.Add(Make(r.EventType, value, metadataText));
                batch.Add(Make(Metric.ArtistEarnings, value, null, earner));
                break;
            }
            case "concierto.event_attended":
            {
                var eventId = f.RequiredString("eventId");
                f.RequiredString("city");
                batch.Add(Make(r.EventType, 1, metadataText));
                foreach (var performer in batch.ArtistsOf(eventId))
                {
                    batch.Add(Make(Metric.ArtistAttendance, 1, null, performer));
                }
                break;
            }
            case "concierto.event_created":
            {
                var eventId = f.RequiredString("eventId");
                var name = f.RequiredString("name");
                var artists = f.Strings("artistIds");
                batch.Add(Make(r.EventType, 1, metadataText));
                batch.Name("event", eventId, name, entry.Position, r.ReceivedAt);
                foreach (var performer in artists)
                {
                    batch.Participate(eventId, performer, null, entry.Position);
                }
                break;
            }
            case "concierto.artist_booked":
            {
                var eventId = f.RequiredString("eventId");
                var performer = f.RequiredString("artistId");
                var role = f.String("role");
                batch.Add(Make(r.EventType, 1, metadataText));
                batch.Participate(eventId, performer, role, entry.Position);
                break;
            }
            case "mediaid.artist_profile_updated":
            {
                var name = f.RequiredString("name");
                batch.Add(Make(r.EventType, 1, metadataText));
                batch.Name("artist", f.RequiredString("artistId"), name, entry.Position, r.ReceivedAt);
                break;
            }
            case "player.playlist_created":
            {
                var name = f.String("name");
                batch.Add(Make(r.EventType, 1, metadataText));
                if (name is not null)
                {
                    batch.Name("playlist", f.RequiredString("playlistId"), name, entry.Position, r.ReceivedAt);
                }
                break;
            }
            default:
                batch.Add(Make(r.EventType, value, metadataText));
                break;
        }
        batch.Attribution.Observe(entry, f);
    }
}

internal readonly record struct VoteKey(string User, string Event, string Artist);
