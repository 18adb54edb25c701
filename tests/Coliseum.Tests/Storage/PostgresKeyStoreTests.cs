using Coliseum.Security;
using Coliseum.Storage;
using Coliseum.Storage.Postgres;
using Coliseum.Tests.Infrastructure;
using Npgsql;

namespace Coliseum.Tests.Storage;

public sealed class PostgresKeyStoreTests : KeyStoreConformance
{
    private PostgresSchema? _schema;

    protected override async Task<IKeyStore> CreateStoreAsync()
    {
        _schema = await PostgresSchema.CreateAsync("keys");
        await PostgresMigrations.ApplyAsync(_schema.DataSource, _schema.Name, CancellationToken.None);
        return new PostgresKeyStore(_schema.DataSource);
    }

    public override async Task DisposeAsync()
    {
        if (_schema is not null)
        {
            await _schema.DisposeAsync();
        }
    }

    private static NewKey Key(char fill) => new("name " + fill, KeyRole.Read, new string(fill, 64), "cr_" + new string(fill, 8), "generated", 1_000);

    [Fact]
    public async Task The_table_refuses_a_role_or_hash_that_is_not_one()
    {
        var role = await Assert.ThrowsAsync<PostgresException>(() => _schema!.ScalarAsync<object>(
            "INSERT INTO coliseum_keys (role, sha256, prefix, source, created_at) VALUES ('owner', repeat('1', 64), 'x', 'cli', 1)"));
        var hash = await Assert.ThrowsAsync<PostgresException>(() => _schema!.ScalarAsync<object>(
            "INSERT INTO coliseum_keys (role, sha256, prefix, source, created_at) VALUES ('read', 'abc', 'x', 'cli', 1)"));

        Assert.Equal([PostgresErrorCodes.CheckViolation, PostgresErrorCodes.CheckViolation], [role.SqlState, hash.SqlState]);
    }

    [Fact]
    public async Task Processes_starting_at_once_on_an_empty_database_store_one_set_of_keys()
    {
        // Each "process" has its own pool and set; without the table lock, several see an empty table and all insert.
        var sources = Enumerable.Range(0, 6).Select(_ => _schema!.NewDataSource()).ToArray();
        try
        {
            using var start = new Barrier(sources.Length);
            var results = await Task.WhenAll(sources.Select((source, i) => Task.Run(async () =>
            {
                var store = new PostgresKeyStore(source);
                await store.VersionAsync(CancellationToken.None); // opens a connection before the race
                start.SignalAndWait();
                return await store.AddIfEmptyAsync([Key((char)('a' + (2 * i))), Key((char)('b' + (2 * i)))], CancellationToken.None);
            })));

            Assert.Single(results, stored => stored);
            var winner = Array.IndexOf(results, true);
            var keys = await new PostgresKeyStore(_schema!.DataSource).ListAsync(CancellationToken.None);
            Assert.Equal([new string((char)('a' + (2 * winner)), 64), new string((char)('b' + (2 * winner)), 64)], keys.Select(k => k.Sha256));
        }
        finally
        {
            foreach (var source in sources)
            {
                await source.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task A_key_revoked_by_hand_from_another_schema_search_path_still_moves_the_version()
    {
        var store = new PostgresKeyStore(_schema!.DataSource);
        var key = await store.AddAsync(Key('a'), CancellationToken.None);
        var before = await store.VersionAsync(CancellationToken.None);

        // An operator in psql, search_path public, names the table with its schema; the trigger must still find the version row.
        await _schema.ExecuteOnServerAsync($"UPDATE {_schema.Name}.coliseum_keys SET revoked_at = 5 WHERE id = {key.Id}");

        Assert.True(await store.VersionAsync(CancellationToken.None) > before);
    }
}
