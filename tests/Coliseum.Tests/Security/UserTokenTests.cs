using System.Net;
using System.Text;
using System.Text.Json;
using Coliseum.Tests.Infrastructure;
using Microsoft.IdentityModel.Tokens;

namespace Coliseum.Tests.Security;

/// <summary>
/// User tokens on the browser endpoints: a valid Supabase JWT lets a signed-in user write their own events
/// (and only theirs) and read their own passport; an expired, forged or wrongly signed one is refused.
/// </summary>
public sealed class UserTokenTests
{
    private static Dictionary<string, string?> Settings(bool requireForKeyless = true) => new()
    {
        ["Coliseum:Capture:AllowKeyless"] = "true",
        ["Coliseum:Tokens:Secret"] = TokenFactory.Secret,
        ["Coliseum:Tokens:Audience"] = TokenFactory.Audience,
        ["Coliseum:Tokens:RequireForKeyless"] = requireForKeyless ? "true" : "false",
    };

    private static string Event(string userId, string messageId) =>
        $$"""{"type":"player.track_played","userId":"{{userId}}","at":"2026-11-25T10:00:00Z","messageId":"{{messageId}}","trackId":"t1","artistId":"a1","durationSeconds":30}""";

    private static async Task<(HttpStatusCode Status, JsonElement Body)> PostAsync(TestServer server, string path, string body, string? token, string? key = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        if (token is not null)
        {
            request.Headers.Add("Authorization", "Bearer " + token);
        }
        if (key is not null)
        {
            request.Headers.Add("X-Coliseum-Key", key);
        }
        using var response = await server.Client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, JsonDocument.Parse(text.Length == 0 ? "null" : text).RootElement.Clone());
    }

    private static long Stored(TestServer server, string userId) => server.Scalar<long>($"SELECT COUNT(*) FROM passport_log WHERE user_id = '{userId}'");

    [Fact]
    public async Task A_valid_token_lets_a_browser_log_its_own_events_without_a_key()
    {
        await using var server = await TestServer.StartAsync(Settings());
        var (status, body) = await PostAsync(server, "/api/passport/log", Event("u1", "m1"), TokenFactory.Hs256("u1"));
        Assert.Equal(HttpStatusCode.Created, status);
        Assert.True(body.GetProperty("ok").GetBoolean());
        var (batchStatus, _) = await PostAsync(server, "/api/passport/batch", $$"""{"events":[{{Event("u1", "m2")}},{{Event("u1", "m3")}}]}""", TokenFactory.Hs256("u1"));
        Assert.Equal(HttpStatusCode.OK, batchStatus);
        Assert.Equal(3, Stored(server, "u1"));
    }

    [Fact]
    public async Task Keyless_capture_without_a_token_is_refused_when_tokens_are_required_and_allowed_when_not()
    {
        await using (var server = await TestServer.StartAsync(Settings(requireForKeyless: true)))
        {
            var (status, body) = await PostAsync(server, "/api/passport/log", Event("u1", "m1"), token: null);
            Assert.Equal(HttpStatusCode.Unauthorized, status);
            Assert.Equal("Authorization", body.GetProperty("field").GetString());
            // A write key still works as before, token or not.
            Assert.Equal(HttpStatusCode.Created, (await PostAsync(server, "/api/passport/log", Event("u1", "m2"), token: null, key: TestServer.WriteKey)).Status);
            Assert.Equal(1, Stored(server, "u1"));
        }
        await using (var server = await TestServer.StartAsync(Settings(requireForKeyless: false)))
        {
            Assert.Equal(HttpStatusCode.Created, (await PostAsync(server, "/api/passport/log", Event("u1", "m1"), token: null)).Status);
        }
    }

    public static TheoryData<string, string, string> BadTokens => new()
    {
        { "expired", TokenFactory.Hs256("u1", expiresIn: TimeSpan.FromMinutes(-10)), "expired" },
        { "wrong secret", TokenFactory.Hs256("u1", secret: "another-secret-that-is-also-long-enough-to-sign"), "signature" },
        { "HS384", TokenFactory.Hs256("u1", algorithm: SecurityAlgorithms.HmacSha384), "algorithm" },
        { "alg none", TokenFactory.Unsigned("u1"), "algorithm 'none'" },
        { "wrong audience", TokenFactory.Hs256("u1", audience: "anon"), "audience" },
        { "tampered payload", Tamper(TokenFactory.Hs256("u2"), "u1"), "signature" },
    };

    [Theory]
    [MemberData(nameof(BadTokens))]
    public async Task A_bad_token_is_401_and_stores_nothing_even_with_a_valid_write_key(string what, string token, string reason)
    {
        await using var server = await TestServer.StartAsync(Settings());
        var (status, body) = await PostAsync(server, "/api/passport/log", Event("u1", "m1"), token);
        Assert.True(status == HttpStatusCode.Unauthorized, $"{what}: {status} {body}");
        Assert.Contains(reason, body.GetProperty("detail").GetString(), StringComparison.Ordinal);
        // No silent fallback to the key: a token that is sent must be good.
        var (withKey, _) = await PostAsync(server, "/api/passport/batch", $$"""{"events":[{{Event("u1", "m2")}}]}""", token, TestServer.WriteKey);
        Assert.Equal(HttpStatusCode.Unauthorized, withKey);
        Assert.Equal(0, Stored(server, "u1"));
    }

    [Fact]
    public async Task An_event_for_another_user_is_403_and_a_batch_names_every_such_event_and_stores_none()
    {
        await using var server = await TestServer.StartAsync(Settings());
        var token = TokenFactory.Hs256("u1");
        var (status, body) = await PostAsync(server, "/api/passport/log", Event("u2", "m1"), token);
        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Equal("userId", body.GetProperty("field").GetString());

        var batch = $$"""{"events":[{{Event("u1", "m2")}},{{Event("u2", "m3")}},{{Event("u1", "m4")}},{{Event("u3", "m5")}}]}""";
        (status, body) = await PostAsync(server, "/api/passport/batch", batch, token);
        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Equal([1, 3], body.GetProperty("rejected").EnumerateArray().Select(r => r.GetProperty("index").GetInt32()));
        // With a write key too: the token still decides whose events these may be.
        (status, _) = await PostAsync(server, "/api/passport/batch", batch, token, TestServer.WriteKey);
        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Equal(0, server.LogCount);
    }

    [Fact]
    public async Task RS256_and_ES256_tokens_are_checked_with_a_JWKS_file_which_is_read_again_for_a_new_kid()
    {
        var directory = TempDirectory.Create("jwks");
        var jwks = Path.Combine(directory, "jwks.json");
        var rsa = TokenFactory.RsaKey("rsa-1");
        var ec = TokenFactory.EcKey("ec-1");
        await File.WriteAllTextAsync(jwks, TokenFactory.Jwks(rsa, ec));
        await using var server = await TestServer.StartAsync(new Dictionary<string, string?>
        {
            ["Coliseum:Capture:AllowKeyless"] = "true",
            ["Coliseum:Tokens:JwksPath"] = jwks,
            ["Coliseum:Tokens:Audience"] = TokenFactory.Audience,
            ["Coliseum:Tokens:JwksMinRefreshSeconds"] = "0",
        });
        Assert.Equal(HttpStatusCode.Created, (await PostAsync(server, "/api/passport/log", Event("u1", "m1"), TokenFactory.Signed("u1", rsa, SecurityAlgorithms.RsaSha256))).Status);
        Assert.Equal(HttpStatusCode.Created, (await PostAsync(server, "/api/passport/log", Event("u1", "m2"), TokenFactory.Signed("u1", ec, SecurityAlgorithms.EcdsaSha256))).Status);

        // A key that is not in the file (same kid, other key pair) does not verify.
        var impostor = TokenFactory.RsaKey("rsa-1");
        var (forged, body) = await PostAsync(server, "/api/passport/log", Event("u1", "m3"), TokenFactory.Signed("u1", impostor, SecurityAlgorithms.RsaSha256));
        Assert.Equal(HttpStatusCode.Unauthorized, forged);
        Assert.Contains("signature", body.GetProperty("detail").GetString(), StringComparison.Ordinal);

        // Rotation: a new kid is unknown until the file has it, then accepted without a restart.
        var next = TokenFactory.EcKey("ec-2");
        Assert.Equal(HttpStatusCode.Unauthorized, (await PostAsync(server, "/api/passport/log", Event("u1", "m4"), TokenFactory.Signed("u1", next, SecurityAlgorithms.EcdsaSha256))).Status);
        await File.WriteAllTextAsync(jwks, TokenFactory.Jwks(rsa, ec, next));
        Assert.Equal(HttpStatusCode.Created, (await PostAsync(server, "/api/passport/log", Event("u1", "m5"), TokenFactory.Signed("u1", next, SecurityAlgorithms.EcdsaSha256))).Status);
        Assert.Equal(3, Stored(server, "u1"));
        Directory.Delete(directory, recursive: true);
    }

    [Fact]
    public async Task Keys_come_from_a_JWKS_URL_fetched_again_for_a_new_kid_and_an_unreachable_URL_is_503()
    {
        var rsa = TokenFactory.RsaKey("url-1");
        var next = TokenFactory.EcKey("url-2");
        var jwks = TokenFactory.Jwks(rsa);
        var fetches = 0;
        using var listener = new System.Net.HttpListener();
        var port = FreePort();
        listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        listener.Start();
        var serving = Task.Run(async () =>
        {
            while (listener.IsListening)
            {
                System.Net.HttpListenerContext context;
                try { context = await listener.GetContextAsync(); } catch (System.Net.HttpListenerException) { return; } catch (ObjectDisposedException) { return; }
                Interlocked.Increment(ref fetches);
                var bytes = Encoding.UTF8.GetBytes(Volatile.Read(ref jwks));
                context.Response.ContentType = "application/json";
                await context.Response.OutputStream.WriteAsync(bytes);
                context.Response.Close();
            }
        });
        await using (var server = await TestServer.StartAsync(new Dictionary<string, string?>
        {
            ["Coliseum:Capture:AllowKeyless"] = "true",
            ["Coliseum:Tokens:JwksUrl"] = $"http://127.0.0.1:{port}/jwks.json",
            ["Coliseum:Tokens:JwksMinRefreshSeconds"] = "0",
        }))
        {
            Assert.Equal(HttpStatusCode.Created, (await PostAsync(server, "/api/passport/log", Event("u1", "m1"), TokenFactory.Signed("u1", rsa, SecurityAlgorithms.RsaSha256))).Status);
            Assert.Equal(HttpStatusCode.Created, (await PostAsync(server, "/api/passport/log", Event("u1", "m2"), TokenFactory.Signed("u1", rsa, SecurityAlgorithms.RsaSha256))).Status);
            Assert.Equal(1, Volatile.Read(ref fetches)); // cached
            Volatile.Write(ref jwks, TokenFactory.Jwks(rsa, next));
            Assert.Equal(HttpStatusCode.Created, (await PostAsync(server, "/api/passport/log", Event("u1", "m3"), TokenFactory.Signed("u1", next, SecurityAlgorithms.EcdsaSha256))).Status);
            Assert.Equal(2, Volatile.Read(ref fetches));
        }
        listener.Stop();
        await serving;

        await using (var server = await TestServer.StartAsync(new Dictionary<string, string?>
        {
            ["Coliseum:Capture:AllowKeyless"] = "true",
            ["Coliseum:Tokens:JwksUrl"] = $"http://127.0.0.1:{FreePort()}/jwks.json",
        }))
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/passport/log") { Content = new StringContent(Event("u1", "m4"), Encoding.UTF8, "application/json") };
            request.Headers.Add("Authorization", "Bearer " + TokenFactory.Signed("u1", rsa, SecurityAlgorithms.RsaSha256));
            using var response = await server.Client.SendAsync(request);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.NotNull(response.Headers.RetryAfter);
            Assert.Equal(0, server.LogCount);
        }
    }

    private static int FreePort()
    {
        using var socket = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        socket.Start();
        return ((IPEndPoint)socket.LocalEndpoint).Port;
    }

    [Fact]
    public async Task Passport_me_with_a_token_serves_only_the_tokens_own_user()
    {
        await using var server = await TestServer.StartAsync(Settings());
        await Query.QueryClient.LoadAsync(server, [Event("u1", "m1"), Event("u1", "m2"), Event("u2", "m3")]);

        var (status, body) = await Query.QueryClient.GetAsync(server, "/api/passport/me", TokenFactory.Hs256("u1"));
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("u1", body.GetProperty("userId").GetString());
        Assert.Equal(["m2", "m1"], body.GetProperty("entries").EnumerateArray().Select(e => e.GetProperty("messageId").GetString()));
        Assert.Equal(HttpStatusCode.OK, (await Query.QueryClient.GetAsync(server, "/api/passport/me?userId=u1", TokenFactory.Hs256("u1"))).Status);

        (status, body) = await Query.QueryClient.GetAsync(server, "/api/passport/me?userId=u2", TokenFactory.Hs256("u1"));
        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Equal("userId", body.GetProperty("field").GetString());
        Assert.Equal(HttpStatusCode.Unauthorized, (await Query.QueryClient.GetAsync(server, "/api/passport/me", TokenFactory.Hs256("u1", expiresIn: TimeSpan.FromMinutes(-5)))).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await Query.QueryClient.GetAsync(server, "/api/passport/me", TokenFactory.Unsigned("u2"))).Status);

        // An admin key still names any user; a read key cannot.
        (status, body) = await Query.QueryClient.GetAsync(server, "/api/passport/me?userId=u2", TestServer.AdminKey);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(["m3"], body.GetProperty("entries").EnumerateArray().Select(e => e.GetProperty("messageId").GetString()));
        Assert.Equal(HttpStatusCode.Forbidden, (await Query.QueryClient.GetAsync(server, "/api/passport/me?userId=u2", TestServer.ReadKey)).Status);
        // A token is not a key: it opens no analytics endpoint.
        Assert.Equal(HttpStatusCode.Unauthorized, (await Query.QueryClient.GetAsync(server, "/api/coliseum/status", TokenFactory.Hs256("u1"))).Status);
    }

    [Fact]
    public void A_JWT_is_told_apart_from_a_key()
    {
        Assert.True(Coliseum.Security.UserTokens.LooksLikeJwt(TokenFactory.Hs256("u1")));
        Assert.True(Coliseum.Security.UserTokens.LooksLikeJwt(TokenFactory.Unsigned("u1")));
        Assert.False(Coliseum.Security.UserTokens.LooksLikeJwt("cw_0123456789abcdef0123456789abcdef01234567"));
        Assert.False(Coliseum.Security.UserTokens.LooksLikeJwt("test-write-key"));
        Assert.False(Coliseum.Security.UserTokens.LooksLikeJwt("a..c"));
        Assert.False(Coliseum.Security.UserTokens.LooksLikeJwt("a.b.c.d"));
    }

    /// <summary>Swaps the payload's sub and keeps the original signature.</summary>
    private static string Tamper(string token, string sub)
    {
        var parts = token.Split('.');
        var payload = Encoding.UTF8.GetString(Convert.FromBase64String(Pad(parts[1].Replace('-', '+').Replace('_', '/'))));
        var changed = System.Text.Json.Nodes.JsonNode.Parse(payload)!.AsObject();
        changed["sub"] = sub;
        parts[1] = Convert.ToBase64String(Encoding.UTF8.GetBytes(changed.ToJsonString())).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        return string.Join('.', parts);
    }

    private static string Pad(string s) => s.PadRight(s.Length + (4 - s.Length % 4) % 4, '=');
}
