using System.Globalization;
using System.Text.Json.Nodes;

namespace Coliseum.Tests.Processing;

/// <summary>
/// A seeded, generated log (sessions of plays, votes and retractions, follows, attendance, money in two
/// currencies) together with its answers computed independently of the consumers, straight from the
/// generated events: counts per type, net votes, leaderboards, daily rollups, ledger totals.
/// </summary>
public sealed class Dataset
{
    public static readonly DateTimeOffset Start = new(2026, 11, 2, 0, 0, 0, TimeSpan.Zero);
    public const int Days = 5;

    public List<JsonObject> Events { get; } = [];
    public Dictionary<string, string> ArtistNames { get; } = [];
    public Dictionary<string, string> EventNames { get; } = [];
    public Dictionary<string, string> EventCity { get; } = [];
    public Dictionary<string, List<string>> Performers { get; } = [];

    public static Dataset Generate(int count, int seed = 7)
    {
        var random = new Random(seed);
        var data = new Dataset();
        for (var a = 1; a <= 10; a++)
        {
            data.ArtistNames[$"a{a}"] = $"Artist {a}";
            data.Add("mediaid.artist_profile_updated", "admin", Start.AddMinutes(a), new() { ["artistId"] = $"a{a}", ["name"] = $"Artist {a}", ["genres"] = new JsonArray("rock", a % 2 == 0 ? "pop" : "jazz") });
        }
        string[] cities = ["Madrid", "Lima", "Bogotá"];
        for (var e = 1; e <= 5; e++)
        {
            var performers = new List<string> { $"a{e}", $"a{e + 5}" };
            data.Performers[$"e{e}"] = performers;
            data.EventNames[$"e{e}"] = $"Festival {e}";
            data.EventCity[$"e{e}"] = cities[e % cities.Length];
            data.Add("concierto.event_created", "promoter", Start.AddMinutes(20 + e), new()
            {
                ["eventId"] = $"e{e}", ["name"] = $"Festival {e}", ["city"] = cities[e % cities.Length], ["startsAt"] = Start.AddDays(e).ToString("O"),
                ["artistIds"] = new JsonArray(performers[0]),
            });
            // The second performer joins through a booking, as the platform does.
            data.Add("concierto.artist_booked", "promoter", Start.AddMinutes(30 + e), new() { ["eventId"] = $"e{e}", ["artistId"] = performers[1], ["role"] = "support" });
        }
        for (var i = 0; i < count; i++)
        {
            var user = $"u{1 + (int)Math.Floor(Math.Pow(random.NextDouble(), 2) * 40)}";
            var at = Start.AddSeconds(random.Next(Days * 86_400));
            var artist = $"a{1 + random.Next(10)}";
            var liveEvent = $"e{1 + random.Next(5)}";
            var roll = random.Next(100);
            if (roll < 50)
            {
                var track = $"t{1 + random.Next(30)}";
                data.Add("player.track_played", user, at, new() { ["trackId"] = track, ["artistId"] = ArtistOfTrack(track), ["durationSeconds"] = 30 + random.Next(300) });
            }
            else if (roll < 60)
            {
                data.Add("coliseum.vote_cast", user, at, new() { ["artistId"] = artist, ["eventId"] = liveEvent, ["channel"] = "app", ["weight"] = 1 + random.Next(10) });
            }
            else if (roll < 63)
            {
                data.Add("coliseum.vote_retracted", user, at, new() { ["artistId"] = artist, ["eventId"] = liveEvent });
            }
            else if (roll < 71)
            {
                data.Add("social.artist_followed", user, at, new() { ["artistId"] = artist });
            }
            else if (roll < 74)
            {
                data.Add("social.artist_unfollowed", user, at, new() { ["artistId"] = artist });
            }
            else if (roll < 82)
            {
                data.Add("concierto.event_attended", user, at, new() { ["eventId"] = liveEvent, ["city"] = data.EventCity[liveEvent] });
            }
            else if (roll < 88)
            {
                data.Add("treasury.money_spent", user, at, new() { ["amountCents"] = 100 * (1 + random.Next(50)), ["currency"] = random.Next(3) == 0 ? "eur" : "usd", ["reason"] = "ticket", ["eventId"] = liveEvent });
            }
            else if (roll < 91)
            {
                data.Add("treasury.money_earned", user, at, new() { ["amountCents"] = 1000 + random.Next(9000), ["currency"] = random.Next(3) == 0 ? "eur" : "usd", ["source"] = "stream", ["artistId"] = artist });
            }
            else if (roll < 95)
            {
                data.Add("treasury.tip_sent", user, at, new() { ["artistId"] = artist, ["amountCents"] = 50 + random.Next(500), ["currency"] = random.Next(3) == 0 ? "eur" : "usd" });
            }
            else
            {
                data.Add("passport.page_viewed", user, at, new() { ["path"] = "/artists/" + artist });
            }
        }
        return data;
    }

    public static string ArtistOfTrack(string track) => $"a{1 + (int.Parse(track[1..], CultureInfo.InvariantCulture) % 10)}";

    private void Add(string type, string user, DateTimeOffset at, JsonObject fields)
    {
        fields["type"] = type;
        fields["userId"] = user;
        fields["at"] = at.ToString("O");
        fields["messageId"] = $"ds-{Events.Count:D6}";
        Events.Add(fields);
    }

    public string[] Json => [.. Events.Select(e => e.ToJsonString())];

    private static string S(JsonObject e, string name) => e[name]!.GetValue<string>();
    private static long L(JsonObject e, string name) => (long)e[name]!.AsValue().GetValue<int>();
    private static DateTimeOffset At(JsonObject e) => DateTimeOffset.Parse(S(e, "at"), CultureInfo.InvariantCulture);

    public Dictionary<string, int> CountsByType() => Events.GroupBy(e => S(e, "type")).ToDictionary(g => g.Key, g => g.Count());

    /// <summary>Per contribution, in log order: (entity for each board kind, score delta, time) for one built-in board.</summary>
    public IEnumerable<(string Entity, long Delta, DateTimeOffset At)> Contributions(string board)
    {
        var votes = new Dictionary<(string, string, string), long>();
        foreach (var e in Events)
        {
            var type = S(e, "type");
            var user = S(e, "userId");
            var at = At(e);
            switch (board, type)
            {
                case ("top_artists_by_plays", "player.track_played"): yield return (S(e, "artistId"), 1, at); break;
                case ("top_tracks_by_plays", "player.track_played"): yield return (S(e, "trackId"), 1, at); break;
                case ("top_artists_by_followers", "social.artist_followed"): yield return (S(e, "artistId"), 1, at); break;
                case ("top_artists_by_followers", "social.artist_unfollowed"): yield return (S(e, "artistId"), -1, at); break;
                case ("top_artists_by_earnings", "treasury.money_earned" or "treasury.tip_sent") when S(e, "currency") == "usd": yield return (S(e, "artistId"), L(e, "amountCents"), at); break;
                case ("top_fans_by_spend", "treasury.money_spent") when S(e, "currency") == "usd": yield return (user, L(e, "amountCents"), at); break;
                case ("top_fans_by_attendance", "concierto.event_attended"): yield return (user, 1, at); break;
                case ("top_events_by_attendance", "concierto.event_attended"): yield return (S(e, "eventId"), 1, at); break;
                case ("top_cities_by_attendance", "concierto.event_attended"): yield return (S(e, "city"), 1, at); break;
                case ("top_artists_by_votes" or "top_fans_by_votes", "coliseum.vote_cast" or "coliseum.vote_retracted"):
                {
                    var key = (user, S(e, "eventId"), S(e, "artistId"));
                    var delta = type == "coliseum.vote_cast" ? L(e, "weight") : -votes.GetValueOrDefault(key);
                    votes[key] = type == "coliseum.vote_cast" ? votes.GetValueOrDefault(key) + delta : 0;
                    yield return (board == "top_fans_by_votes" ? user : S(e, "artistId"), delta, at);
                    break;
                }
            }
        }
    }

    /// <summary>The expected top entries "rank|entity_id|entity_name|score" of a board (all_time, or the day starting at <paramref name="day"/>).</summary>
    public List<string> Leaderboard(string board, DateTimeOffset? day = null, int size = 100)
    {
        var names = board.StartsWith("top_artists", StringComparison.Ordinal) ? ArtistNames : board.StartsWith("top_events", StringComparison.Ordinal) ? EventNames : [];
        return Contributions(board)
            .Where(c => day is null || (c.At >= day && c.At < day.Value.AddDays(1)))
            .GroupBy(c => c.Entity)
            .Select(g => (Entity: g.Key, Score: g.Sum(c => c.Delta)))
            .Where(x => x.Score > 0)
            .OrderByDescending(x => x.Score).ThenBy(x => x.Entity, StringComparer.Ordinal)
            .Take(size)
            .Select((x, i) => $"{i + 1}|{x.Entity}|{names.GetValueOrDefault(x.Entity, x.Entity)}|{x.Score}")
            .ToList();
    }

    /// <summary>Expected daily rollup rows "day|artist|count|users" of plays per artist.</summary>
    public List<string> DailyPlaysByArtist() => Events
        .Where(e => S(e, "type") == "player.track_played")
        .GroupBy(e => (Day: At(e).UtcDateTime.Date, Artist: S(e, "artistId")))
        .Select(g => $"{new DateTimeOffset(g.Key.Day, TimeSpan.Zero).ToUnixTimeMilliseconds()}|{g.Key.Artist}|{g.Count()}|{g.Select(e => S(e, "userId")).Distinct().Count()}")
        .Order(StringComparer.Ordinal)
        .ToList();

    /// <summary>Expected money spent per user and currency: "user|currency|cents".</summary>
    public List<string> SpentByUser() => Events
        .Where(e => S(e, "type") == "treasury.money_spent")
        .GroupBy(e => (User: S(e, "userId"), Currency: S(e, "currency")))
        .Select(g => $"{g.Key.User}|{g.Key.Currency}|{g.Sum(e => L(e, "amountCents"))}")
        .Order(StringComparer.Ordinal)
        .ToList();

    /// <summary>Expected artist earnings (money_earned + tips) per currency: "artist|currency|cents".</summary>
    public List<string> EarnedByArtist() => Events
        .Where(e => S(e, "type") is "treasury.money_earned" or "treasury.tip_sent")
        .GroupBy(e => (Artist: S(e, "artistId"), Currency: S(e, "currency")))
        .Select(g => $"{g.Key.Artist}|{g.Key.Currency}|{g.Sum(e => L(e, "amountCents"))}")
        .Order(StringComparer.Ordinal)
        .ToList();

    /// <summary>Expected attendance credited to each artist through participation: "artist|count".</summary>
    public List<string> AttendanceByArtist() => Events
        .Where(e => S(e, "type") == "concierto.event_attended")
        .SelectMany(e => Performers[S(e, "eventId")])
        .GroupBy(a => a)
        .Select(g => $"{g.Key}|{g.Count()}")
        .Order(StringComparer.Ordinal)
        .ToList();
}
