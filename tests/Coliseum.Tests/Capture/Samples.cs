using System.Text.Json.Nodes;
using Coliseum.Tests.Infrastructure;

namespace Coliseum.Tests.Capture;

/// <summary>One valid event of each catalogue type the capture tests break on purpose, and ways to break them.</summary>
internal static class Samples
{
    public static JsonObject Valid(string type, string? messageId = null)
    {
        var ev = type switch
        {
            "player.track_played" => Events.TrackPlayed(),
            "concierto.ticket_purchased" => Events.TicketPurchased(),
            "concierto.event_rated" => Fields(("eventId", "event-9"), ("rating", 4)),
            "concierto.rsvp_submitted" => Fields(("eventId", "event-9"), ("status", "going")),
            "concierto.event_created" => Fields(("eventId", "event-9"), ("name", "Noche de Rock"), ("city", "Bogotá"), ("startsAt", "2026-12-01T21:00:00Z"), ("artistIds", new JsonArray("artist-1"))),
            "coliseum.vote_cast" => Fields(("artistId", "artist-1"), ("eventId", "event-9"), ("channel", "app"), ("weight", 10)),
            "passport.consent_updated" => Fields(("scope", "marketing"), ("granted", true)),
            "passport.session_ended" => Fields(("durationSeconds", 600)),
            "passport.identified" => Fields(("traits", new JsonObject { ["name"] = "Ana" })),
            _ => throw new ArgumentOutOfRangeException(nameof(type), type, "no sample for this type"),
        };
        ev["type"] = type;
        ev["userId"] ??= "fan-1";
        ev["at"] ??= Events.Now;
        if (messageId is not null)
        {
            ev["messageId"] = messageId;
        }
        else
        {
            ev.Remove("messageId");
        }
        return ev;
    }

    /// <summary>The event as JSON text with <paramref name="field"/> set to <paramref name="rawJson"/> verbatim (e.g. <c>NaN</c>, <c>1e400</c>).</summary>
    public static string WithRaw(JsonObject ev, string field, string rawJson)
    {
        var copy = ev.DeepClone().AsObject();
        copy.Remove(field);
        var rest = copy.ToJsonString();
        return rest == "{}" ? $"{{\"{field}\":{rawJson}}}" : $"{{\"{field}\":{rawJson},{rest[1..]}";
    }

    public static string Without(JsonObject ev, string field)
    {
        var copy = ev.DeepClone().AsObject();
        copy.Remove(field);
        return copy.ToJsonString();
    }

    private static JsonObject Fields(params (string Name, JsonNode? Value)[] fields)
    {
        var ev = new JsonObject();
        foreach (var (name, value) in fields)
        {
            ev[name] = value;
        }
        return ev;
    }
}
