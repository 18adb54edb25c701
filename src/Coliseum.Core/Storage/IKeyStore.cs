using Coliseum.Security;

namespace Coliseum.Storage;

/// <summary>
/// API keys, stored as SHA-256 hashes in the database so that every process on one database accepts the
/// same keys and sees a revocation. SQLite implements it today; PostgreSQL will implement the same contract
/// (and pass the same conformance tests).
/// </summary>
public interface IKeyStore
{
    /// <summary>Every key, revoked ones included, in id order.</summary>
    Task<IReadOnlyList<StoredKey>> ListAsync(CancellationToken cancellationToken);

    /// <summary>A number that changes whenever a key is added or revoked: cheap to poll.</summary>
    Task<long> VersionAsync(CancellationToken cancellationToken);

    /// <summary>Stores a new key; throws <see cref="InvalidOperationException"/> when its hash is already stored.</summary>
    Task<StoredKey> AddAsync(NewKey key, CancellationToken cancellationToken);

    /// <summary>
    /// Stores <paramref name="keys"/> in one transaction when no key has ever been stored (revoked ones count),
    /// so two processes starting at once on an empty database generate one set. True when they were stored.
    /// </summary>
    Task<bool> AddIfEmptyAsync(IReadOnlyList<NewKey> keys, CancellationToken cancellationToken);

    /// <summary>Stores each key whose hash is not stored yet (a revoked hash stays revoked); returns how many were new.</summary>
    Task<int> ImportAsync(IReadOnlyList<NewKey> keys, CancellationToken cancellationToken);

    /// <summary>Marks a key revoked at <paramref name="at"/> (Unix ms) unless it already is; null when there is no such id.</summary>
    Task<StoredKey?> RevokeAsync(long id, long at, CancellationToken cancellationToken);
}

/// <param name="Prefix">The key's first characters (<c>cr_1a2b3c4d</c>), to recognise it by; never enough to use it.</param>
/// <param name="CreatedAt">Unix ms.</param>
/// <param name="RevokedAt">Unix ms, or null while the key is valid.</param>
public sealed record StoredKey(long Id, string? Name, KeyRole Role, string Sha256, string Prefix, string Source, long CreatedAt, long? RevokedAt);

/// <param name="Source"><c>cli</c>, <c>generated</c> (first start) or <c>keys.json</c> (imported).</param>
public sealed record NewKey(string? Name, KeyRole Role, string Sha256, string Prefix, string Source, long CreatedAt);
