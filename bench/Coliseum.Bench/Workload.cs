using System.Text;
using System.Text.Json.Nodes;

namespace Coliseum.Bench;

/// <summary>
/// Realistic catalogue events (300–500 bytes each, as a browser or server SDK sends them): a mix of
/// plays, completions, page views, votes, ticket purchases and follows, with context and unique ids.
/// </summary>
internal static class Workload
{
    private static readonly string[] UserAgents =
    [
        "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
    ];

    public static JsonObject Event(Random random, long sequence, string? messageId)
    {
        var user = $"user-{random.Next(200_000)}";
        var artist = $"artist-{random.Next(5_000)}";
        var track = $"track-{random.Next(100_000)}";
        var eventId = $"event-{random.Next(2_000)}";
        var at = DateTimeOffset.UtcNow.AddSeconds(-random.Next(3_600)).ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'");
        var ev = (sequence % 10) switch
        {
            < 4 => new JsonObject { ["type"] = "player.track_played", ["trackId"] = track, ["artistId"] = artist, ["durationSeconds"] = random.Next(30, 400) },
            4 => new JsonObject { ["type"] = "player.track_completed", ["trackId"] = track, ["artistId"] = artist, ["listenedSeconds"] = random.Next(30, 400) },
            5 => new JsonObject { ["type"] = "passport.page_viewed", ["path"] = $"/artists/{artist}", ["title"] = "Artist profile", ["referrer"] = "https://www.google.com/" },
            6 => new JsonObject { ["type"] = "coliseum.vote_cast", ["artistId"] = artist, ["eventId"] = eventId, ["channel"] = "app", ["weight"] = random.Next(1, 10) },
            7 => new JsonObject { ["type"] = "concierto.ticket_purchased", ["eventId"] = eventId, ["ticketId"] = $"tkt-{sequence}", ["amountCents"] = random.Next(1_500, 25_000), ["currency"] = "usd", ["quantity"] = 1 },
            8 => new JsonObject { ["type"] = "social.artist_followed", ["artistId"] = artist },
            _ => new JsonObject { ["type"] = "concierto.event_viewed", ["eventId"] = eventId, ["source"] = "home_feed" },
        };
        ev["userId"] = user;
        ev["at"] = at;
        ev["sessionId"] = $"sess-{random.Next(1_000_000):x6}";
        ev["deviceId"] = $"dev-{random.Next(1_000_000):x6}";
        if (messageId is not null)
        {
            ev["messageId"] = messageId;
        }
        ev["context"] = new JsonObject
        {
            ["locale"] = "es-MX",
            ["userAgent"] = UserAgents[sequence % 2],
            ["campaign"] = new JsonObject { ["source"] = "newsletter", ["medium"] = "email" },
        };
        return ev;
    }

    /// <summary>
    /// <paramref name="count"/> request bodies of <paramref name="perBatch"/> events with unique
    /// messageIds: UUIDv7 as Coliseum's SDKs and server make them, or random UUIDv4 as some Segment
    /// libraries do (<paramref name="randomIds"/>), which cost the unique index far more.
    /// </summary>
    public static List<byte[]> Batches(int count, int perBatch, int seed, bool randomIds = false)
    {
        var random = new Random(seed);
        var bodies = new List<byte[]>(count);
        long sequence = 0;
        for (var b = 0; b < count; b++)
        {
            var events = new JsonArray();
            for (var i = 0; i < perBatch; i++, sequence++)
            {
                events.Add(Event(random, sequence, (randomIds ? Guid.NewGuid() : Guid.CreateVersion7()).ToString()));
            }
            bodies.Add(Encoding.UTF8.GetBytes(new JsonObject { ["events"] = events }.ToJsonString()));
        }
        return bodies;
    }
}
