using System.Data.Common;
using System.Diagnostics;

namespace Coliseum.Processing;

/// <summary>Another process took the consumer over (its lease expired); this one must stop writing.</summary>
public sealed class LeaseLostException(string message) : Exception(message);

/// <summary>
/// Exactly one process runs a consumer at a time: the lease is a row in <c>consumer_cursors</c>
/// (<c>lease_owner</c>, <c>lease_until</c>). The holder renews it with every commit, and every commit
/// is fenced on still holding it, so a process that lost the lease cannot move the cursor. A lease left
/// by a dead process on this machine (its pid is gone) is taken at once; otherwise after it expires.
/// </summary>
internal sealed class ConsumerLease(string consumer, IProcessorStore store, TimeProvider time, TimeSpan ttl, string? owner)
{
    private static readonly string ProcessOwner = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid():N}";

    private readonly string _owner = owner ?? ProcessOwner;
    private long _renewedAt = long.MinValue;
    private bool _held;

    /// <summary>Who held the lease when it was last refused.</summary>
    public string? Holder { get; private set; }

    private long Now => time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>Takes or renews the lease; false when another live process holds it.</summary>
    public async Task<bool> EnsureAsync(CancellationToken cancellationToken)
    {
        if (_held && Now - _renewedAt < ttl.TotalMilliseconds / 3)
        {
            return true;
        }
        var now = Now;
        var taken = 0;
        await store.WriteAsync(async (connection, transaction) =>
        {
            taken = await Db.ExecuteAsync(connection, transaction, """
                UPDATE consumer_cursors SET lease_owner = @owner, lease_until = @until
                WHERE name = @name AND (lease_owner IS NULL OR lease_owner = @owner OR lease_until < @now)
                """, cancellationToken, ("@owner", _owner), ("@until", now + (long)ttl.TotalMilliseconds), ("@name", consumer), ("@now", now)).ConfigureAwait(false);
            if (taken == 0)
            {
                await using var command = Db.Command(connection, transaction, "SELECT lease_owner FROM consumer_cursors WHERE name = @name", ("@name", consumer));
                var holder = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) as string;
                if (holder is null && !await ExistsAsync(connection, transaction, cancellationToken).ConfigureAwait(false))
                {
                    await Db.ExecuteAsync(connection, transaction, "INSERT INTO consumer_cursors (name, position, lease_owner, lease_until) VALUES (@name, 0, @owner, @until)",
                        cancellationToken, ("@name", consumer), ("@owner", _owner), ("@until", now + (long)ttl.TotalMilliseconds)).ConfigureAwait(false);
                    taken = 1;
                }
                else if (holder is not null && IsDeadLocalProcess(holder))
                {
                    taken = await Db.ExecuteAsync(connection, transaction, "UPDATE consumer_cursors SET lease_owner = @owner, lease_until = @until WHERE name = @name AND lease_owner = @old",
                        cancellationToken, ("@owner", _owner), ("@until", now + (long)ttl.TotalMilliseconds), ("@name", consumer), ("@old", holder)).ConfigureAwait(false);
                }
                Holder = holder;
            }
            return 0;
        }, cancellationToken).ConfigureAwait(false);
        _held = taken == 1;
        if (_held)
        {
            _renewedAt = now;
        }
        return _held;
    }

    public async Task RenewIfDueAsync(CancellationToken cancellationToken)
    {
        if (!await EnsureAsync(cancellationToken).ConfigureAwait(false))
        {
            throw new LeaseLostException($"held by {Holder}");
        }
    }

    public async Task<long> ReadCursorAsync(CancellationToken cancellationToken)
    {
        await using var connection = await store.OpenReaderAsync(cancellationToken).ConfigureAwait(false);
        return await Db.ScalarAsync(connection, null, "SELECT position FROM consumer_cursors WHERE name = @name", cancellationToken, ("@name", consumer)).ConfigureAwait(false);
    }

    /// <summary>Moves the cursor and renews the lease inside the caller's transaction; throws when the lease is gone.</summary>
    public async Task AdvanceAsync(DbConnection connection, DbTransaction transaction, long position, bool allowBackwards, CancellationToken cancellationToken)
    {
        var now = Now;
        var changed = await Db.ExecuteAsync(connection, transaction, $"""
            UPDATE consumer_cursors SET position = @position, updated_at = @now, lease_until = @until
            WHERE name = @name AND lease_owner = @owner{(allowBackwards ? "" : " AND position <= @position")}
            """, cancellationToken, ("@position", position), ("@now", now), ("@until", now + (long)ttl.TotalMilliseconds), ("@name", consumer), ("@owner", _owner)).ConfigureAwait(false);
        if (changed != 1)
        {
            _held = false;
            throw new LeaseLostException("the lease moved to another process before this commit");
        }
        _renewedAt = now;
    }

    public async Task ReleaseAsync(CancellationToken cancellationToken)
    {
        if (!_held)
        {
            return;
        }
        await store.WriteAsync(async (connection, transaction) =>
        {
            await Db.ExecuteAsync(connection, transaction, "UPDATE consumer_cursors SET lease_owner = NULL, lease_until = NULL WHERE name = @name AND lease_owner = @owner",
                cancellationToken, ("@name", consumer), ("@owner", _owner)).ConfigureAwait(false);
            return 0;
        }, cancellationToken).ConfigureAwait(false);
        _held = false;
    }

    private async Task<bool> ExistsAsync(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken) =>
        await Db.ScalarAsync(connection, transaction, "SELECT COUNT(*) FROM consumer_cursors WHERE name = @name", cancellationToken, ("@name", consumer)).ConfigureAwait(false) > 0;

    /// <summary>The holder ran on this machine and its process is gone (owner is <c>host:pid:nonce</c>).</summary>
    private bool IsDeadLocalProcess(string holder)
    {
        var parts = holder.Split(':');
        if (parts.Length != 3 || parts[0] != Environment.MachineName || !int.TryParse(parts[1], System.Globalization.CultureInfo.InvariantCulture, out var pid) || holder == _owner)
        {
            return false;
        }
        if (pid == Environment.ProcessId)
        {
            return false;
        }
        try
        {
            using var process = Process.GetProcessById(pid);
            return process.HasExited;
        }
        catch (ArgumentException)
        {
            return true;
        }
    }
}
