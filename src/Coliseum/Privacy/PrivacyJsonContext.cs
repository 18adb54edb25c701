using System.Text.Json.Serialization;

namespace Coliseum.Privacy;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(PrivacyRequestView))]
[JsonSerializable(typeof(SortedDictionary<string, long>))]
internal sealed partial class PrivacyJsonContext : JsonSerializerContext;
