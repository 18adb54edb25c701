using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Mvc;

namespace Coliseum.Capture;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(LogResponse))]
[JsonSerializable(typeof(BatchResponse))]
[JsonSerializable(typeof(SegmentResponse))]
[JsonSerializable(typeof(Rejection))]
[JsonSerializable(typeof(IReadOnlyList<Rejection>))]
[JsonSerializable(typeof(ProblemDetails))]
[JsonSerializable(typeof(HttpValidationProblemDetails))]
[JsonSerializable(typeof(string))]
[JsonSerializable(typeof(int))]
[JsonSerializable(typeof(long))]
internal sealed partial class CaptureJsonContext : JsonSerializerContext
{
    /// <summary>Responses keep apostrophes and non-ASCII letters readable (they are JSON, never HTML).</summary>
    public static CaptureJsonContext Relaxed { get; } = new(new System.Text.Json.JsonSerializerOptions(System.Text.Json.JsonSerializerDefaults.Web)
    {
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });
}
