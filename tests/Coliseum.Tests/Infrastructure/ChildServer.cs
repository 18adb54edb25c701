using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;

namespace Coliseum.Tests.Infrastructure;

/// <summary>
/// <c>coliseum serve</c> as a separate process, so a test can kill it with SIGKILL or SIGTERM the way
/// an operating system or an orchestrator would.
/// </summary>
public sealed class ChildServer : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private ChildServer(Process process, string dataDirectory, Uri address)
    {
        _process = process;
        DataDirectory = dataDirectory;
        Address = address;
        Client = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(30) };
    }

    public string DataDirectory { get; }
    public Uri Address { get; }
    public HttpClient Client { get; }
    /// <summary>The database, for <see cref="Sql"/>: the SQLite file, or <c>postgres:&lt;schema&gt;</c> (<see cref="TestBackend"/>).</summary>
    public string DatabasePath => TestBackend.Database(DataDirectory);
    public string Output { get { lock (_output) { return _output.ToString(); } } }
    public bool HasExited => _process.HasExited;
    public int ExitCode => _process.ExitCode;

    /// <param name="environment">Settings as environment variables, e.g. <c>Coliseum__Keys__Read__0</c>.</param>
    /// <param name="configureKeys">False to start with no keys configured, so the server generates its own.</param>
    public static async Task<ChildServer> StartAsync(string dataDirectory, IDictionary<string, string>? environment = null, bool configureKeys = true)
    {
        var port = FreePort();
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(ColiseumDll());
        info.ArgumentList.Add("serve");
        info.ArgumentList.Add("--urls");
        info.ArgumentList.Add($"http://127.0.0.1:{port}");
        info.Environment["Coliseum__DataDirectory"] = dataDirectory;
        foreach (var (key, value) in TestBackend.Environment(dataDirectory))
        {
            info.Environment[key] = value;
        }
        if (configureKeys)
        {
            info.Environment["Coliseum__Keys__Write__0"] = TestServer.WriteKey;
            info.Environment["Coliseum__Keys__Read__0"] = TestServer.ReadKey;
            info.Environment["Coliseum__Keys__Admin__0"] = TestServer.AdminKey;
        }
        info.Environment["Logging__LogLevel__Default"] = "Warning";
        info.Environment["Logging__LogLevel__Microsoft.Hosting.Lifetime"] = "Information";
        info.Environment["DOTNET_gcServer"] = "0";
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }
        var process = Process.Start(info)!;
        var server = new ChildServer(process, dataDirectory, new Uri($"http://127.0.0.1:{port}"));
        process.OutputDataReceived += (_, e) => server.Append(e.Data);
        process.ErrorDataReceived += (_, e) => server.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await server.WaitHealthyAsync(TimeSpan.FromSeconds(60));
        return server;
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_output) { _output.AppendLine(line); }
        }
    }

    private async Task WaitHealthyAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"coliseum exited with {_process.ExitCode}:\n{Output}");
            }
            try
            {
                using var response = await Client.GetAsync("/healthz");
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }
            await Task.Delay(100);
        }
        throw new TimeoutException($"coliseum did not become healthy within {timeout}:\n{Output}");
    }

    /// <summary>A key from the "No keys were configured" announcement, by its label ("write key", "read key", "admin key").</summary>
    public string AnnouncedKey(string label)
    {
        var match = System.Text.RegularExpressions.Regex.Match(Output, System.Text.RegularExpressions.Regex.Escape(label) + @"\s+(c[wra]_[0-9a-f]{40})\b");
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
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync();
    }

    /// <summary>SIGKILL, now: the process gets no chance to flush or clean up.</summary>
    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: false);
        }
    }

    public async Task KillAsync()
    {
        Kill();
        await _process.WaitForExitAsync();
    }

    /// <summary>SIGTERM: what systemd, Docker and Kubernetes send; Coliseum shuts down gracefully.</summary>
    public async Task TerminateAsync(TimeSpan timeout)
    {
        if (SysKill(_process.Id, 15) != 0)
        {
            throw new InvalidOperationException($"kill(SIGTERM) failed: {Marshal.GetLastPInvokeError()}");
        }
        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        if (!_process.HasExited)
        {
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

    /// <summary>The coliseum.dll built next to this test assembly's configuration (Debug or Release).</summary>
    public static string ColiseumDll()
    {
        var here = AppContext.BaseDirectory;
        var configuration = here.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";
        var root = new DirectoryInfo(here);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "Coliseum.slnx")))
        {
            root = root.Parent;
        }
        var dll = Path.Combine(root?.FullName ?? throw new InvalidOperationException("repository root not found"),
            "src", "Coliseum", "bin", configuration, "net10.0", "coliseum.dll");
        return File.Exists(dll) ? dll : throw new FileNotFoundException("build src/Coliseum first", dll);
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SysKill(int pid, int signal);
}
