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
        Assert.Equal(1, Sql.Scalar<long>(_path, "SELECT COUNT(*) FROM schema_migrations"));
    }
}
