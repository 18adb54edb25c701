using Coliseum.Storage;
using Coliseum.Storage.Sqlite;
using Coliseum.Tests.Infrastructure;

namespace Coliseum.Tests.Storage;

public sealed class SqlitePassportStoreTests : PassportStoreConformance
{
    private readonly string _path = Path.Combine(TempDirectory.Create("store"), "coliseum.db");

    protected override async Task<IPassportStore> CreateStoreAsync(bool reopen)
    {
        var store = new SqlitePassportStore(_path);
        await store.InitializeAsync(CancellationToken.None);
        return store;
    }

    [Fact]
    public async Task Database_is_in_WAL_mode_with_the_platform_tables()
    {
        await using var store = await CreateStoreAsync(reopen: true);

        Assert.Equal("wal", Sql.Scalar<string>(_path, "PRAGMA journal_mode"));
        Assert.Equal(3, Sql.Scalar<long>(_path, "SELECT COUNT(*) FROM consumer_cursors"));
        Assert.Equal(0, Sql.Scalar<long>(_path, "SELECT COUNT(*) FROM passport_entries"));
        Assert.Equal(Coliseum.Storage.Sqlite.SqliteMigrations.Scripts.Count, (int)Sql.Scalar<long>(_path, "SELECT COUNT(*) FROM schema_migrations"));
        Assert.True(Coliseum.Storage.Sqlite.SqliteMigrations.Scripts.Count >= 3);
    }

    [Fact]
    public async Task WAL_is_checkpointed_and_started_over_so_it_stays_bounded_under_steady_appends()
    {
        await using var store = await CreateStoreAsync(reopen: true);
        var metadata = "{\"pad\":\"" + new string('x', 2_000) + "\"}";
        var inserted = new bool[500];

        // 60 MB of rows in commits of 500, fifteen times the checkpoint pacing.
        for (var batch = 0; batch < 60; batch++)
        {
            var records = Enumerable.Range(0, 500).Select(i => Record($"w-{batch}-{i}", metadata: metadata)).ToArray();
            await store.AppendAsync(records, inserted, CancellationToken.None);
        }

        var wal = new FileInfo(_path + "-wal").Length;
        Assert.True(wal < 24L << 20, $"WAL is {wal >> 20} MB after 60 MB of appends: it is not being started over");
        Assert.Equal(30_000, Sql.Scalar<long>(_path, "SELECT COUNT(*) FROM passport_log"));
    }
}
