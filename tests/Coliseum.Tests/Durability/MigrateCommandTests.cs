using System.Net;
using Coliseum.Tests.Infrastructure;

namespace Coliseum.Tests.Durability;

/// <summary><c>coliseum migrate</c> on the test's backend (a SQLite file, or a PostgreSQL schema of its own).</summary>
public sealed class MigrateCommandTests
{
    [Fact]
    public async Task Migrate_creates_the_schema_lists_every_migration_and_a_second_run_applies_nothing()
    {
        var directory = TempDirectory.Create("migrate");

        var (exit, output, error) = await ColiseumCli.RunAsync("migrate", "--data-dir", directory);

        Assert.True(exit == 0, error);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        string[] expected = ["1 001_passport", "2 002_coliseum", "3 003_treasury", "4 004_mediaid", "5 005_reports", "6 006_attribution", "7 007_keys", "8 008_privacy"];
#if POSTGRES_BACKEND
        // PostgreSQL's own: where an append's claimed ids land, and the positions large appends hold until they commit
        expected = [.. expected, "9 009_passport_appends", "10 010_passport_pending"];
#endif
        Assert.Equal(expected, lines.Select(l => string.Join(' ', l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[..2])));
        Assert.Contains($"applied {expected.Length} migrations; now at version {expected.Length}.", error, StringComparison.Ordinal);
        Assert.DoesNotContain("Password", error, StringComparison.OrdinalIgnoreCase);

        (exit, output, error) = await ColiseumCli.RunAsync("migrate", "--data-dir", directory);
        Assert.True(exit == 0, error);
        Assert.Contains($"up to date at version {expected.Length}; nothing to apply.", error, StringComparison.Ordinal);
        Assert.Equal(expected.Length, output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);

        // A server starts on the migrated database and captures.
        await using (var server = await TestServer.StartAsync(dataDirectory: directory))
        {
            using var response = await server.PostAsync("/api/passport/log", Events.TrackPlayed("after-migrate").ToJsonString());
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
            Assert.Equal(1, server.LogCount);
        }
        TestBackend.Drop(directory);
        Directory.Delete(directory, recursive: true);
    }

    [Fact]
    public async Task An_unknown_provider_is_refused_naming_the_setting()
    {
        var directory = TempDirectory.Create("migrate-bad");

        var (exit, _, error) = await ColiseumCli.RunAsync("migrate", "--data-dir", directory, "--Coliseum:Storage:Provider=oracle");

        Assert.Equal(1, exit);
        Assert.Contains("Coliseum:Storage:Provider 'oracle' is not known: use 'sqlite' (the default) or 'postgres'", error, StringComparison.Ordinal);
        Directory.Delete(directory, recursive: true);
    }
}
