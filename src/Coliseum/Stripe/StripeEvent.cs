using System.Text.Json;
using Coliseum.Capture;

namespace Coliseum.Stripe;

/// <summary>
/// The parts of a Stripe event (<c>{"id": "evt_…", "object": "event", "type", "created", "livemode",
/// "account", "data": {"object": {…}, "previous_attributes": {…}}}</c>) that Coliseum reads.
/// </summary>
internal readonly record struct StripeEvent(string Id, string Type, long Created, bool Livemode, string? Account, JsonElement Object, JsonElement? PreviousAttributes)
{
    /// <summary>Stripe's ids are ~30 characters; Coliseum's messageIds are at most 100.</summary>
    private const int MaxIdLength = 100;

    /// <summary>The latest instant <see cref="DateTimeOffset"/> can hold, in Unix seconds.</summary>
    private const long MaxUnixSeconds = 253_402_300_799;

    public static bool TryRead(JsonElement root, out StripeEvent stripeEvent, out CaptureError error)
    {
        stripeEvent = default;
        if (root.ValueKind != JsonValueKind.Object)
        {
            error = new($"a Stripe event is a JSON object, not {EventValidator.Describe(root.ValueKind)}");
            return false;
        }
        if (StripeJson.Text(root, "id") is not { Length: > 0 and <= MaxIdLength } id)
        {
            error = new($"not a Stripe event: id must be a string of 1 to {MaxIdLength} characters", "id");
            return false;
        }
        if (StripeJson.Text(root, "type") is not { Length: > 0 and <= 200 } type)
        {
            error = new("not a Stripe event: missing field type", "type");
            return false;
        }
        if (StripeJson.Long(root, "created") is not { } created || created is < 0 or > MaxUnixSeconds)
        {
            error = new("not a Stripe event: created must be a Unix time in seconds", "created");
            return false;
        }
        if (StripeJson.Object(root, "data") is not { } data || StripeJson.Object(data, "object") is not { } obj)
        {
            error = new("not a Stripe event: data.object must be an object", "data.object");
            return false;
        }
        var livemode = root.TryGetProperty("livemode"u8, out var live) && live.ValueKind == JsonValueKind.True;
        stripeEvent = new StripeEvent(id, type, created, livemode, StripeJson.Text(root, "account"), obj, StripeJson.Object(data, "previous_attributes"));
        error = default;
        return true;
    }
}
