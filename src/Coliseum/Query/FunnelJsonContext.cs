using System.Text.Json.Serialization;

namespace Coliseum.Query;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(FunnelResult))]
[JsonSerializable(typeof(AttributionResult))]
internal sealed partial class FunnelJsonContext : JsonSerializerContext;
