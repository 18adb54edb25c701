// PostgreSQL-only already (each test makes its own schema): Coliseum.Tests.Postgres, which compiles these files
// again with POSTGRES_BACKEND, would only run it a second time.
#if !POSTGRES_BACKEND
using System.Text.Json;
using Coliseum.Capture;
using Coliseum.Processing;
using Coliseum.Processing.Coliseum;
using Coliseum.Storage.Postgres;
using Coliseum.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;

namespace Coliseum.Tests.Processing;

/// <summary>
/// Issue 5: consumer leases on PostgreSQL, with two runners that stand for two processes (two owners, each
/// with its own advisory-lock session) on one schema of the test server.
/// </summary>
public sealed class PostgresLeaseTests
{
    private readonly EventValidator _validator = new(new CaptureOptions());
    private long _receivedAt = new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds();

    [Fact]
    public async Task Issue_5_a_lease_is_timed_by_the_database_clock_and_taken_at_once_when_its_holders_session_ends()
    {
        await using var schema = await PostgresSchema.CreateAsync("lease");
        await using var store = new PostgresPassportStore(schema.DataSource, schema.Name);
        await store.InitializeAsync(CancellationToken.None);
        var options = new ProcessingOptions();
        await AppendAsync(store, "lease-1");
        var first = Runner(store, options, "host-a:1:first", TimeProvider.System);
        Assert.Equal(1, await first.CatchUpAsync(100, null, CancellationToken.None));

        // Expiry is compared with the database's clock: a process whose clock runs a day ahead still waits.
        await Execute(schema, "UPDATE consumer_cursors SET lease_until = CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS bigint) + 60000 WHERE name = 'coliseum'");
        var second = Runner(store, options, "host-b:2:second", new AheadClock(TimeSpan.FromDays(1)));
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => second.CatchUpAsync(100, null, CancellationToken.None));
        Assert.Contains("host-a:1:first", refused.Message, StringComparison.Ordinal);

        // The holder's lock session ends (its process died): the lease is taken at once, a minute before it expires.
        var ended = await schema.ScalarAsync<long>("""
            SELECT COUNT(pg_terminate_backend(pid)) FROM pg_locks WHERE locktype = 'advisory' AND objsubid = 2
              AND classid = CAST(hashtext(current_schema()) AS oid) AND objid = CAST(hashtext('consumer:coliseum') AS oid)
            """);
        Assert.Equal(1, ended);
        // pg_terminate_backend only signals the backend; its locks go when it has exited.
        var gone = System.Diagnostics.Stopwatch.StartNew();
        while (await schema.ScalarAsync<long>(HeldLocks) > 0)
        {
            Assert.True(gone.Elapsed < TimeSpan.FromSeconds(10), "the terminated session still holds its lock");
            await Task.Delay(10);
        }
        Assert.Equal(0, await second.CatchUpAsync(100, null, CancellationToken.None));
        Assert.Equal("host-b:2:second", await schema.ScalarAsync<string>("SELECT lease_owner FROM consumer_cursors WHERE name = 'coliseum'"));

        // The old holder, still running, cannot commit: every cursor move is fenced on the lease row.
        await AppendAsync(store, "lease-2");
        await Assert.ThrowsAsync<LeaseLostException>(() => first.CatchUpAsync(100, null, CancellationToken.None));
        Assert.Equal(1, await second.CatchUpAsync(100, null, CancellationToken.None));
        Assert.Equal(2, await schema.ScalarAsync<long>("SELECT COUNT(*) FROM coliseum_metrics WHERE seq = 0"));
        await second.ReleaseAsync(CancellationToken.None);
        Assert.Equal(0, await schema.ScalarAsync<long>(HeldLocks));
    }

    private const string HeldLocks = "SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory' AND objsubid = 2 AND classid = CAST(hashtext(current_schema()) AS oid)";

    private static ConsumerRunner Runner(PostgresPassportStore store, ProcessingOptions options, string owner, TimeProvider time) =>
        new(new ColiseumConsumer(options), store, store, options, new LogSignal(), NullLogger.Instance, time, owner);

    private async Task AppendAsync(PostgresPassportStore store, string messageId)
    {
        using var document = JsonDocument.Parse(ColiseumConsumerTests.Play("u1", "a1", "2026-11-20T10:00:00Z").Replace("{", $$"""{"messageId":"{{messageId}}",""", StringComparison.Ordinal));
        Assert.True(_validator.TryValidate(document.RootElement, _receivedAt++, "api", out var record, out _));
        await store.AppendAsync([record], new bool[1], CancellationToken.None);
    }

    private static async Task Execute(PostgresSchema schema, string sql)
    {
        await using var command = schema.DataSource.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }

    private sealed class AheadClock(TimeSpan ahead) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + ahead;
    }
}
#endif
