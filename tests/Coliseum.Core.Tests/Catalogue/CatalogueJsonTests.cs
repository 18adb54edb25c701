using System.Text.Json;
using System.Text.Json.Nodes;
using Coliseum.Catalogue;

namespace Coliseum.Core.Tests.Catalogue;

public sealed class CatalogueJsonTests
{
    private static readonly DateTimeOffset At = new(2024, 5, 1, 20, 0, 0, TimeSpan.Zero);

    public static TheoryData<string> Types => new(EventCatalogue.Types.Keys.Order(StringComparer.Ordinal));

    [Fact]
    public void A_typed_event_is_written_with_its_type_discriminator()
    {
        PassportEvent played = new TrackPlayed { At = At, UserId = "u1", TrackId = "t1", ArtistId = "a1", DurationSeconds = 30 };

        var json = JsonNode.Parse(JsonSerializer.Serialize(played, CatalogueJson.Options))!.AsObject();

        Assert.Equal("player.track_played", json["type"]!.GetValue<string>());
        Assert.Equal("t1", json["trackId"]!.GetValue<string>());
        Assert.Equal(30, json["durationSeconds"]!.GetValue<double>());
        Assert.False(json.ContainsKey("sessionId"));
        Assert.False(json.ContainsKey("metadata"));
    }

    [Fact]
    public void A_typed_event_round_trips_through_the_catalogue_options()
    {
        PassportEvent purchased = new TicketPurchased
        {
            At = At, SentAt = At.AddSeconds(2), UserId = "u1", MessageId = "m1",
            EventId = "e1", TicketId = "k1", AmountCents = 4_500, Currency = "usd", Quantity = 2,
        };

        var back = JsonSerializer.Deserialize<PassportEvent>(JsonSerializer.Serialize(purchased, CatalogueJson.Options), CatalogueJson.Options);

        Assert.Equal(purchased, back);
    }

    [Fact]
    public void The_type_discriminator_need_not_be_the_first_property()
    {
        const string json = """
            {"trackId":"t1","artistId":"a1","durationSeconds":12.5,"at":"2024-05-01T20:00:00Z","type":"player.track_played","userId":"u1"}
            """;

        var played = Assert.IsType<TrackPlayed>(JsonSerializer.Deserialize<PassportEvent>(json, CatalogueJson.Options));

        Assert.Equal(("t1", "a1", 12.5, At, "u1"), (played.TrackId, played.ArtistId, played.DurationSeconds, played.At, played.UserId));
        Assert.Null(played.Metadata);
    }

    [Fact]
    public void Unknown_extra_fields_land_in_metadata_and_are_written_back()
    {
        const string json = """
            {"type":"social.artist_followed","at":"2024-05-01T20:00:00Z","artistId":"a1","source":"profile_page","score":3,"tags":["x"]}
            """;

        var followed = Assert.IsType<ArtistFollowed>(JsonSerializer.Deserialize<PassportEvent>(json, CatalogueJson.Options));

        Assert.Equal(["score", "source", "tags"], followed.Metadata!.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("profile_page", followed.Metadata["source"].GetString());
        Assert.Equal(3, followed.Metadata["score"].GetInt32());
        var written = JsonNode.Parse(JsonSerializer.Serialize<PassportEvent>(followed, CatalogueJson.Options))!;
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(json)!["tags"], written["tags"]));
        Assert.Equal("profile_page", written["source"]!.GetValue<string>());
    }

    [Fact]
    public void A_missing_required_field_is_rejected()
    {
        const string json = """{"type":"concierto.ticket_purchased","at":"2024-05-01T20:00:00Z","eventId":"e1","amountCents":100,"currency":"usd"}""";

        var error = Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<PassportEvent>(json, CatalogueJson.Options));

        Assert.Contains("ticketId", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_type_is_not_read_as_a_catalogue_event()
    {
        const string json = """{"type":"player.track_hummed","at":"2024-05-01T20:00:00Z"}""";

        Assert.ThrowsAny<Exception>(() => JsonSerializer.Deserialize<PassportEvent>(json, CatalogueJson.Options));
    }

    [Theory, MemberData(nameof(Types))]
    public void Every_catalogue_type_round_trips_with_all_its_fields(string type)
    {
        var spec = EventCatalogue.Types[type];
        var json = Sample(spec);

        var read = JsonSerializer.Deserialize<PassportEvent>(json.ToJsonString(), CatalogueJson.Options);

        Assert.IsType(spec.ClrType, read);
        Assert.Null(read!.Metadata);
        var written = JsonNode.Parse(JsonSerializer.Serialize(read, CatalogueJson.Options));
        Assert.True(JsonNode.DeepEquals(json, written), $"{json.ToJsonString()}\n{written!.ToJsonString()}");
    }

    /// <summary>A valid instance of the type with every field present, built from its field specs.</summary>
    private static JsonObject Sample(EventSpec spec)
    {
        var json = new JsonObject { ["type"] = spec.Type, ["at"] = "2024-05-01T20:00:00+00:00", ["userId"] = "u1" };
        foreach (var field in spec.Fields)
        {
            json[field.Name] = SampleValue(field);
        }
        return json;
    }

    private static JsonNode SampleValue(FieldSpec field) => field.Kind switch
    {
        FieldKind.String when field.AllowedValues is { } values => values[^1],
        FieldKind.String when field.IsCurrency => "eur",
        FieldKind.String => $"{field.Name}-1",
        FieldKind.Integer => (long)(field.Maximum ?? 7),
        FieldKind.Number => field.Maximum ?? 2.5,
        FieldKind.Boolean => true,
        FieldKind.Instant => "2024-06-01T18:30:00+00:00",
        FieldKind.StringArray => new JsonArray("a", "b"),
        FieldKind.FreeObject => new JsonObject { ["name"] = "Ada", ["age"] = 36 },
        FieldKind.Object => new JsonObject(field.Fields!.Select(f => KeyValuePair.Create(f.Name, (JsonNode?)SampleValue(f)))),
        _ => throw new ArgumentOutOfRangeException(nameof(field), field.Kind, null),
    };
}
