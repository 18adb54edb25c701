using System.Text.Json.Nodes;

namespace Coliseum.Tests.Infrastructure;

/// <summary>Realistic catalogue events as JSON, for tests to send.</summary>
public static class Events
{
    public static readonly string Now = DateTimeOffset.UtcNow.AddMinutes(-1).ToString("O");

    public static JsonObject TrackPlayed(string? messageId = null, string userId = "fan-1", string trackId = "track-1", string artistId = "artist-1")
    {
        var ev = new JsonObject
        {
            ["type"] = "player.track_played",
            ["userId"] = userId,
            ["at"] = Now,
            ["sessionId"] = "session-1",
            ["trackId"] = trackId,
            ["artistId"] = artistId,
            ["durationSeconds"] = 214,
        };
        if (messageId is not null)
        {
            ev["messageId"] = messageId;
        }
        return ev;
    }

    public static JsonObject TicketPurchased(string? messageId = null, long amountCents = 4500) => new()
    {
        ["type"] = "concierto.ticket_purchased",
        ["userId"] = "fan-2",
        ["at"] = Now,
        ["eventId"] = "event-9",
        ["ticketId"] = "ticket-77",
        ["amountCents"] = amountCents,
        ["currency"] = "usd",
        ["messageId"] = messageId,
    };

    public static string Batch(params JsonNode[] events) => new JsonObject { ["events"] = new JsonArray(events) }.ToJsonString();
}
