using System.Globalization;
using System.Text.Json.Nodes;
using Coliseum.Tests.Processing;

namespace Coliseum.Tests.Query;

/// <summary>
/// <see cref="Dataset"/> plus what the reports also read and Dataset does not generate: event views,
/// ticket purchases, refunds, check-ins and ratings, track completions and skips, sign-ups, and money
/// earned without an artist (credited to the fan). Expected answers are computed here, straight from the
/// JSON events in log order, never from the server's tables.
/// </summary>
public sealed class ReportDataset
{
    public List<JsonObject> Events { get; } = [];
    public Dataset Base { get; }

    private ReportDataset(Dataset data) => Base = data;

    public static ReportDataset Generate(int count, int extra, int seed = 11)
    {
        var data = new ReportDataset(Dataset.Generate(count));
        data.Events.AddRange(data.Base.Events);
        var random = new Random(seed);
        for (var i = 0; i < extra; i++)
        {
            var user = $"u{1 + (int)Math.Floor(Math.Pow(random.NextDouble(), 2) * 40)}";
            var at = Dataset.Start.AddSeconds(random.Next(Dataset.Days * 86_400));
            var liveEvent = $"e{1 + random.Next(5)}";
            var track = $"t{1 + random.Next(30)}";
            var currency = random.Next(3) == 0 ? "eur" : "usd";
            switch (random.Next(10))
            {
                case 0 or 1: data.Add("concierto.event_viewed", user, at, new() { ["eventId"] = liveEvent, ["source"] = "home" }); break;
                case 2: data.Add("concierto.ticket_purchased", user, at, new() { ["eventId"] = liveEvent, ["ticketId"] = $"k{i}", ["amountCents"] = 1000 * (1 + random.Next(5)), ["currency"] = currency }); break;
                case 3: data.Add("concierto.checked_in", user, at, new() { ["eventId"] = liveEvent, ["ticketId"] = $"k{i}" }); break;
                case 4: data.Add("concierto.ticket_refunded", user, at, new() { ["eventId"] = liveEvent, ["ticketId"] = $"k{i}", ["amountCents"] = 500, ["currency"] = currency }); break;
                case 5: data.Add("player.track_completed", user, at, new() { ["trackId"] = track, ["artistId"] = Dataset.ArtistOfTrack(track), ["listenedSeconds"] = 200 }); break;
                case 6: data.Add("player.track_skipped", user, at, new() { ["trackId"] = track, ["artistId"] = Dataset.ArtistOfTrack(track), ["positionSeconds"] = 12 }); break;
                case 7: data.Add("passport.signed_up", user, at, new() { ["method"] = "email" }); break;
                case 8: data.Add("treasury.money_earned", user, at, new() { ["amountCents"] = 100 + random.Next(900), ["currency"] = currency, ["source"] = "referral" }); break;
                default: data.Add("concierto.event_rated", user, at, new() { ["eventId"] = liveEvent, ["rating"] = 1 + random.Next(5) }); break;
            }
        }
        return data;
    }

    private void Add(string type, string user, DateTimeOffset at, JsonObject fields)
    {
        fields["type"] = type;
        fields["userId"] = user;
        fields["at"] = at.ToString("O");
        fields["messageId"] = $"rd-{Events.Count:D6}";
        Events.Add(fields);
    }

    public static string S(JsonObject e, string name) => e[name]!.GetValue<string>();
    public static string? Opt(JsonObject e, string name) => e[name]?.GetValue<string>();
    public static long L(JsonObject e, string name) => (long)e[name]!.AsValue().GetValue<int>();
    public static DateTimeOffset At(JsonObject e) => DateTimeOffset.Parse(S(e, "at"), CultureInfo.InvariantCulture);
    public static string Type(JsonObject e) => S(e, "type");

    public static bool In(JsonObject e, DateOnly from, DateOnly to)
    {
        var day = DateOnly.FromDateTime(At(e).UtcDateTime);
        return day >= from && day <= to;
    }

    /// <summary>Each vote event's net contribution (cast: +weight; retraction: minus the standing weight), in log order.</summary>
    public IEnumerable<(JsonObject Event, long Delta)> VoteDeltas()
    {
        var standing = new Dictionary<(string, string, string), long>();
        foreach (var e in Events.Where(e => Type(e) is "coliseum.vote_cast" or "coliseum.vote_retracted"))
        {
            var key = (S(e, "userId"), S(e, "eventId"), S(e, "artistId"));
            var delta = Type(e) == "coliseum.vote_cast" ? L(e, "weight") : -standing.GetValueOrDefault(key);
            standing[key] = Type(e) == "coliseum.vote_cast" ? standing.GetValueOrDefault(key) + delta : 0;
            yield return (e, delta);
        }
    }

    /// <summary>Standing vote weight per (user, event, artist) after the whole log.</summary>
    public Dictionary<(string User, string Event, string Artist), long> StandingVotes()
    {
        var standing = new Dictionary<(string, string, string), long>();
        foreach (var (e, delta) in VoteDeltas())
        {
            var key = (S(e, "userId"), S(e, "eventId"), S(e, "artistId"));
            standing[key] = standing.GetValueOrDefault(key) + delta;
        }
        return standing;
    }
}
