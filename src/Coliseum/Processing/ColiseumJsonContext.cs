using System.Text.Json.Serialization;
using Coliseum.Processing;

namespace Coliseum.Hosting;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(ProcessorStatus))]
[JsonSerializable(typeof(EntityName))]
[JsonSerializable(typeof(IReadOnlyList<DeadLetter>))]
[JsonSerializable(typeof(List<ColiseumApi.RetryResult>))]
internal sealed partial class ColiseumJsonContext : JsonSerializerContext;
