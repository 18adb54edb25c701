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
/// <remarks>
/// On PostgreSQL two things change. Lease times are the database server's clock, so machines whose clocks
/// disagree still agree on expiry. And the holder also keeps a session-level advisory lock on a connection
/// of its own: when its process dies, the server ends that session and frees the lock, and the next process
/// to take the lock takes the row with it at once, instead of waiting for <c>lease_until</c>. The lock only
/// speeds takeover up; the row stays the fence (a holder whose lock session broke while it lives loses its
/// next commit, nothing more), and an expired row is still taken without the lock, so a process that hangs
/// while its session stays open holds the consumer for <c>LeaseSeconds</c> at most. The same-machine pid check
/// is SQLite's alone: the lock says more, and a pid means nothing across containers that share a host name.
/// </remarks>
internal sealed class ConsumerLease(string consumer, IProcessorStore store, TimeProvider time, TimeSpan ttl, string? owner)
{
    private static readonly string ProcessOwner = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid():N}";

    private readonly string _owner = owner ?? ProcessOwner;
    private readonly SqlDialect _dialect = store.Dialect;
    private long _renewedAt = long.MinValue;
    private bool _held;
    private DbConnection? _lock;

    // The runner's loop and a pause (an erasure) may both ask for the lease; the lock's session takes one query at a time.
    private readonly SemaphoreSlim _mutex = new(1, 1);

    /// <summary>Who held the lease when it was last refused.</summary>
    public string? Holder { get; private set; }

    private long Now => time.GetUtcNow().ToUnixTimeMilliseconds();

    private long Ttl => (long)ttl.TotalMilliseconds;

    /// <summary>The SQL for "now": the database's clock where it has one that counts (PostgreSQL), else <c>@now</c>.</summary>
    private string NowSql => _dialect.NowMilliseconds ?? "@now";

    /// <summary>Parameters plus <c>@now</c> (this process's clock) when the SQL uses it.</summary>
    private (string, object?)[] With(long now, params (string, object?)[] parameters) =>
        _dialect.NowMilliseconds is null ? [.. parameters, ("@now", now)] : parameters;

    /// <summary>Takes or renews the lease; false when another live process holds it.</summary>
    public async Task<bool> EnsureAsync(CancellationToken cancellationToken)
    {
        if (_held && Now - _renewedAt < ttl.TotalMilliseconds / 3)
        {
            return true;
        }
        await _mutex.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await TakeOrRenewAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _mutex.Release();
        }
    }

    private async Task<bool> TakeOrRenewAsync(CancellationToken cancellationToken)
    {
        // Taking the session lock just now means whoever held it has gone: its row is ours, expired or not.
        var lockedNow = await LockAsync(cancellationToken).ConfigureAwait(false);
        var now = Now;
        var taken = 0;
        await store.WriteAsync(async (connection, transaction) =>
        {
            taken = await Db.ExecuteAsync(connection, transaction, $"""
                UPDATE consumer_cursors SET lease_owner = @owner, lease_until = {NowSql} + @ttl
                WHERE name = @name AND (lease_owner IS NULL OR lease_owner = @owner OR lease_until < {NowSql} OR @locked = 1)
                """, cancellationToken, With(now, ("@owner", _owner), ("@ttl", Ttl), ("@name", consumer), ("@locked", lockedNow ? 1L : 0L))).ConfigureAwait(false);
            if (taken == 0)
            {
                await using var command = Db.Command(connection, transaction, "SELECT lease_owner FROM consumer_cursors WHERE name = @name", ("@name", consumer));
                var holder = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) as string;
                if (holder is null && !await ExistsAsync(connection, transaction, cancellationToken).ConfigureAwait(false))
                {
                    await Db.ExecuteAsync(connection, transaction, $"INSERT INTO consumer_cursors (name, position, lease_owner, lease_until) VALUES (@name, 0, @owner, {NowSql} + @ttl)",
                        cancellationToken, With(now, ("@name", consumer), ("@owner", _owner), ("@ttl", Ttl))).ConfigureAwait(false);
                    taken = 1;
                }
                else if (holder is not null && _dialect.TryLockConsumer is null && IsDeadLocalProcess(holder))
                {
                    taken = await Db.ExecuteAsync(connection, transaction, $"UPDATE consumer_cursors SET lease_owner = @owner, lease_until = {NowSql} + @ttl WHERE name = @name AND lease_owner = @old",
                        cancellationToken, With(now, ("@owner", _owner), ("@ttl", Ttl), ("@name", consumer), ("@old", holder))).ConfigureAwait(false);
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
        else
        {
            // Holding the lock without the row would keep the row's live holder from ever getting the lock.
            await UnlockAsync().ConfigureAwait(false);
        }
        return _held;
    }

    /// <summary>
    /// Keeps (or takes) the session lock where the backend has one; true when it was taken by this call.
    /// A held lock's session is checked first: if it broke, the lock is gone and is taken again if free.
    /// </summary>
    private async Task<bool> LockAsync(CancellationToken cancellationToken)
    {
        if (_dialect.TryLockConsumer is not { } tryLock)
        {
            return false;
        }
        if (_lock is not null)
        {
            try
            {
                await Db.ScalarAsync(_lock, null, "SELECT 1", cancellationToken).ConfigureAwait(false);
                return false;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                await DropLockConnectionAsync().ConfigureAwait(false);
            }
        }
        var connection = await store.OpenReaderAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await using var command = Db.Command(connection, null, tryLock, ("@name", consumer));
            if (await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is true)
            {
                _lock = connection;
                return true;
            }
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        await connection.DisposeAsync().ConfigureAwait(false);
        return false;
    }

    private async Task UnlockAsync()
    {
        if (_lock is null || _dialect.UnlockConsumer is not { } unlock)
        {
            return;
        }
        try
        {
            await Db.ScalarAsync(_lock, null, unlock, CancellationToken.None, ("@name", consumer)).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is DbException or InvalidOperationException or IOException)
        {
            // The session is broken, so the server has already let go of the lock.
        }
        await DropLockConnectionAsync().ConfigureAwait(false);
    }

    private async Task DropLockConnectionAsync()
    {
        var connection = _lock;
        _lock = null;
        if (connection is not null)
        {
            try
            {
                await connection.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is DbException or IOException)
            {
            }
        }
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
            UPDATE consumer_cursors SET position = @position, updated_at = {NowSql}, lease_until = {NowSql} + @ttl
            WHERE name = @name AND lease_owner = @owner{(allowBackwards ? "" : " AND position <= @position")}
            """, cancellationToken, With(now, ("@position", position), ("@ttl", Ttl), ("@name", consumer), ("@owner", _owner))).ConfigureAwait(false);
        if (changed != 1)
        {
            _held = false;
            throw new LeaseLostException("the lease moved to another process before this commit");
        }
        if (_dialect.NotifyCursor is { } notify)
        {
            // Delivered at commit: streams on other processes learn of the new aggregates without waiting for a poll.
            await Db.ScalarAsync(connection, transaction, notify, cancellationToken, ("@name", consumer), ("@position", position)).ConfigureAwait(false);
        }
        _renewedAt = now;
    }

    public async Task ReleaseAsync(CancellationToken cancellationToken)
    {
        await _mutex.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await ReleaseHeldAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _mutex.Release();
        }
    }

    private async Task ReleaseHeldAsync(CancellationToken cancellationToken)
    {
        if (!_held)
        {
            await UnlockAsync().ConfigureAwait(false);
            return;
        }
        await store.WriteAsync(async (connection, transaction) =>
        {
            await Db.ExecuteAsync(connection, transaction, "UPDATE consumer_cursors SET lease_owner = NULL, lease_until = NULL WHERE name = @name AND lease_owner = @owner",
                cancellationToken, ("@name", consumer), ("@owner", _owner)).ConfigureAwait(false);
            return 0;
        }, cancellationToken).ConfigureAwait(false);
        _held = false;
        await UnlockAsync().ConfigureAwait(false);
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
