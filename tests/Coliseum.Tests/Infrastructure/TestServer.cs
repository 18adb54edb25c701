using System.Net.Http.Headers;
using System.Text;
using Coliseum.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Data.Sqlite;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Coliseum.Tests.Infrastructure;

/// <summary>
/// A real Coliseum on a loopback port with its own data directory and database (a real SQLite file, or a
/// schema of its own on the PostgreSQL test server: <see cref="TestBackend"/>), started in-process through the
/// same <see cref="ColiseumApp.BuildAsync"/> that <c>coliseum serve</c> uses.
/// </summary>
public sealed class TestServer : IAsyncDisposable
{
    public const string WriteKey = "test-write-key";
    public const string ReadKey = "test-read-key";
    public const string AdminKey = "test-admin-key";

    private readonly WebApplication _app;
    private bool _ownsDirectory;

    private TestServer(WebApplication app, string dataDirectory, Uri address)
    {
        _app = app;
        DataDirectory = dataDirectory;
        Address = address;
        Client = new HttpClient { BaseAddress = address };
    }

    public string DataDirectory { get; }
    public Uri Address { get; }
    public HttpClient Client { get; }
    /// <summary>The database, for <see cref="Sql"/>: the SQLite file, or <c>postgres:&lt;schema&gt;</c>.</summary>
    public string DatabasePath => TestBackend.Database(DataDirectory);
    public IServiceProvider Services => _app.Services;

    /// <param name="settings">Extra configuration, e.g. <c>["Coliseum:Capture:TrackingPlan"] = "strict"</c>.</param>
    /// <param name="dataDirectory">Reuse a directory (a restart); a new temporary one by default.</param>
    public static async Task<TestServer> StartAsync(IDictionary<string, string?>? settings = null, string? dataDirectory = null, bool configureKeys = true)
    {
        var owns = dataDirectory is null;
        dataDirectory ??= TempDirectory.Create("server");
        var config = new Dictionary<string, string?>
        {
            ["urls"] = "http://127.0.0.1:0",
            ["Coliseum:DataDirectory"] = dataDirectory,
            ["Logging:LogLevel:Default"] = "Warning",
        };
        foreach (var (key, value) in TestBackend.Settings(dataDirectory))
        {
            config[key] = value;
        }
        if (configureKeys)
        {
            config["Coliseum:Keys:Write:0"] = WriteKey;
            config["Coliseum:Keys:Read:0"] = ReadKey;
            config["Coliseum:Keys:Admin:0"] = AdminKey;
        }
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            config[key] = value;
        }
        var app = await ColiseumApp.BuildAsync([], builder => builder.Configuration.AddInMemoryCollection(config));
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        return new TestServer(app, dataDirectory, new Uri(address)) { _ownsDirectory = owns };
    }

    /// <summary>POSTs a body as-is with the write key in X-Coliseum-Key (unless <paramref name="key"/> says otherwise).</summary>
    public Task<HttpResponseMessage> PostAsync(string path, string body, string? key = WriteKey, string contentType = "application/json") =>
        PostAsync(path, Encoding.UTF8.GetBytes(body), key, contentType);

    public async Task<HttpResponseMessage> PostAsync(string path, byte[] body, string? key = WriteKey, string? contentType = "application/json")
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ByteArrayContent(body) };
        if (contentType is not null)
        {
            request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        }
        if (key is not null)
        {
            request.Headers.Add("X-Coliseum-Key", key);
        }
        return await Client.SendAsync(request);
    }

    /// <summary>Sends a request with a key as <c>Authorization: Bearer</c> (none when null) and an optional JSON body.</summary>
    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string? key, string? body = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (key is not null)
        {
            request.Headers.Add("Authorization", "Bearer " + key);
        }
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }
        return await Client.SendAsync(request);
    }

    /// <summary>Runs a query against the real database, as the platform's own SQL would.</summary>
    public T Scalar<T>(string sql) => Sql.Scalar<T>(DatabasePath, sql);

    public long LogCount => Scalar<long>("SELECT COUNT(*) FROM passport_entries");

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        SqliteConnection.ClearAllPools();
        if (_ownsDirectory)
        {
            // A directory the test handed in is the test's to keep (restarts); one made here is not.
            TestBackend.Drop(DataDirectory);
            Directory.Delete(DataDirectory, recursive: true);
        }
    }
}
