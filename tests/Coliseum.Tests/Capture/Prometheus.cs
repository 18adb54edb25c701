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
    /// The value of the sample <paramref name="name"/> with exactly these labels (<c>type="x"</c>, or
    /// empty for none); 0 when the series does not exist yet.
    /// </summary>
    public static double Sample(string text, string name, string labels = "")
    {
        var series = labels.Length == 0 ? name : $"{name}{{{labels}}}";
        foreach (var line in text.Split('\n'))
        {
            if (line.StartsWith(series + " ", StringComparison.Ordinal))
            {
                return double.Parse(line[(series.Length + 1)..].Trim(), CultureInfo.InvariantCulture);
            }
        }
        return 0;
    }

    /// <summary>The <c># TYPE</c> line of a metric family, e.g. <c>gauge</c>; null when absent.</summary>
    public static string? TypeOf(string text, string name)
    {
        var prefix = $"# TYPE {name} ";
        return text.Split('\n').FirstOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal))?[prefix.Length..].Trim();
    }
}
