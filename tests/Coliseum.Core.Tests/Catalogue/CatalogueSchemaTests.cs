using System.Text.Json;
using System.Text.Json.Nodes;
using Coliseum.Catalogue;

namespace Coliseum.Core.Tests.Catalogue;

public sealed class CatalogueSchemaTests
{
    private static readonly string[] Envelope = ["userId", "anonymousId", "at", "sentAt", "sessionId", "deviceId", "messageId", "context"];

    private static readonly Lazy<JsonObject> Schema = new(() => JsonNode.Parse(CatalogueSchema.ToJsonSchema())!.AsObject());

    private static JsonObject Defs => Schema.Value["$defs"]!.AsObject();

    public static TheoryData<string> Types => new(EventCatalogue.Types.Keys.Order(StringComparer.Ordinal));

    [Fact]
    public void Json_schema_is_one_draft_2020_12_document_with_a_definition_per_event_type()
    {
        var schema = Schema.Value;

        Assert.Equal("https://json-schema.org/draft/2020-12/schema", schema["$schema"]!.GetValue<string>());
        Assert.Equal("https://coliseum.local/schema/passport-event.json", schema["$id"]!.GetValue<string>());
        Assert.Equal("PassportEvent", schema["title"]!.GetValue<string>());
        var eventDefs = Defs.Where(d => d.Value!["properties"]?["type"]?["const"] is not null).ToList();
        Assert.Equal(51, eventDefs.Count);
        Assert.Equal(
            EventCatalogue.Types.Keys.Order(StringComparer.Ordinal),
            eventDefs.Select(d => d.Value!["properties"]!["type"]!["const"]!.GetValue<string>()));
        Assert.Equal(
            eventDefs.Select(d => $"#/$defs/{d.Key}"),
            schema["oneOf"]!.AsArray().Select(r => r!["$ref"]!.GetValue<string>()));
    }

    [Fact]
    public void Json_schema_is_the_same_on_every_call()
    {
        Assert.Equal(CatalogueSchema.ToJsonSchema(), CatalogueSchema.ToJsonSchema());
        Assert.Equal(CatalogueSchema.ToTypeScript(), CatalogueSchema.ToTypeScript());
    }

    [Fact]
    public void Ticket_purchased_definition_requires_its_fields_type_and_at()
    {
        var def = Defs["TicketPurchased"]!;

        Assert.Equal(["type", "eventId", "ticketId", "amountCents", "currency", "at"], Strings(def["required"]));
        Assert.True(def["additionalProperties"]!.GetValue<bool>());
        var quantity = def["properties"]!["quantity"]!;
        Assert.Equal((1, 100, 1), (quantity["minimum"]!.GetValue<int>(), quantity["maximum"]!.GetValue<int>(), quantity["default"]!.GetValue<int>()));
        Assert.Equal(9_007_199_254_740_991, def["properties"]!["amountCents"]!["maximum"]!.GetValue<long>());
        var currency = def["properties"]!["currency"]!;
        Assert.Equal(("^[a-z]{3}$", 3), (currency["pattern"]!.GetValue<string>(), currency["maxLength"]!.GetValue<int>()));
    }

    [Theory, MemberData(nameof(Types))]
    public void Each_definition_requires_type_at_and_the_required_fields_of_its_record(string type)
    {
        var spec = EventCatalogue.Types[type];
        var def = Defs[spec.ClrType.Name]!;

        string[] expected = ["type", .. spec.Fields.Where(f => f.Required).Select(f => f.Name), "at"];
        Assert.Equal(expected, Strings(def["required"]));
        Assert.Equal("object", def["type"]!.GetValue<string>());
        Assert.True(def["additionalProperties"]!.GetValue<bool>());
        Assert.Equal(type, def["properties"]!["type"]!["const"]!.GetValue<string>());
        Assert.Equal(
            ["type", .. spec.Fields.Select(f => f.Name), .. Envelope],
            def["properties"]!.AsObject().Select(p => p.Key));
    }

    [Theory, MemberData(nameof(Types))]
    public void Each_definition_carries_the_same_constraints_as_the_catalogue(string type)
    {
        var spec = EventCatalogue.Types[type];
        var properties = Defs[spec.ClrType.Name]!["properties"]!;

        foreach (var field in spec.Fields)
        {
            var schema = properties[field.Name]!;
            Assert.Equal(field.Minimum, schema["minimum"]?.GetValue<double>());
            Assert.Equal(field.Maximum, schema["maximum"]?.GetValue<double>());
            Assert.Equal(field.AllowedValues, schema["enum"]?.AsArray().Where(v => v is not null).Select(v => v!.GetValue<string>()).ToArray());
            Assert.Equal(field.DefaultValue is null ? null : Convert.ToDouble(field.DefaultValue, System.Globalization.CultureInfo.InvariantCulture), schema["default"]?.GetValue<double>());
            Assert.Equal(field.IsCurrency ? "^[a-z]{3}$" : null, schema["pattern"]?.GetValue<string>());
            if (field.Kind == FieldKind.String)
            {
                Assert.Equal(field.MaxLength, schema["maxLength"]!.GetValue<int>());
                Assert.Equal(field.MinLength, schema["minLength"]?.GetValue<int>() ?? 0);
            }
            Assert.Equal(field.Required, !TypesOf(schema).Contains("null"));
        }
    }

    [Fact]
    public void Envelope_properties_keep_their_limits_and_formats()
    {
        var properties = Defs["TrackPlayed"]!["properties"]!;

        Assert.Equal(128, properties["userId"]!["maxLength"]!.GetValue<int>());
        Assert.Equal(100, properties["messageId"]!["maxLength"]!.GetValue<int>());
        Assert.Equal("date-time", properties["at"]!["format"]!.GetValue<string>());
        Assert.Equal("date-time", properties["sentAt"]!["format"]!.GetValue<string>());
        Assert.False(properties.AsObject().ContainsKey("metadata"));
    }

    [Fact]
    public void Json_schema_describes_nested_utm_enumerations_and_instants()
    {
        var utm = Defs["SessionStarted"]!["properties"]!["utm"]!;
        Assert.Equal(["source", "medium", "campaign", "term", "content"], utm["properties"]!.AsObject().Select(p => p.Key));
        Assert.Contains("object", TypesOf(utm));

        var role = Defs["ArtistBooked"]!["properties"]!["role"]!;
        Assert.Equal(["headliner", "support", "guest", null], role["enum"]!.AsArray().Select(v => v?.GetValue<string>()));

        var startsAt = Defs["EventCreated"]!["properties"]!["startsAt"]!;
        Assert.Equal(("string", "date-time"), (startsAt["type"]!.GetValue<string>(), startsAt["format"]!.GetValue<string>()));
        Assert.Equal("array", Defs["ProfileUpdated"]!["properties"]!["fields"]!["type"]!.GetValue<string>());
        Assert.Equal("boolean", Defs["ConsentUpdated"]!["properties"]!["granted"]!["type"]!.GetValue<string>());
    }

    [Theory, MemberData(nameof(Types))]
    public void TypeScript_declares_an_interface_with_the_type_literal_for_each_type(string type)
    {
        var ts = CatalogueSchema.ToTypeScript();
        var name = EventCatalogue.Types[type].ClrType.Name;

        Assert.Contains($"export interface {name} extends PassportEnvelope {{\n  type: \"{type}\";\n", ts, StringComparison.Ordinal);
        Assert.Contains($"\n  | {name}\n", ts.Replace(";\n", "\n", StringComparison.Ordinal), StringComparison.Ordinal);
    }

    [Fact]
    public void TypeScript_marks_optional_fields_and_spells_out_enums_and_ranges()
    {
        var ts = CatalogueSchema.ToTypeScript();

        Assert.Contains("export interface PassportEnvelope {", ts, StringComparison.Ordinal);
        Assert.Contains("  at: string;\n", ts, StringComparison.Ordinal);
        Assert.Contains("  userId?: string;\n", ts, StringComparison.Ordinal);
        Assert.Contains("  ticketId: string;\n", ts, StringComparison.Ordinal);
        Assert.Contains("/** Integer. Range 1..100. @default 1 */\n  quantity?: number;\n", ts, StringComparison.Ordinal);
        Assert.Contains("  role?: \"headliner\" | \"support\" | \"guest\";\n", ts, StringComparison.Ordinal);
        Assert.Contains("  status: \"going\" | \"interested\" | \"not_going\";\n", ts, StringComparison.Ordinal);
        Assert.Contains("  granted: boolean;\n", ts, StringComparison.Ordinal);
        Assert.Contains("  traits: Record<string, unknown>;\n", ts, StringComparison.Ordinal);
        Assert.Contains("  fields: string[];\n", ts, StringComparison.Ordinal);
        Assert.Contains("  utm?: Utm;\n", ts, StringComparison.Ordinal);
        Assert.Contains("export interface Utm {", ts, StringComparison.Ordinal);
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(ts, "export interface Utm "));
        Assert.Contains("export type PassportEvent =\n", ts, StringComparison.Ordinal);
        Assert.Contains("export type PassportEventType = PassportEvent[\"type\"];", ts, StringComparison.Ordinal);
        Assert.DoesNotContain("  metadata", ts, StringComparison.Ordinal);
    }

    private static string[] Strings(JsonNode? array) => array!.AsArray().Select(v => v!.GetValue<string>()).ToArray();

    private static string[] TypesOf(JsonNode schema) => schema["type"] switch
    {
        JsonArray many => many.Select(t => t!.GetValue<string>()).ToArray(),
        { } one => [one.GetValue<string>()],
        _ => [],
    };
}
