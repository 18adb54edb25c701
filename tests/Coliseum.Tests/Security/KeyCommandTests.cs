using System.Net;
using System.Security.Cryptography;
using System.Text;
using Coliseum.Tests.Capture;
using Coliseum.Tests.Infrastructure;

namespace Coliseum.Tests.Security;

/// <summary><c>coliseum keys create|list|revoke</c> against the data directory of a server that is running.</summary>
public sealed class KeyCommandTests
{
    [Fact]
    public async Task A_key_made_and_then_revoked_with_the_cli_works_and_then_is_refused_by_the_running_server_without_a_restart()
    {
        await using var server = await TestServer.StartAsync();

        var (exit, output, error) = await KeyCli.RunAsync("keys", "create", "--role", "read", "--name", "wall screen", "--data-dir", server.DataDirectory);
        Assert.True(exit == 0, error);
        var key = output.Trim();
        Assert.Matches("^cr_[0-9a-f]{40}$", key);
        Assert.DoesNotContain(key, error, StringComparison.Ordinal);

        // Made by another process: the server notices by polling the key version (Coliseum:Keys:RefreshMilliseconds).
        await KeyCli.UntilAsync(server, "/api/coliseum/counters", key, HttpStatusCode.OK);

        var list = await KeyCli.RunAsync("keys", "list", "--data-dir", server.DataDirectory);
        Assert.Equal(0, list.Exit);
        var line = Assert.Single(list.Output.Split('\n'), l => l.Contains("wall screen", StringComparison.Ordinal));
        Assert.Matches(@"^\d+\s+wall screen\s+read\s+" + key[..11] + @"…\s+cli\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\s+-$", line.TrimEnd());
        Assert.DoesNotContain(key, list.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(Sha256(key), list.Output, StringComparison.Ordinal);

        var revoke = await KeyCli.RunAsync("keys", "revoke", key[..11] + "…", "--data-dir", server.DataDirectory);
        Assert.True(revoke.Exit == 0, revoke.Error);

        await KeyCli.UntilAsync(server, "/api/coliseum/counters", key, HttpStatusCode.Unauthorized);
        using var refused = await server.SendAsync(HttpMethod.Get, "/api/coliseum/counters", key);
        await refused.AssertProblemAsync(HttpStatusCode.Unauthorized, "a read key is required: Authorization: Bearer <read key>");
        Assert.Equal(1, server.Scalar<long>("SELECT COUNT(*) FROM coliseum_keys WHERE revoked_at IS NOT NULL"));
    }

    [Fact]
    public async Task Keys_can_be_made_before_the_first_start_and_then_no_keys_are_generated()
    {
        var directory = TempDirectory.Create("keys-cli");

        var (exit, output, error) = await KeyCli.RunAsync("keys", "create", "--role", "write", "--data-dir", directory);
        Assert.True(exit == 0, error);

        await using var server = await TestServer.StartAsync(dataDirectory: directory, configureKeys: false);
        using var response = await server.PostAsync("/api/passport/log", Events.TrackPlayed("cli-1").ToJsonString(), key: output.Trim());
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal(["write cli"], Sql.Column(server.DatabasePath, "SELECT role || ' ' || source FROM coliseum_keys"));
    }

    [Theory]
    [InlineData(new[] { "keys", "revoke", "999" }, 1, "no key has the id 999")]
    [InlineData(new[] { "keys", "revoke", "cw_ffffffff" }, 1, "no key has the id or prefix 'cw_ffffffff'")]
    [InlineData(new[] { "keys", "create", "--role", "owner" }, 1, "owner")]
    public async Task Wrong_arguments_fail_with_a_message(string[] args, int exit, string message)
    {
        var directory = TempDirectory.Create("keys-cli");

        var result = await KeyCli.RunAsync([.. args, "--data-dir", directory]);

        Assert.Equal(exit, result.Exit);
        Assert.Contains(message, result.Output + result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_prefix_shared_by_two_valid_keys_is_refused_as_ambiguous_and_revokes_nothing()
    {
        var directory = TempDirectory.Create("keys-cli");
        Assert.Equal(0, (await KeyCli.RunAsync("keys", "create", "--role", "admin", "--data-dir", directory)).Exit);
        Assert.Equal(0, (await KeyCli.RunAsync("keys", "create", "--role", "admin", "--data-dir", directory)).Exit);

        var result = await KeyCli.RunAsync("keys", "revoke", "ca_", "--data-dir", directory);

        Assert.Equal(2, result.Exit);
        Assert.Contains("matches keys 1, 2; give the id", result.Error, StringComparison.Ordinal);
        Assert.Equal(0, Sql.Scalar<long>(TestBackend.Database(directory), "SELECT COUNT(*) FROM coliseum_keys WHERE revoked_at IS NOT NULL"));
    }

    private static string Sha256(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));
}
