using System.Text.Json;

namespace Coliseum.Bench;

/// <summary>
/// A realistic stream of catalogue events over a <see cref="MusicCatalogue"/>, deterministic from its
/// seed: mostly plays (55% track_played, then completions, skips, likes), follows, votes (some
/// retracted), event views, tickets, attendance, money in usd and eur, sessions, page views, logins and
/// identifies with anonymous ids, artist profile updates. About 5% arrive late (up to 6 h out of order);
/// 4% of listening and browsing is anonymous. Events are written as the JSON a client would POST.
/// </summary>
internal sealed partial class MusicWorkload(MusicCatalogue catalogue, int seed)
{
    private static readonly (string Type, int Weight)[] Mix =
    [
        ("player.track_played", 555), ("player.track_completed", 110), ("player.track_skipped", 60), ("player.track_liked", 25),
        ("social.artist_followed", 18), ("social.artist_unfollowed", 3), ("coliseum.vote_cast", 40), ("coliseum.vote_retracted", 4),
        ("concierto.event_viewed", 40), ("concierto.ticket_purchased", 9), ("concierto.event_attended", 8),
        ("treasury.money_spent", 12), ("treasury.money_earned", 3), ("treasury.tip_sent", 7),
        ("passport.session_started", 45), ("passport.session_ended", 30), ("passport.page_viewed", 20),
        ("passport.logged_in", 6), ("passport.identified", 3), ("mediaid.artist_profile_updated", 2),
    ];

    private static readonly int TotalWeight = Mix.Sum(m => m.Weight);
    private static readonly string[] Locales = ["es-MX", "es-ES", "es-AR", "pt-BR", "en-US", "es-CO"];
    private static readonly string[] Agents =
    [
        "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
        "Coliseum/4.2.0 (Android 15; Pixel 8)",
    ];

    /// <summary>As browsers and SDKs send it: UTF-8 text unescaped.</summary>
    public static readonly JsonWriterOptions WriterOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly Random _random = new(seed);
    private readonly (string User, string Event, string Artist)[] _recentVotes = new (string, string, string)[4_096];
    private int _votes;
    private long _tickets;

    /// <summary>Writes the next event of the mix, nominally at <paramref name="nominalMs"/>; with a messageId when <paramref name="messageIdMs"/> is given.</summary>
    public void Next(Utf8JsonWriter w, long nominalMs, long? messageIdMs = null)
    {
        var r = _random;
        var at = r.Next(100) < 5 ? nominalMs - r.NextInt64(60_000, 6 * 3_600_000) : nominalMs;
        var user = MusicCatalogue.UserId(catalogue.User(r));
        var anonymous = r.Next(100) < 4 ? $"anon-{r.Next(40_000)}" : null;
        var pick = r.Next(TotalWeight);
        var type = Mix[0].Type;
        foreach (var (t, weight) in Mix)
        {
            if ((pick -= weight) < 0)
            {
                type = t;
                break;
            }
        }
        var messageId = messageIdMs is { } ms ? MessageId(ms, r) : null;
        switch (type)
        {
            case "player.track_played" or "player.track_completed" or "player.track_skipped" or "player.track_liked":
            {
                var track = catalogue.Track(r);
                Envelope(w, type, anonymous is null ? user : null, anonymous, at, () =>
                {
                    w.WriteString("trackId", MusicCatalogue.TrackId(track));
                    w.WriteString("artistId", MusicCatalogue.ArtistId(catalogue.TrackArtist[track]));
                    switch (type)
                    {
                        case "player.track_played": w.WriteNumber("durationSeconds", r.Next(90, 320)); break;
                        case "player.track_completed": w.WriteNumber("listenedSeconds", r.Next(90, 320)); break;
                        case "player.track_skipped": w.WriteNumber("positionSeconds", r.Next(1, 60)); break;
                    }
                }, messageId);
                break;
            }
            case "social.artist_followed" or "social.artist_unfollowed":
                Envelope(w, type, user, null, at, () => w.WriteString("artistId", MusicCatalogue.ArtistId(catalogue.Artist(r))), messageId);
                break;
            case "coliseum.vote_cast":
            {
                var e = catalogue.Event(r);
                var artist = MusicCatalogue.ArtistId(e.Artists[r.Next(e.Artists.Length)]);
                _recentVotes[_votes++ % _recentVotes.Length] = (user, e.Id, artist);
                Envelope(w, type, user, null, at, () =>
                {
                    w.WriteString("artistId", artist);
                    w.WriteString("eventId", e.Id);
                    w.WriteString("channel", r.Next(3) == 0 ? "web" : "app");
                    w.WriteNumber("weight", r.Next(10) == 0 ? r.Next(10, 101) : r.Next(1, 10));
                }, messageId);
                break;
            }
            case "coliseum.vote_retracted" when _votes > 0:
            {
                var (voter, eventId, artist) = _recentVotes[r.Next(Math.Min(_votes, _recentVotes.Length))];
                Envelope(w, type, voter, null, at, () =>
                {
                    w.WriteString("artistId", artist);
                    w.WriteString("eventId", eventId);
                }, messageId);
                break;
            }
            case "concierto.event_viewed":
                Envelope(w, type, anonymous is null ? user : null, anonymous, at, () =>
                {
                    w.WriteString("eventId", catalogue.Event(r).Id);
                    w.WriteString("source", r.Next(2) == 0 ? "home_feed" : "search");
                }, messageId);
                break;
            case "concierto.ticket_purchased":
            {
                var e = catalogue.Event(r);
                var quantity = r.Next(10) < 7 ? 1 : r.Next(2, 5);
                var ticket = $"tkt-{seed}-{_tickets++}";
                Envelope(w, type, user, null, at, () =>
                {
                    w.WriteString("eventId", e.Id);
                    w.WriteString("ticketId", ticket);
                    w.WriteNumber("amountCents", e.PriceCents * quantity);
                    w.WriteString("currency", e.Currency);
                    w.WriteNumber("quantity", quantity);
                }, messageId);
                break;
            }
            case "concierto.event_attended":
            {
                var e = catalogue.Event(r);
                Envelope(w, type, user, null, at, () =>
                {
                    w.WriteString("eventId", e.Id);
                    w.WriteString("city", e.City);
                }, messageId);
                break;
            }
            case "treasury.money_spent" or "treasury.money_earned" or "treasury.tip_sent":
                Money(w, type, user, at, messageId);
                break;
            case "mediaid.artist_profile_updated":
                Profile(w, catalogue.Artist(r), at, messageId);
                break;
            default:
                Visit(w, type == "coliseum.vote_retracted" ? "passport.page_viewed" : type, user, anonymous, at, messageId);
                break;
        }
    }

    private void Money(Utf8JsonWriter w, string type, string user, long at, string? messageId)
    {
        var r = _random;
        var artist = MusicCatalogue.ArtistId(catalogue.Artist(r));
        var currency = r.Next(10) < 7 ? "usd" : "eur";
        Envelope(w, type, type == "treasury.money_earned" ? $"u-{artist}" : user, null, at, () =>
        {
            w.WriteNumber("amountCents", type == "treasury.tip_sent" ? r.Next(1, 50) * 100 : r.Next(5, 200) * 100);
            w.WriteString("currency", currency);
            switch (type)
            {
                case "treasury.money_spent":
                    w.WriteString("reason", r.Next(3) switch { 0 => "ticket", 1 => "merch", _ => "subscription" });
                    w.WriteString("artistId", artist);
                    break;
                case "treasury.money_earned":
                    w.WriteString("source", r.Next(2) == 0 ? "streams" : "tickets");
                    w.WriteString("artistId", artist);
                    break;
                default:
                    w.WriteString("artistId", artist);
                    w.WriteString("trackId", MusicCatalogue.TrackId(catalogue.Track(r)));
                    break;
            }
        }, messageId);
    }

    private void Visit(Utf8JsonWriter w, string type, string user, string? anonymous, long at, string? messageId)
    {
        var r = _random;
        var signedIn = type is "passport.logged_in" or "passport.identified";
        Envelope(w, type, signedIn || anonymous is null ? user : null, anonymous ?? (signedIn ? $"anon-{r.Next(40_000)}" : null), at, () =>
        {
            switch (type)
            {
                case "passport.session_started":
                    w.WriteString("platform", r.Next(2) == 0 ? "ios" : "web");
                    w.WriteString("appVersion", "4.2.0");
                    break;
                case "passport.session_ended":
                    w.WriteNumber("durationSeconds", r.Next(10, 3_600));
                    break;
                case "passport.page_viewed":
                    w.WriteString("path", $"/artists/{MusicCatalogue.ArtistId(catalogue.Artist(r))}");
                    w.WriteString("title", "Artist profile");
                    break;
                case "passport.logged_in":
                    w.WriteString("method", r.Next(2) == 0 ? "password" : "google");
                    break;
                default:
                    w.WriteStartObject("traits");
                    w.WriteString("name", $"Fan {user}");
                    w.WriteString("city", MusicCatalogue.Cities[r.Next(MusicCatalogue.Cities.Length)]);
                    w.WriteEndObject();
                    break;
            }
        }, messageId);
    }
}
