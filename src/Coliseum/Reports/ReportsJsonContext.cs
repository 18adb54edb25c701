using System.Text.Json.Serialization;

namespace Coliseum.Reports;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(ReportParams))]
[JsonSerializable(typeof(ReportResponse))]
[JsonSerializable(typeof(ArtistReport))]
[JsonSerializable(typeof(EventReport))]
[JsonSerializable(typeof(PassportReport))]
[JsonSerializable(typeof(PlatformReport))]
[JsonSerializable(typeof(Coliseum.Passport.PassportMe))]
internal sealed partial class ReportsJsonContext : JsonSerializerContext;
