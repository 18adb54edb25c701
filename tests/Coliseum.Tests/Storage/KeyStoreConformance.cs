using Coliseum.Security;
using Coliseum.Storage;

namespace Coliseum.Tests.Storage;

/// <summary>What every <see cref="IKeyStore"/> must do; each backend inherits this in one line (PostgreSQL will join SQLite).</summary>
public abstract class KeyStoreConformance : IAsyncLifetime
{
    private IKeyStore _store = null!;

    /// <summary>A key store over fresh, migrated storage.</summary>
    protected abstract Task<IKeyStore> CreateStoreAsync();

    public async Task InitializeAsync() => _store = await CreateStoreAsync();

    public virtual Task DisposeAsync() => Task.CompletedTask;

    private static NewKey Key(char fill, KeyRole role = KeyRole.Read, string source = "cli") =>
        new("name " + fill, role, new string(fill, 64), "cr_" + new string(fill, 8), source, 1_000);

    [Fact]
    public async Task A_stored_key_is_listed_with_everything_but_the_key()
    {
        var stored = await _store.AddAsync(Key('a', KeyRole.Admin), CancellationToken.None);

        var listed = Assert.Single(await _store.ListAsync(CancellationToken.None));
        Assert.Equal(stored, listed);
        Assert.Equal(new StoredKey(stored.Id, "name a", KeyRole.Admin, new string('a', 64), "cr_aaaaaaaa", "cli", 1_000, null), listed);
    }

    [Fact]
    public async Task The_same_hash_cannot_be_stored_twice()
    {
        await _store.AddAsync(Key('a'), CancellationToken.None);

        await Assert.ThrowsAsync<InvalidOperationException>(() => _store.AddAsync(Key('a', KeyRole.Admin), CancellationToken.None));
        Assert.Single(await _store.ListAsync(CancellationToken.None));
    }

    [Fact]
    public async Task The_version_moves_with_every_add_and_revoke()
    {
        var v0 = await _store.VersionAsync(CancellationToken.None);
        var key = await _store.AddAsync(Key('a'), CancellationToken.None);
        var v1 = await _store.VersionAsync(CancellationToken.None);
        await _store.RevokeAsync(key.Id, 2_000, CancellationToken.None);
        var v2 = await _store.VersionAsync(CancellationToken.None);

        Assert.True(v1 > v0 && v2 > v1, $"{v0} {v1} {v2}");
    }

    [Fact]
    public async Task Revoking_keeps_the_first_time_and_an_unknown_id_is_null()
    {
        var key = await _store.AddAsync(Key('a'), CancellationToken.None);

        var first = await _store.RevokeAsync(key.Id, 2_000, CancellationToken.None);
        var again = await _store.RevokeAsync(key.Id, 3_000, CancellationToken.None);

        Assert.Equal(2_000, first!.RevokedAt);
        Assert.Equal(2_000, again!.RevokedAt);
        Assert.Null(await _store.RevokeAsync(key.Id + 100, 3_000, CancellationToken.None));
    }

    [Fact]
    public async Task Adding_if_empty_stores_a_set_once_even_when_every_key_is_revoked()
    {
        Assert.True(await _store.AddIfEmptyAsync([Key('a'), Key('b')], CancellationToken.None));
        foreach (var key in await _store.ListAsync(CancellationToken.None))
        {
            await _store.RevokeAsync(key.Id, 2_000, CancellationToken.None);
        }

        Assert.False(await _store.AddIfEmptyAsync([Key('c')], CancellationToken.None));
        Assert.Equal(["name a", "name b"], (await _store.ListAsync(CancellationToken.None)).Select(k => k.Name));
    }

    [Fact]
    public async Task Importing_skips_hashes_already_stored_and_never_revives_a_revoked_one()
    {
        var revoked = await _store.AddAsync(Key('a', source: "keys.json"), CancellationToken.None);
        await _store.RevokeAsync(revoked.Id, 2_000, CancellationToken.None);

        var added = await _store.ImportAsync([Key('a', source: "keys.json"), Key('b', source: "keys.json")], CancellationToken.None);

        Assert.Equal(1, added);
        var keys = await _store.ListAsync(CancellationToken.None);
        Assert.Equal([(new string('a', 64), (long?)2_000), (new string('b', 64), null)], keys.Select(k => (k.Sha256, k.RevokedAt)));
    }
}
