using System.Globalization;
using System.Net;
using Coliseum.Tests.Infrastructure;

namespace Coliseum.Tests.Capture;

/// <summary>Reading <c>/metrics</c> (Prometheus text format) the way a scraper would.</summary>
internal static class Prometheus
{
    public static async Task<string> ScrapeAsync(TestServer server, string key = TestServer.ReadKey)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/metrics");
        request.Headers.Add("Authorization", "Bearer " + key);
        using var response = await server.Client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {text}");
        return text;
    }

    /// <summary>
    /// The value of the sample <paramref name="name"/> with exactly these labels (<c>type="x"</c>, in any
    /// order, or empty for none); 0 when the series does not exist yet. The exporter's own
    /// <c>otel_scope_*</c> labels are ignored.
    /// </summary>
    public static double Sample(string text, string name, string labels = "") =>
        Find(text, name, labels) ?? 0;

    /// <summary>Whether the series exists at all.</summary>
    public static bool Has(string text, string name, string labels = "") => Find(text, name, labels) is not null;

    private static double? Find(string text, string name, string labels)
    {
        var wanted = Labels(labels);
        foreach (var line in text.Split('\n'))
        {
            if (!line.StartsWith(name, StringComparison.Ordinal) || line.Length == name.Length || line[name.Length] is not ('{' or ' '))
            {
                continue;
            }
            var space = line.LastIndexOf(' ');
            var labelText = line[name.Length] == '{' ? line[(name.Length + 1)..line.LastIndexOf('}')] : "";
            var actual = Labels(labelText).Where(l => !l.StartsWith("otel_scope_", StringComparison.Ordinal)).ToHashSet();
            if (actual.SetEquals(wanted))
            {
                return double.Parse(line[(space + 1)..].Trim(), CultureInfo.InvariantCulture);
            }
        }
        return null;
    }

    private static HashSet<string> Labels(string labels) =>
        labels.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet();

    /// <summary>The <c># TYPE</c> line of a metric family, e.g. <c>gauge</c>; null when absent.</summary>
    public static string? TypeOf(string text, string name)
    {
        var prefix = $"# TYPE {name} ";
        return text.Split('\n').FirstOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal))?[prefix.Length..].Trim();
    }
}
