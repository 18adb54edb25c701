using Coliseum.Capture;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Coliseum.Storage.Sqlite;

/// <summary>
/// The Passport log in one SQLite file (WAL, <c>synchronous=FULL</c> so a commit is on disk before
/// it returns). One connection writes, through a statement prepared once and bound with raw UTF-8 to
/// avoid re-encoding metadata; readers open their own pooled connections and never block the writer.
/// </summary>
public sealed partial class SqlitePassportStore : IPassportStore
{
    private const string InsertSql = """
        INSERT INTO passport_log (message_id, event_type, event_category, user_id, anonymous_id, session_id, device_id,
            entity_type, entity_id, metadata, context, occurred_at, client_at, sent_at, received_at, source, warnings)
        VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)
        ON CONFLICT (message_id) DO NOTHING
        """;

    private readonly string _path;
    private readonly string _readConnectionString;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private SqliteConnection? _writer;
    private sqlite3_stmt? _insert;
    private SqliteCheckpointer? _checkpointer;

    static SqlitePassportStore() => Processing.BulkStatement.Register(SqliteBulkBackend.Instance);

    public SqlitePassportStore(string path)
    {
        _path = System.IO.Path.GetFullPath(path);
        _readConnectionString = new SqliteConnectionStringBuilder
        {
            DataSource = _path,
            Mode = SqliteOpenMode.ReadWrite,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
    }

    public string Provider => "sqlite";

    /// <summary>The database file (full path).</summary>
    public string DatabasePath => _path;

    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(_path)!);
        var writer = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = _path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = false,
        }.ToString());
        await writer.OpenAsync(cancellationToken).ConfigureAwait(false);
        // synchronous=FULL: a commit is fsynced before it returns, so a 2xx survives a power cut too.
        // wal_autocheckpoint=0: checkpoints run on the checkpointer's thread, never inside a commit.
        // journal_size_limit: after a checkpoint resets the WAL, a file past 128 MB is trimmed back (not
        // lower: truncating and regrowing the file on every reset costs more than the disk it saves).
        // page_size stays SQLite's 4 KB: 8 and 16 KB pages sped batches up by under 10% but made each small
        // commit (the single-event path) write more, and single-event capture slower (docs/performance.md).
        Execute(writer, """
            PRAGMA journal_mode = WAL;
            PRAGMA synchronous = FULL;
            PRAGMA busy_timeout = 30000;
            PRAGMA wal_autocheckpoint = 0;
            PRAGMA journal_size_limit = 134217728;
            PRAGMA cache_size = -32768;
            """);
        SqliteMigrations.Apply(writer);
        _checkpointer = new SqliteCheckpointer(_path);
        Check(writer.Handle!, raw.sqlite3_prepare_v3(writer.Handle, InsertSql, raw.SQLITE_PREPARE_PERSISTENT, out _insert));
        _writer = writer;
    }

    public async ValueTask AppendAsync(IReadOnlyList<PassportRecord> records, bool[] inserted, CancellationToken cancellationToken)
    {
        var writer = _writer ?? throw new InvalidOperationException("the store is not initialised");
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            BeforeWriteLocked(writer.Handle!);
            var bytes = AppendLocked(writer.Handle!, records, inserted);
            _checkpointer!.AfterCommit(bytes);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>Runs before every write transaction (capture's or a consumer's), holding the write lock.</summary>
    private void BeforeWriteLocked(sqlite3 db)
    {
        if (_checkpointer!.TakeCatchUp())
        {
            // Between transactions: copy what arrived during the background pass, so this commit restarts the WAL.
            raw.sqlite3_wal_checkpoint_v2(db, null, raw.SQLITE_CHECKPOINT_PASSIVE, out _, out _);
        }
        else if (_checkpointer.WalBytes > SqliteCheckpointer.HardLimitBytes)
        {
            // The checkpoints cannot keep up (or a reader pins old frames): catch up before taking more.
            Check(db, raw.sqlite3_wal_checkpoint_v2(db, null, raw.SQLITE_CHECKPOINT_TRUNCATE, out _, out _));
        }
    }

    /// <returns>Roughly how many bytes the new rows take (for the checkpointer's pacing).</returns>
    private long AppendLocked(sqlite3 db, IReadOnlyList<PassportRecord> records, bool[] inserted)
    {
        long bytes = 0;
        var stmt = _insert!;
        Check(db, raw.sqlite3_exec(db, "BEGIN IMMEDIATE"));
        try
        {
            for (var i = 0; i < records.Count; i++)
            {
                Bind(stmt, records[i]);
                var rc = raw.sqlite3_step(stmt);
                raw.sqlite3_reset(stmt);
                if (rc != raw.SQLITE_DONE)
                {
                    Check(db, rc);
                }
                inserted[i] = raw.sqlite3_changes(db) == 1;
                bytes += records[i].Metadata.Length + (records[i].Context?.Length ?? 0) + 200;
            }
            Check(db, raw.sqlite3_exec(db, "COMMIT"));
            return bytes;
        }
        catch
        {
            raw.sqlite3_exec(db, "ROLLBACK");
            Array.Clear(inserted);
            throw;
        }
        finally
        {
            raw.sqlite3_clear_bindings(stmt);
        }
    }

    private static void Bind(sqlite3_stmt stmt, PassportRecord r)
    {
        BindText(stmt, 1, r.MessageId);
        BindText(stmt, 2, r.EventType);
        BindText(stmt, 3, r.EventCategory);
        BindText(stmt, 4, r.UserId);
        BindText(stmt, 5, r.AnonymousId);
        BindText(stmt, 6, r.SessionId);
        BindText(stmt, 7, r.DeviceId);
        BindText(stmt, 8, r.EntityType);
        BindText(stmt, 9, r.EntityId);
        raw.sqlite3_bind_text(stmt, 10, r.Metadata);
        if (r.Context is null)
        {
            raw.sqlite3_bind_null(stmt, 11);
        }
        else
        {
            raw.sqlite3_bind_text(stmt, 11, r.Context);
        }
        raw.sqlite3_bind_int64(stmt, 12, r.OccurredAt);
        raw.sqlite3_bind_int64(stmt, 13, r.ClientAt);
        if (r.SentAt is { } sentAt)
        {
            raw.sqlite3_bind_int64(stmt, 14, sentAt);
        }
        else
        {
            raw.sqlite3_bind_null(stmt, 14);
        }
        raw.sqlite3_bind_int64(stmt, 15, r.ReceivedAt);
        BindText(stmt, 16, r.Source);
        BindText(stmt, 17, r.Warnings);
    }

    /// <summary>Binds a string as UTF-8 encoded on the stack (SQLite copies it), with no allocation per call.</summary>
    private static void BindText(sqlite3_stmt stmt, int index, string? value)
    {
        if (value is null)
        {
            raw.sqlite3_bind_null(stmt, index);
            return;
        }
        var max = System.Text.Encoding.UTF8.GetMaxByteCount(value.Length);
        if (max > 1024)
        {
            raw.sqlite3_bind_text(stmt, index, System.Text.Encoding.UTF8.GetBytes(value));
            return;
        }
        Span<byte> utf8 = stackalloc byte[max];
        var length = System.Text.Encoding.UTF8.GetBytes(value, utf8);
        raw.sqlite3_bind_text(stmt, index, utf8[..length]);
    }

    private static void Check(sqlite3 db, int rc)
    {
        if (rc is not (raw.SQLITE_OK or raw.SQLITE_DONE or raw.SQLITE_ROW))
        {
            throw new SqliteException($"SQLite Error {rc}: '{raw.sqlite3_errmsg(db).utf8_to_string()}'.", rc);
        }
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    internal SqliteConnection OpenReader()
    {
        var connection = new SqliteConnection(_readConnectionString);
        connection.Open();
        return connection;
    }

    public async ValueTask DisposeAsync()
    {
        if (_checkpointer is not null)
        {
            await _checkpointer.DisposeAsync().ConfigureAwait(false);
            _checkpointer = null;
        }
        await _writeLock.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_writer?.Handle is { } db)
            {
                // Leave a small WAL behind on a clean shutdown.
                raw.sqlite3_wal_checkpoint_v2(db, null, raw.SQLITE_CHECKPOINT_TRUNCATE, out _, out _);
            }
            _insert?.Dispose();
            _insert = null;
            if (_writer is not null)
            {
                await _writer.DisposeAsync().ConfigureAwait(false);
                _writer = null;
            }
        }
        finally
        {
            _writeLock.Release();
        }
        SqliteConnection.ClearPool(new SqliteConnection(_readConnectionString));
    }
}
