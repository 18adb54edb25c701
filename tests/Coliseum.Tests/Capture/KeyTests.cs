using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Coliseum.Tests.Infrastructure;

namespace Coliseum.Tests.Capture;

/// <summary>Invariant 8 at the capture door: only write (or admin) keys append events.</summary>
public sealed class KeyTests : IAsyncLifetime
{
    private const string KeyRequired = "a write key is required: send Authorization: Basic base64(key:), X-Coliseum-Key, or writeKey in the body";
    private const string KeyNotValid = "the key is not valid";
    private const string ReadKeyRefused = "a read key cannot append events; use a write key";

    private TestServer _server = null!;

    public async Task InitializeAsync() => _server = await TestServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    /// <summary>How a client presents its key.</summary>
    public enum Way { XColiseumKey, Basic, Bearer, BodyWriteKey, None }

    public static string[] CapturePaths => ["/api/passport/log", "/api/passport/batch", "/v1/track", "/v1/batch"];

    /// <summary>One valid event for <paramref name="path"/>, with <c>writeKey</c> in the body when asked.</summary>
    private static string Body(string path, string messageId, string? bodyKey = null)
    {
        JsonObject body = path switch
        {
            "/api/passport/log" => Events.TrackPlayed(messageId),
            "/api/passport/batch" => new JsonObject { ["events"] = new JsonArray(Events.TrackPlayed(messageId)) },
            "/v1/track" => new JsonObject { ["userId"] = "fan-1", ["event"] = "Song Shared", ["messageId"] = messageId },
            "/v1/batch" => new JsonObject { ["batch"] = new JsonArray(new JsonObject { ["type"] = "track", ["userId"] = "fan-1", ["event"] = "Song Shared", ["messageId"] = messageId }) },
            _ => throw new ArgumentOutOfRangeException(nameof(path)),
        };
        if (bodyKey is not null)
        {
            body["writeKey"] = bodyKey;
        }
        return body.ToJsonString();
    }

    private static Task<HttpResponseMessage> SendAsync(TestServer server, string path, Way way, string? key, string? body = null, string messageId = "m-key")
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path)
        {
            Content = new StringContent(body ?? Body(path, messageId, way == Way.BodyWriteKey ? key : null), Encoding.UTF8, "application/json"),
        };
        switch (way)
        {
            case Way.XColiseumKey:
                request.Headers.Add("X-Coliseum-Key", key);
                break;
            case Way.Basic:
                request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(key + ":")));
                break;
            case Way.Bearer:
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
                break;
        }
        return server.Client.SendAsync(request);
    }

    private static int SuccessStatus(string path) => path == "/api/passport/log" ? 201 : 200;

    public static TheoryData<string, Way> PathsAndWays()
    {
        var data = new TheoryData<string, Way>();
        foreach (var path in CapturePaths)
        {
            foreach (var way in new[] { Way.XColiseumKey, Way.Basic, Way.Bearer, Way.BodyWriteKey })
            {
                data.Add(path, way);
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(PathsAndWays))]
    public async Task Write_key_is_accepted_however_it_is_presented_and_is_never_stored(string path, Way way)
    {
        var response = await SendAsync(_server, path, way, TestServer.WriteKey);

        Assert.Equal(SuccessStatus(path), (int)response.StatusCode);
        Assert.Equal("m-key", _server.Scalar<string>("SELECT group_concat(message_id) FROM passport_entries"));
        Assert.Equal(0, _server.Scalar<long>($"SELECT COUNT(*) FROM passport_log WHERE CAST(metadata AS text) LIKE '%{TestServer.WriteKey}%' OR CAST(context AS text) LIKE '%{TestServer.WriteKey}%'"));
    }

    [Theory]
    [MemberData(nameof(PathsAndWays))]
    public async Task Admin_key_may_write(string path, Way way)
    {
        var response = await SendAsync(_server, path, way, TestServer.AdminKey);

        Assert.Equal(SuccessStatus(path), (int)response.StatusCode);
        Assert.Equal(1, _server.LogCount);
    }

    [Theory]
    [MemberData(nameof(PathsAndWays))]
    public async Task Wrong_key_is_refused_with_401_and_nothing_is_stored(string path, Way way)
    {
        var response = await SendAsync(_server, path, way, "cw_not-a-key-we-issued");

        await response.AssertProblemAsync(HttpStatusCode.Unauthorized, KeyNotValid);
        Assert.Equal(0, _server.LogCount);
    }

    [Theory]
    [MemberData(nameof(PathsAndWays))]
    public async Task Read_key_on_a_capture_endpoint_is_refused_with_403_and_nothing_is_stored(string path, Way way)
    {
        var response = await SendAsync(_server, path, way, TestServer.ReadKey);

        await response.AssertProblemAsync(HttpStatusCode.Forbidden, ReadKeyRefused);
        Assert.Equal(0, _server.LogCount);
    }

    [Theory]
    [InlineData("/api/passport/log")]
    [InlineData("/api/passport/batch")]
    [InlineData("/v1/track")]
    [InlineData("/v1/batch")]
    [InlineData("/v1/identify")]
    public async Task Request_without_a_key_is_refused_with_401_saying_how_to_send_one(string path)
    {
        var response = await SendAsync(_server, path, Way.None, null, body: Body(path == "/v1/identify" ? "/v1/track" : path, "m-nokey"));

        await response.AssertProblemAsync(HttpStatusCode.Unauthorized, KeyRequired);
        Assert.Equal(0, _server.LogCount);
    }

    [Theory]
    [InlineData("/api/passport/log")]
    [InlineData("/v1/track")]
    public async Task Wrong_header_key_is_refused_even_when_the_body_carries_the_right_writeKey(string path)
    {
        var response = await SendAsync(_server, path, Way.XColiseumKey, "wrong", body: Body(path, "m-both", bodyKey: TestServer.WriteKey));

        await response.AssertProblemAsync(HttpStatusCode.Unauthorized, KeyNotValid);
        Assert.Equal(0, _server.LogCount);
    }

    [Theory]
    [InlineData("/api/passport/log")]
    [InlineData("/v1/track")]
    public async Task Wrong_header_key_is_refused_before_the_body_is_looked_at(string path)
    {
        var response = await SendAsync(_server, path, Way.Basic, "wrong", body: "this is not JSON");

        await response.AssertProblemAsync(HttpStatusCode.Unauthorized, KeyNotValid);
    }

    [Theory]
    [InlineData("Basic !!!not-base64!!!", KeyNotValid)]
    [InlineData("Basic Og==", KeyNotValid)] // base64(":"): an empty user name
    [InlineData("Basic ", KeyRequired)]     // HTTP trims the header to "Basic": no credentials at all
    [InlineData("Bearer ", KeyRequired)]
    [InlineData("Digest username=\"test-write-key\"", KeyRequired)]
    public async Task Malformed_authorization_header_is_refused_with_401(string authorization, string error)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/track") { Content = new StringContent(Body("/v1/track", "m-bad-auth"), Encoding.UTF8, "text/plain") };
        request.Headers.TryAddWithoutValidation("Authorization", authorization);

        var response = await _server.Client.SendAsync(request);

        await response.AssertProblemAsync(HttpStatusCode.Unauthorized, error);
        Assert.Equal(0, _server.LogCount);
    }

    [Fact]
    public async Task Basic_credentials_without_the_colon_are_read_as_the_key()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/track") { Content = new StringContent(Body("/v1/track", "m-no-colon"), Encoding.UTF8, "text/plain") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(TestServer.WriteKey)));

        var response = await _server.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(1, _server.LogCount);
    }

    [Fact]
    public async Task Body_writeKey_that_is_not_a_string_counts_as_no_key()
    {
        var body = JsonNode.Parse(Body("/v1/track", "m-num-key"))!;
        body["writeKey"] = 12345;

        var response = await SendAsync(_server, "/v1/track", Way.None, null, body: body.ToJsonString());

        await response.AssertProblemAsync(HttpStatusCode.Unauthorized, KeyRequired);
        Assert.Equal(0, _server.LogCount);
    }

    [Fact]
    public async Task Keyless_capture_lets_browsers_post_to_the_passport_endpoints_without_a_key_but_not_to_Segment()
    {
        await using var keyless = await TestServer.StartAsync(new Dictionary<string, string?> { ["Coliseum:Capture:AllowKeyless"] = "true" });

        var log = await SendAsync(keyless, "/api/passport/log", Way.None, null, messageId: "k-log");
        var batch = await SendAsync(keyless, "/api/passport/batch", Way.None, null, messageId: "k-batch");
        var track = await SendAsync(keyless, "/v1/track", Way.None, null, messageId: "k-track");
        var segmentBatch = await SendAsync(keyless, "/v1/batch", Way.None, null, messageId: "k-segment-batch");

        Assert.Equal(HttpStatusCode.Created, log.StatusCode);
        Assert.Equal(HttpStatusCode.OK, batch.StatusCode);
        await track.AssertProblemAsync(HttpStatusCode.Unauthorized, KeyRequired);
        await segmentBatch.AssertProblemAsync(HttpStatusCode.Unauthorized, KeyRequired);
        Assert.Equal(["k-log", "k-batch"], Sql.Column(keyless.DatabasePath, "SELECT message_id FROM passport_entries ORDER BY position"));
    }

    [Theory]
    [InlineData(Way.XColiseumKey, "wrong", 401)]
    [InlineData(Way.BodyWriteKey, "wrong", 401)]
    [InlineData(Way.Basic, TestServer.ReadKey, 403)]
    public async Task Keyless_capture_still_refuses_a_key_that_is_presented_and_wrong(Way way, string key, int status)
    {
        await using var keyless = await TestServer.StartAsync(new Dictionary<string, string?> { ["Coliseum:Capture:AllowKeyless"] = "true" });

        var response = await SendAsync(keyless, "/api/passport/log", way, key);

        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal(0, keyless.LogCount);
    }

    [Fact]
    public async Task Without_configured_keys_the_first_start_stores_one_hash_per_role_in_the_database_and_no_key()
    {
        var directory = TempDirectory.Create("keys");
        await using var server = await TestServer.StartAsync(dataDirectory: directory, configureKeys: false);

        var rows = Sql.Column(server.DatabasePath, "SELECT role || ' ' || sha256 || ' ' || prefix || ' ' || source || ' ' || COALESCE(CAST(revoked_at AS text), '-') FROM coliseum_keys ORDER BY id");
        Assert.Equal(3, rows.Count);
        Assert.Collection(rows,
            r => Assert.Matches("^write [0-9a-f]{64} cw_[0-9a-f]{8} generated -$", r),
            r => Assert.Matches("^read [0-9a-f]{64} cr_[0-9a-f]{8} generated -$", r),
            r => Assert.Matches("^admin [0-9a-f]{64} ca_[0-9a-f]{8} generated -$", r));
        Assert.Equal(3, rows.Select(r => r.Split(' ')[1]).Distinct().Count());
        Assert.False(File.Exists(Path.Combine(directory, "keys.json")));
    }

    [Theory]
    [InlineData(TestServer.WriteKey)]
    [InlineData(TestServer.AdminKey)]
    [InlineData(null)]
    public async Task Without_configured_keys_a_key_the_server_did_not_generate_is_refused(string? key)
    {
        await using var server = await TestServer.StartAsync(configureKeys: false);
        key ??= "cw_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(20));

        var response = await SendAsync(server, "/api/passport/log", Way.XColiseumKey, key);

        await response.AssertProblemAsync(HttpStatusCode.Unauthorized, KeyNotValid);
        Assert.Equal(0, server.LogCount);
    }

    [Fact]
    public async Task Second_start_with_the_same_data_directory_keeps_the_generated_keys_and_makes_no_more()
    {
        var directory = TempDirectory.Create("keys");
        var database = TestBackend.Database(directory);
        await using (await TestServer.StartAsync(dataDirectory: directory, configureKeys: false))
        {
        }
        var first = Sql.Column(database, "SELECT sha256 FROM coliseum_keys ORDER BY id");

        await using (await TestServer.StartAsync(dataDirectory: directory, configureKeys: false))
        {
        }

        Assert.Equal(3, first.Count);
        Assert.Equal(first, Sql.Column(database, "SELECT sha256 FROM coliseum_keys ORDER BY id"));
    }

    [Fact]
    public async Task A_keys_json_from_an_earlier_version_is_imported_once_and_its_keys_keep_working()
    {
        var directory = TempDirectory.Create("keys-legacy");
        var writeKey = "cw_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(20));
        var readKey = "cr_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(20));
        await File.WriteAllTextAsync(Path.Combine(directory, "keys.json"), $$"""
            {"keys": [
              {"role": "Write", "sha256": "{{Sha256(writeKey)}}", "createdAt": "2026-11-01T10:00:00+00:00"},
              {"role": "Read", "sha256": "{{Sha256(readKey)}}", "createdAt": "2026-11-01T10:00:00+00:00"}
            ]}
            """);

        await using (var server = await TestServer.StartAsync(dataDirectory: directory, configureKeys: false))
        {
            Assert.Equal(HttpStatusCode.Created, (await SendAsync(server, "/api/passport/log", Way.XColiseumKey, writeKey, messageId: "legacy-1")).StatusCode);
            Assert.Equal(HttpStatusCode.Forbidden, (await SendAsync(server, "/api/passport/log", Way.XColiseumKey, readKey, messageId: "legacy-2")).StatusCode);
            // Imported keys count as keys: no new ones are generated beside them.
            Assert.Equal(["write cw_ keys.json", "read cr_ keys.json"], Sql.Column(server.DatabasePath, "SELECT role || ' ' || prefix || ' ' || source FROM coliseum_keys ORDER BY id"));
            Sql.Execute(server.DatabasePath, $"UPDATE coliseum_keys SET revoked_at = 1 WHERE sha256 = '{Sha256(writeKey)}'");
        }

        // The file is still there; importing it again neither duplicates nor un-revokes.
        await using var again = await TestServer.StartAsync(dataDirectory: directory, configureKeys: false);
        Assert.Equal(2, again.Scalar<long>("SELECT COUNT(*) FROM coliseum_keys"));
        await (await SendAsync(again, "/api/passport/log", Way.XColiseumKey, writeKey, messageId: "legacy-3")).AssertProblemAsync(HttpStatusCode.Unauthorized, KeyNotValid);
    }

    private static string Sha256(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    [Fact]
    public async Task Generated_keys_are_printed_once_and_the_printed_write_key_works_across_restarts()
    {
        var directory = TempDirectory.Create("keys-process");

        string writeKey, readKey;
        await using (var first = await ChildServer.StartAsync(directory, configureKeys: false))
        {
            writeKey = first.AnnouncedKey("write key");
            readKey = first.AnnouncedKey("read key");
            var hashes = Sql.Column(first.DatabasePath, "SELECT sha256 || ' ' || prefix FROM coliseum_keys");
            Assert.Contains($"{Sha256(writeKey)} {writeKey[..11]}", hashes);
            Assert.Equal(0, Sql.Scalar<long>(first.DatabasePath, $"SELECT COUNT(*) FROM coliseum_keys WHERE COALESCE(name, '') || prefix || sha256 || source LIKE '%{writeKey}%'"));

            Assert.Equal(HttpStatusCode.Created, (await first.PostAsync("/api/passport/log", Events.TrackPlayed("p-1").ToJsonString(), writeKey)).StatusCode);
            Assert.Equal(HttpStatusCode.Forbidden, (await first.PostAsync("/api/passport/log", Events.TrackPlayed("p-2").ToJsonString(), readKey)).StatusCode);
        }

        await using var second = await ChildServer.StartAsync(directory, configureKeys: false);
        Assert.DoesNotContain("write key", second.Output, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Created, (await second.PostAsync("/api/passport/log", Events.TrackPlayed("p-3").ToJsonString(), writeKey)).StatusCode);
        Assert.Equal(["p-1", "p-3"], Sql.Column(TestBackend.Database(directory), "SELECT message_id FROM passport_entries ORDER BY position"));
    }
}
