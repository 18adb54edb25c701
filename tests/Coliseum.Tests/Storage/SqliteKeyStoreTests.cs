using Coliseum.Storage;
using Coliseum.Storage.Sqlite;
using Coliseum.Tests.Infrastructure;
using Microsoft.Data.Sqlite;

namespace Coliseum.Tests.Storage;

public sealed class SqliteKeyStoreTests : KeyStoreConformance
{
    private readonly string _path = Path.Combine(TempDirectory.Create("keys-store"), "coliseum.db");

    protected override async Task<IKeyStore> CreateStoreAsync()
    {
        // The passport store runs the migrations, 007_keys among them, as serve does.
        await using (var passport = new SqlitePassportStore(_path))
        {
            await passport.InitializeAsync(CancellationToken.None);
        }
        return new SqliteKeyStore(_path);
    }

    public override Task DisposeAsync()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(Path.GetDirectoryName(_path)!, recursive: true);
        return Task.CompletedTask;
    }

    [Fact]
    public void The_table_refuses_a_role_or_hash_that_is_not_one()
    {
        Assert.Throws<SqliteException>(() => Sql.Execute(_path, "INSERT INTO coliseum_keys (role, sha256, prefix, source, created_at) VALUES ('owner', printf('%064d', 1), 'x', 'cli', 1)"));
        Assert.Throws<SqliteException>(() => Sql.Execute(_path, "INSERT INTO coliseum_keys (role, sha256, prefix, source, created_at) VALUES ('read', 'abc', 'x', 'cli', 1)"));
    }
}
