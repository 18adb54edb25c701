using System.Data.Common;
using Coliseum.Storage;

namespace Coliseum.Processing;

/// <summary>
/// One reader of the Passport log with its own cursor (<c>coliseum</c>, <c>treasury</c>, <c>mediaid</c>).
/// For each batch the runner calls <see cref="PrepareAsync"/>, which computes everything in memory
/// (aggregating the whole batch so each changed key is written once), then runs the returned
/// <see cref="ConsumerBatch.WriteAsync"/> in the same transaction that moves the cursor. So a crash
/// leaves either all of a batch applied or none of it: exactly once.
/// </summary>
public abstract class Consumer
{
    public abstract string Name { get; }

    /// <summary>Statements that drop this consumer's state before a replay (run with the cursor's reset, in one transaction).</summary>
    public abstract IReadOnlyList<string> ResetStatements { get; }

    /// <summary>
    /// Computes the batch's results. It may read this consumer's committed state through
    /// <paramref name="reader"/> (only the lease holder writes it, so nothing changes underneath).
    /// An entry it cannot apply makes it throw; the runner retries, then isolates and dead-letters
    /// that entry and applies the rest.
    /// </summary>
    public abstract Task<ConsumerBatch> PrepareAsync(IReadOnlyList<PassportEntry> entries, DbConnection reader, CancellationToken cancellationToken);

    /// <summary>Forgets anything cached in memory (after a failed commit, a reset, or a lost lease).</summary>
    public virtual void Invalidate()
    {
    }
}

/// <summary>A prepared batch: what to write, and what to do once it is committed.</summary>
public abstract class ConsumerBatch
{
    /// <summary>Writes the batch's results inside the runner's transaction; returns roughly how many bytes.</summary>
    public abstract Task<long> WriteAsync(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken);

    /// <summary>Called after the transaction committed (update caches, tell listeners).</summary>
    public virtual void Committed()
    {
    }
}
