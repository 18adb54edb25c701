using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace Coliseum.Tests.Capture;

/// <summary>
/// <c>coliseum serve</c> in a process of its own, for what an in-process server cannot show: what it
/// prints on stdout, and process-wide state (the metrics exporter) as a fresh process has it.
/// </summary>
internal sealed partial class ServerProcess : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private readonly Process _process;
    private readonly StringBuilder _output;

    private ServerProcess(Process process, StringBuilder output, Uri address)
    {
        _process = process;
        _output = output;
        Client = new HttpClient { BaseAddress = address };
    }

    public HttpClient Client { get; }

    /// <summary>Everything the process wrote to stdout and stderr so far.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <param name="settings">Configuration as environment variables, e.g. <c>Coliseum__Keys__Write__0</c>.</param>
    public static async Task<ServerProcess> StartAsync(string dataDirectory, IReadOnlyDictionary<string, string>? settings = null)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "coliseum.dll"));
        start.ArgumentList.Add("serve");
        start.ArgumentList.Add("--urls");
        start.ArgumentList.Add("http://127.0.0.1:0");
        start.Environment["Coliseum__DataDirectory"] = dataDirectory;
        start.Environment["Logging__LogLevel__Default"] = "Information";
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        var output = new StringBuilder();
        var listening = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        var process = new Process { StartInfo = start };
        DataReceivedEventHandler collect = (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }
            lock (output)
            {
                output.AppendLine(e.Data);
            }
            if (ListeningOn().Match(e.Data) is { Success: true } match)
            {
                listening.TrySetResult(new Uri(match.Groups[1].Value));
            }
        };
        process.OutputDataReceived += collect;
        process.ErrorDataReceived += collect;
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var timeout = new CancellationTokenSource(StartTimeout);
        await Task.WhenAny(listening.Task, process.WaitForExitAsync(timeout.Token));
        if (!listening.Task.IsCompletedSuccessfully)
        {
            if (!process.HasExited)
            {
                process.Kill();
            }
            process.Dispose();
            string text;
            lock (output)
            {
                text = output.ToString();
            }
            throw new InvalidOperationException($"coliseum serve did not start listening within {StartTimeout}:\n{text}");
        }
        return new ServerProcess(process, output, listening.Task.Result);
    }

    /// <summary>A key from the "No keys were configured" announcement, by its label ("write key", "read key", "admin key").</summary>
    public string AnnouncedKey(string label)
    {
        var match = Regex.Match(Output, Regex.Escape(label) + @"\s+(c[wra]_[0-9a-f]{40})\b");
        Assert.True(match.Success, $"no '{label}' in the output:\n{Output}");
        return match.Groups[1].Value;
    }

    public async Task<HttpResponseMessage> PostAsync(string path, string body, string key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Add("X-Coliseum-Key", key);
        return await Client.SendAsync(request);
    }

    public async Task<string> ScrapeMetricsAsync(string readKey)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/metrics");
        request.Headers.Add("Authorization", "Bearer " + readKey);
        using var response = await Client.SendAsync(request);
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync();
    }

    /// <summary>Kills the process (as a crash would; the log is durable) and waits for it to be gone.</summary>
    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill();
        }
        await _process.WaitForExitAsync();
        _process.Dispose();
    }

    [GeneratedRegex(@"Now listening on: (http://\S+)")]
    private static partial Regex ListeningOn();
}
