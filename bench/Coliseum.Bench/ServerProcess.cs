using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Coliseum.Bench;

/// <summary><c>coliseum serve</c> (the Release build) as its own process, with its memory sampled.</summary>
internal sealed class ServerProcess : IAsyncDisposable
{
    public const string WriteKey = "bench-write-key";
    public const string ReadKey = "bench-read-key";

    private readonly Process _process;
    private readonly CancellationTokenSource _sampling = new();
    private readonly Task _sampler;
    private long _peakRssBytes;

    private ServerProcess(Process process, Uri address)
    {
        _process = process;
        Address = address;
        _sampler = Task.Run(SampleAsync);
    }

    public Uri Address { get; }
    public long PeakRssBytes => Interlocked.Read(ref _peakRssBytes);
    public int Pid => _process.Id;

    public static async Task<ServerProcess> StartAsync(string dataDirectory, IDictionary<string, string>? environment = null)
    {
        var port = FreePort();
        var info = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add(ColiseumDll());
        info.ArgumentList.Add("serve");
        info.ArgumentList.Add("--urls");
        info.ArgumentList.Add($"http://127.0.0.1:{port}");
        info.Environment["Coliseum__DataDirectory"] = dataDirectory;
        info.Environment["Coliseum__Keys__Write__0"] = WriteKey;
        info.Environment["Coliseum__Keys__Read__0"] = ReadKey;
        info.Environment["Logging__LogLevel__Default"] = "Warning";
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }
        var process = Process.Start(info)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { Console.Error.WriteLine($"[server] {e.Data}"); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new ServerProcess(process, new Uri($"http://127.0.0.1:{port}"));
        using var client = new HttpClient { BaseAddress = server.Address };
        for (var i = 0; i < 600; i++)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"coliseum serve exited with code {process.ExitCode} before answering /healthz (its stderr is above)");
            }
            try
            {
                if ((await client.GetAsync("/healthz")).IsSuccessStatusCode)
                {
                    return server;
                }
            }
            catch (HttpRequestException)
            {
            }
            await Task.Delay(100);
        }
        throw new TimeoutException("coliseum did not start");
    }

    /// <summary>The server's resident set now (VmRSS).</summary>
    public async Task<long> RssBytesAsync()
    {
        foreach (var line in await File.ReadAllLinesAsync($"/proc/{_process.Id}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) * 1024;
            }
        }
        return 0;
    }

    private async Task SampleAsync()
    {
        while (!_sampling.IsCancellationRequested)
        {
            try
            {
                InterlockedMax(ref _peakRssBytes, await RssBytesAsync());
                await Task.Delay(50, _sampling.Token);
            }
            catch (Exception) when (_sampling.IsCancellationRequested || _process.HasExited)
            {
                return;
            }
        }
    }

    private static void InterlockedMax(ref long target, long value)
    {
        long current;
        while (value > (current = Interlocked.Read(ref target)) && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }

    /// <summary>The server's own account of its group commits, from /metrics.</summary>
    public async Task<System.Text.Json.Nodes.JsonObject> CommitStatsAsync()
    {
        using var client = new HttpClient { BaseAddress = Address };
        client.DefaultRequestHeaders.Add("Authorization", $"Bearer {ReadKey}");
        var text = await client.GetStringAsync("/metrics");
        double Sum(string name) => text.Split('\n')
            .Where(l => l.StartsWith(name + "{", StringComparison.Ordinal) || l.StartsWith(name + " ", StringComparison.Ordinal))
            .Sum(l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture));
        var commits = Sum("coliseum_append_batch_size_count");
        return new System.Text.Json.Nodes.JsonObject
        {
            ["commits"] = commits,
            ["events"] = Sum("coliseum_append_batch_size_sum"),
            ["averageEventsPerCommit"] = commits == 0 ? 0 : Math.Round(Sum("coliseum_append_batch_size_sum") / commits, 1),
            // The commits' durations added up: on PostgreSQL two appends are in flight at once, so this can exceed the wall time.
            ["writerBusySeconds"] = Math.Round(Sum("coliseum_append_commit_seconds_sum"), 2),
        };
    }

    public async ValueTask DisposeAsync()
    {
        await _sampling.CancelAsync();
        await _sampler;
        if (!_process.HasExited)
        {
            // SIGTERM-like shutdown is tested elsewhere; here we only want the process gone.
            _process.Kill();
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string ColiseumDll()
    {
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "Coliseum.slnx")))
        {
            root = root.Parent;
        }
        var dll = Path.Combine(root!.FullName, "src", "Coliseum", "bin", "Release", "net10.0", "coliseum.dll");
        return File.Exists(dll) ? dll : throw new FileNotFoundException("run the bench with -c Release so src/Coliseum is built in Release", dll);
    }
}
