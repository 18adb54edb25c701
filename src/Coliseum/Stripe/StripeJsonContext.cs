using System.Text.Json.Serialization;

namespace Coliseum.Stripe;

[JsonSourceGenerationOptions(System.Text.Json.JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(StripeWebhookResponse))]
internal sealed partial class StripeJsonContext : JsonSerializerContext
{
    /// <summary>Answers keep non-ASCII letters readable (they are JSON, never HTML).</summary>
    public static StripeJsonContext Relaxed { get; } = new(new System.Text.Json.JsonSerializerOptions(System.Text.Json.JsonSerializerDefaults.Web)
    {
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });
}
