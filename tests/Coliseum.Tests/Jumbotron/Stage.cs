using System.Globalization;
using System.Text.Json.Nodes;
using Coliseum.Tests.Infrastructure;
using Coliseum.Tests.Query;

namespace Coliseum.Tests.Jumbotron;

/// <summary>
/// A platform with named artists and shows and a day's worth of fans (seeded, so every run and every
/// screenshot looks the same), loaded into a real server for the browser to show.
/// </summary>
internal static class Stage
{
    public static readonly string[] Artists = ["Rosalía", "Bad Bunny", "Karol G", "Peso Pluma", "Shakira", "Bizarrap", "Quevedo", "Anitta", "J Balvin", "Natalia Lafourcade", "C. Tangana", "Mon Laferte"];
    public static readonly (string Id, string Name, string City)[] Shows =
        [("ev-0", "Primavera Nights", "Madrid"), ("ev-1", "Vive Latino", "Mexico City"), ("ev-2", "Estéreo Picnic", "Bogotá"), ("ev-3", "Lollapalooza BA", "Buenos Aires"), ("ev-4", "Mad Cool", "Madrid")];

    private static int _messages;

    /// <summary>Artist and show names, then <paramref name="count"/> events spread over the last 30 days and today so far.</summary>
    public static async Task LoadAsync(TestServer server, int count = 1500, int seed = 5)
    {
        var now = DateTimeOffset.UtcNow;
        var events = new List<string>();
        for (var i = 0; i < Artists.Length; i++)
        {
            events.Add(Event("mediaid.artist_profile_updated", "admin", now.AddDays(-40), new() { ["artistId"] = $"art-{i}", ["name"] = Artists[i], ["genres"] = new JsonArray("latin") }));
        }
        for (var i = 0; i < Shows.Length; i++)
        {
            var (id, name, city) = Shows[i];
            events.Add(Event("concierto.event_created", "promoter", now.AddDays(-40), new()
            {
                ["eventId"] = id, ["name"] = name, ["city"] = city, ["startsAt"] = now.AddDays(1).ToString("O"), ["artistIds"] = new JsonArray($"art-{i}", $"art-{i + 5}"),
            }));
        }
        var random = new Random(seed);
        var midnight = new DateTimeOffset(now.UtcDateTime.Date, TimeSpan.Zero);
        for (var i = 0; i < count; i++)
        {
            // Most of it in the last 30 days, a third of it today, none in the future.
            var at = i % 3 == 0
                ? midnight.AddSeconds(random.NextDouble() * Math.Max(1, (now - midnight).TotalSeconds - 5))
                : now.AddSeconds(-(1 + Math.Pow(random.NextDouble(), 1.5) * 30 * 86_400));
            events.Add(Random(random, at));
        }
        await QueryClient.LoadAsync(server, events);
    }

    /// <summary>One event of the mix fans make.</summary>
    public static string Random(Random random, DateTimeOffset at)
    {
        var fan = $"fan-{(int)(Math.Pow(random.NextDouble(), 2) * 400)}";
        var artist = $"art-{Math.Min((int)(Math.Pow(random.NextDouble(), 1.6) * Artists.Length), Artists.Length - 1)}";
        var show = Shows[random.Next(Shows.Length)];
        var roll = random.NextDouble();
        return roll switch
        {
            < 0.55 => Event("player.track_played", fan, at, new() { ["trackId"] = $"trk-{artist}-{random.Next(5)}", ["artistId"] = artist, ["durationSeconds"] = 60 + random.Next(240) }),
            < 0.70 => Event("coliseum.vote_cast", fan, at, new() { ["artistId"] = artist, ["eventId"] = show.Id, ["channel"] = "app", ["weight"] = 1 + random.Next(5) }),
            < 0.78 => Event("social.artist_followed", fan, at, new() { ["artistId"] = artist }),
            < 0.88 => Event("concierto.event_attended", fan, at, new() { ["eventId"] = show.Id, ["city"] = show.City }),
            < 0.96 => Event("treasury.money_spent", fan, at, new() { ["amountCents"] = 100 * (5 + random.Next(115)), ["currency"] = random.Next(3) == 0 ? "eur" : "usd", ["reason"] = "ticket", ["eventId"] = show.Id }),
            _ => Event("passport.signed_up", fan, at, new() { ["method"] = "email" }),
        };
    }

    public static string Event(string type, string user, DateTimeOffset at, JsonObject fields)
    {
        fields["type"] = type;
        fields["userId"] = user;
        fields["at"] = at.ToString("O", CultureInfo.InvariantCulture);
        fields["messageId"] = $"stage-{Interlocked.Increment(ref _messages)}-{Guid.NewGuid():N}";
        return fields.ToJsonString();
    }

    public static async Task SendAsync(TestServer server, params string[] events)
    {
        using var response = await server.PostAsync("/api/passport/batch", "{\"events\":[" + string.Join(",", events) + "]}");
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        Assert.Contains("\"rejected\":[]", text, StringComparison.Ordinal);
    }
}
