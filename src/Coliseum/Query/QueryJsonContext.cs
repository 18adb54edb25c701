using System.Text.Json.Serialization;

namespace Coliseum.Query;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(LeaderboardView))]
[JsonSerializable(typeof(Coliseum.Jumbotron.JumbotronConfig))]
[JsonSerializable(typeof(List<LeaderboardInfo>))]
[JsonSerializable(typeof(IReadOnlyList<LeaderboardInfo>))]
[JsonSerializable(typeof(SeriesResult))]
[JsonSerializable(typeof(CountersView))]
[JsonSerializable(typeof(string[]))]
internal sealed partial class QueryJsonContext : JsonSerializerContext;
