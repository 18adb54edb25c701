using System.Net;
using System.Text.Json;

namespace Coliseum.Tests.Capture;

/// <summary>Reading what a capture endpoint answered.</summary>
internal static class Answers
{
    public static async Task<JsonElement> ReadJsonAsync(this HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        using var document = JsonDocument.Parse(text);
        return document.RootElement.Clone();
    }

    /// <summary>
    /// Asserts a ProblemDetails answer with this status, this exact <c>error</c> and this <c>field</c>
    /// (null: the answer names no field). Returns the body for further checks.
    /// </summary>
    public static async Task<JsonElement> AssertProblemAsync(this HttpResponseMessage response, HttpStatusCode status, string error, string? field = null)
    {
        var body = await response.AssertProblemStatusAsync(status);
        Assert.Equal(error, body.GetProperty("error").GetString());
        AssertField(body, field);
        return body;
    }

    /// <summary>As <see cref="AssertProblemAsync"/>, for messages that end with the JSON parser's own words.</summary>
    public static async Task<JsonElement> AssertProblemStartingWithAsync(this HttpResponseMessage response, HttpStatusCode status, string errorPrefix, string? field = null)
    {
        var body = await response.AssertProblemStatusAsync(status);
        var error = body.GetProperty("error").GetString()!;
        Assert.StartsWith(errorPrefix, error, StringComparison.Ordinal);
        AssertField(body, field);
        return body;
    }

    private static async Task<JsonElement> AssertProblemStatusAsync(this HttpResponseMessage response, HttpStatusCode status)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"expected {(int)status}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var document = JsonDocument.Parse(text);
        var body = document.RootElement.Clone();
        Assert.Equal((int)status, body.GetProperty("status").GetInt32());
        Assert.Equal(body.GetProperty("error").GetString(), body.GetProperty("detail").GetString());
        return body;
    }

    private static void AssertField(JsonElement body, string? field)
    {
        if (field is null)
        {
            Assert.False(body.TryGetProperty("field", out var named), $"expected no field, got {named}");
        }
        else
        {
            Assert.Equal(field, body.GetProperty("field").GetString());
        }
    }

    /// <summary>The <c>rejected</c> list of a batch answer as <c>index|error|field</c> lines.</summary>
    public static string[] Rejections(JsonElement body) =>
        [.. body.GetProperty("rejected").EnumerateArray().Select(r =>
            $"{r.GetProperty("index").GetInt32()}|{r.GetProperty("error").GetString()}|{(r.TryGetProperty("field", out var f) ? f.GetString() : "")}")];
}
