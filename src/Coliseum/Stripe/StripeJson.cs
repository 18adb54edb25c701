using System.Text.Json;

namespace Coliseum.Stripe;

/// <summary>Tolerant reads of Stripe objects: a field of the wrong kind reads as absent, never throws.</summary>
internal static class StripeJson
{
    public static JsonElement? Property(JsonElement? element, string name) =>
        element is { ValueKind: JsonValueKind.Object } obj && obj.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null ? value : null;

    public static JsonElement? Object(JsonElement? element, string name) =>
        Property(element, name) is { ValueKind: JsonValueKind.Object } value ? value : null;

    public static string? Text(JsonElement? element, string name) =>
        Property(element, name) is { ValueKind: JsonValueKind.String } value ? value.GetString() : null;

    public static long? Long(JsonElement? element, string name) =>
        Property(element, name) is { ValueKind: JsonValueKind.Number } value && value.TryGetInt64(out var number) ? number : null;

    /// <summary>An expandable field: the id string, or the expanded object's <c>id</c>.</summary>
    public static string? Id(JsonElement? element, string name) => Property(element, name) switch
    {
        { ValueKind: JsonValueKind.String } id => id.GetString(),
        { ValueKind: JsonValueKind.Object } expanded => Text(expanded, "id"),
        _ => null,
    };

    /// <summary>A value of the object's <c>metadata</c> (Stripe keeps them as strings); blank reads as absent.</summary>
    public static string? Metadata(JsonElement? element, string key) =>
        Text(Object(element, "metadata"), key) is { } value && !string.IsNullOrWhiteSpace(value) ? value : null;

    /// <summary>The first element of a Stripe list (<c>{"object": "list", "data": [...]}</c>).</summary>
    public static JsonElement? First(JsonElement? list) =>
        Property(list, "data") is { ValueKind: JsonValueKind.Array } data && data.GetArrayLength() > 0 && data[0].ValueKind == JsonValueKind.Object ? data[0] : null;
}
