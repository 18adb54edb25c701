using System.Buffers;
using System.Buffers.Binary;
using System.Text.Json;

namespace Coliseum.Bench;

/// <summary>The announcements before the mix, the envelope every event shares, and request bodies.</summary>
internal sealed partial class MusicWorkload
{
    /// <summary>What the platform announces before fans act: every live event and its bookings, and the top artists' profiles.</summary>
    public IEnumerable<Action<Utf8JsonWriter>> Announcements(long atMs)
    {
        for (var index = 0; index < catalogue.Events.Length; index++)
        {
            var e = catalogue.Events[index];
            var listed = index % 2 == 0;
            yield return w => Envelope(w, "concierto.event_created", "promoter-1", null, atMs, () =>
            {
                w.WriteString("eventId", e.Id);
                w.WriteString("name", e.Name);
                w.WriteString("city", e.City);
                w.WriteString("startsAt", DateTimeOffset.FromUnixTimeMilliseconds(e.StartsAt).UtcDateTime);
                w.WriteString("venue", $"Arena {e.City}");
                if (listed)
                {
                    w.WriteStartArray("artistIds");
                    w.WriteStringValue(MusicCatalogue.ArtistId(e.Artists[0]));
                    w.WriteEndArray();
                }
            });
            for (var i = listed ? 1 : 0; i < e.Artists.Length; i++)
            {
                var role = i == 0 ? "headliner" : i == 1 ? "support" : "guest";
                var artist = e.Artists[i];
                yield return w => Envelope(w, "concierto.artist_booked", "promoter-1", null, atMs, () =>
                {
                    w.WriteString("eventId", e.Id);
                    w.WriteString("artistId", MusicCatalogue.ArtistId(artist));
                    w.WriteString("role", role);
                });
            }
        }
        for (var a = 0; a < Math.Min(500, catalogue.Artists); a++)
        {
            var artist = a;
            yield return w => Profile(w, artist, atMs);
        }
    }

    private void Profile(Utf8JsonWriter w, int artist, long at, string? messageId = null) =>
        Envelope(w, "mediaid.artist_profile_updated", $"u-{MusicCatalogue.ArtistId(artist)}", null, at, () =>
        {
            w.WriteString("artistId", MusicCatalogue.ArtistId(artist));
            w.WriteString("name", MusicCatalogue.ArtistName(artist));
            w.WriteStartArray("genres");
            w.WriteStringValue(MusicCatalogue.Genres[artist % MusicCatalogue.Genres.Length]);
            w.WriteStringValue(MusicCatalogue.Genres[(artist / 3 + 5) % MusicCatalogue.Genres.Length]);
            w.WriteEndArray();
        }, messageId);

    private void Envelope(Utf8JsonWriter w, string type, string? user, string? anonymous, long at, Action fields, string? messageId = null)
    {
        var r = _random;
        w.WriteStartObject();
        w.WriteString("type", type);
        if (user is not null) { w.WriteString("userId", user); }
        if (anonymous is not null) { w.WriteString("anonymousId", anonymous); }
        w.WriteString("at", DateTimeOffset.FromUnixTimeMilliseconds(at).UtcDateTime);
        var who = user ?? anonymous!;
        w.WriteString("sessionId", $"s-{who}-{at / 1_800_000}");
        w.WriteString("deviceId", $"dev-{Fnv(who) % 1_000_003:x}");
        if (messageId is not null) { w.WriteString("messageId", messageId); }
        fields();
        w.WriteStartObject("context");
        w.WriteString("locale", Locales[r.Next(Locales.Length)]);
        w.WriteString("userAgent", Agents[r.Next(Agents.Length)]);
        if (r.Next(4) == 0)
        {
            w.WriteStartObject("campaign");
            w.WriteString("source", "newsletter");
            w.WriteString("medium", "email");
            w.WriteEndObject();
        }
        w.WriteEndObject();
        w.WriteEndObject();
    }

    /// <summary>FNV-1a: a string hash that is the same in every process (string.GetHashCode is not).</summary>
    private static uint Fnv(string text)
    {
        var hash = 2_166_136_261u;
        foreach (var c in text)
        {
            hash = (hash ^ c) * 16_777_619u;
        }
        return hash;
    }

    /// <summary>A UUIDv7 from a time and the workload's own random numbers (so a run is reproducible).</summary>
    public static string MessageId(long unixMs, Random random)
    {
        Span<byte> bytes = stackalloc byte[16];
        random.NextBytes(bytes);
        Span<byte> time = stackalloc byte[8];
        BinaryPrimitives.WriteInt64BigEndian(time, unixMs);
        time[2..].CopyTo(bytes);
        bytes[6] = (byte)(0x70 | (bytes[6] & 0x0F));
        bytes[8] = (byte)(0x80 | (bytes[8] & 0x3F));
        return new Guid(bytes, bigEndian: true).ToString();
    }

    /// <summary>A <c>{"events":[…]}</c> body of <paramref name="count"/> events at the current time, without messageIds (the server makes them).</summary>
    public byte[] LiveBatch(int count)
    {
        var buffer = new ArrayBufferWriter<byte>(count * 600);
        using var w = new Utf8JsonWriter(buffer, WriterOptions);
        w.WriteStartObject();
        w.WriteStartArray("events");
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        for (var i = 0; i < count; i++)
        {
            Next(w, now);
        }
        w.WriteEndArray();
        w.WriteEndObject();
        w.Flush();
        return buffer.WrittenSpan.ToArray();
    }
}
