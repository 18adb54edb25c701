using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Coliseum.Bench;

/// <summary>Drives a URL with wrk (Debian's <c>wrk</c>): a C load generator that leaves the CPU to the server.</summary>
internal static partial class Wrk
{
    public static bool Available => File.Exists("/usr/bin/wrk") || File.Exists("/usr/local/bin/wrk");

    public sealed record Result(double RequestsPerSecond, double P50Ms, double P99Ms, long Requests, long Non2xx, long SocketErrors);

    /// <summary>POSTs <paramref name="body"/> as JSON; a null body GETs the URL instead.</summary>
    public static async Task<Result> RunAsync(Uri url, string? body, IDictionary<string, string> headers, int connections, int threads, int seconds)
    {
        var script = Path.Combine(Path.GetTempPath(), $"wrk-{Guid.NewGuid():N}.lua");
        var lua = (body is null ? "wrk.method = \"GET\"\n" :
                  "wrk.method = \"POST\"\n" +
                  $"wrk.body = [==[{body}]==]\n" +
                  "wrk.headers[\"Content-Type\"] = \"application/json\"\n") +
                  string.Concat(headers.Select(h => $"wrk.headers[\"{h.Key}\"] = \"{h.Value}\"\n"));
        await File.WriteAllTextAsync(script, lua);
        var info = new ProcessStartInfo("wrk") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { "-t", threads.ToString(CultureInfo.InvariantCulture), "-c", connections.ToString(CultureInfo.InvariantCulture), "-d", $"{seconds}s", "--latency", "-s", script, url.ToString() })
        {
            info.ArgumentList.Add(arg);
        }
        using var process = Process.Start(info)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        File.Delete(script);
        return new Result(
            Number(RpsRegex(), output),
            Latency(output, "50%"),
            Latency(output, "99%"),
            (long)Number(RequestsRegex(), output),
            NonSuccess(output),
            SocketErrors(output));
    }

    private static double Number(Regex regex, string output)
    {
        var match = regex.Match(output);
        return match.Success ? double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) : throw new InvalidOperationException($"unexpected wrk output:\n{output}");
    }

    private static double Latency(string output, string percentile)
    {
        var match = Regex.Match(output, $@"^\s*{Regex.Escape(percentile)}\s+([\d.]+)(us|ms|s)\s*$", RegexOptions.Multiline);
        if (!match.Success)
        {
            throw new InvalidOperationException($"no {percentile} latency in wrk output:\n{output}");
        }
        var value = double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        return match.Groups[2].Value switch { "us" => value / 1000, "s" => value * 1000, _ => value };
    }

    private static long NonSuccess(string output)
    {
        var match = Regex.Match(output, @"Non-2xx or 3xx responses:\s+(\d+)");
        return match.Success ? long.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
    }

    private static long SocketErrors(string output)
    {
        var match = Regex.Match(output, @"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)");
        return match.Success ? Enumerable.Range(1, 4).Sum(i => long.Parse(match.Groups[i].Value, CultureInfo.InvariantCulture)) : 0;
    }

    [GeneratedRegex(@"Requests/sec:\s+([\d.]+)")]
    private static partial Regex RpsRegex();

    [GeneratedRegex(@"(\d+) requests in")]
    private static partial Regex RequestsRegex();
}
