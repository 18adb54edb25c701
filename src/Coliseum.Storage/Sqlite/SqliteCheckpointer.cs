using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Coliseum.Storage.Sqlite;

/// <summary>
/// Copies the WAL back into the database file on its own connection and thread, so the writer never
/// pays for a checkpoint inside a commit (SQLite's automatic checkpoint runs in the committing
/// connection and would stall every request in that group). The WAL is still bounded: past
/// <see cref="HardLimitBytes"/> the writer itself runs a blocking TRUNCATE checkpoint before its next
/// commit, which is back-pressure, not growth.
/// <para>
/// SQLite can only start the WAL over from its beginning once every frame has been copied, and a
/// background pass never catches a writer that keeps appending. So after each pass the writer, between
/// two of its transactions, copies the few frames that arrived meanwhile (<see cref="TakeCatchUp"/>);
/// its next transaction then restarts the WAL and the file stays small.
/// </para>
/// </summary>
internal sealed class SqliteCheckpointer : IAsyncDisposable
{
    /// <summary>Small and often: the writer finishes each pass with one fsync of the database file, and at 1 MB that
    /// keeps single-event p99 under 10 ms where 4 MB gave 20 ms and 32 MB 107 ms (docs/performance.md).</summary>
    public const long SoftLimitBytes = 1L << 20;
    public const long HardLimitBytes = 512L << 20;

    private readonly string _path;
    private readonly string _walPath;
    private readonly SemaphoreSlim _signal = new(0, 1);
    private long _bytesSinceSignal;
    private int _catchUp;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public SqliteCheckpointer(string path)
    {
        _path = path;
        _walPath = path + "-wal";
        _loop = Task.Factory.StartNew(Loop, TaskCreationOptions.LongRunning);
    }

    public long WalBytes
    {
        get
        {
            try
            {
                return new FileInfo(_walPath).Length;
            }
            catch (FileNotFoundException)
            {
                return 0;
            }
        }
    }

    /// <summary>
    /// Called by the writer after each commit with roughly how many bytes it added: every
    /// <see cref="SoftLimitBytes"/> of new data wakes the checkpointer for one pass.
    /// </summary>
    public void AfterCommit(long bytesWritten)
    {
        _bytesSinceSignal += bytesWritten;
        if (_bytesSinceSignal < SoftLimitBytes)
        {
            return;
        }
        _bytesSinceSignal = 0;
        if (_signal.CurrentCount == 0)
        {
            try
            {
                _signal.Release();
            }
            catch (SemaphoreFullException)
            {
                // already signalled
            }
        }
    }

    /// <summary>True once after each background pass: the writer should copy the remainder itself now.</summary>
    public bool TakeCatchUp() => Interlocked.Exchange(ref _catchUp, 0) == 1;

    private void Loop()
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = _path, Mode = SqliteOpenMode.ReadWrite, Pooling = false }.ToString());
        connection.Open();
        raw.sqlite3_busy_timeout(connection.Handle, 1000);
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                _signal.Wait(_stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            // One pass copies what is committed so far; the writer restarts the WAL from its beginning
            // at its next commit once everything has been copied and no reader still needs old frames.
            raw.sqlite3_wal_checkpoint_v2(connection.Handle, null, raw.SQLITE_CHECKPOINT_PASSIVE, out _, out _);
            Volatile.Write(ref _catchUp, 1);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
        _signal.Dispose();
    }
}
