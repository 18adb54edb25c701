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

    public string Path => _path;

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
        Execute(writer, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA busy_timeout = 30000; PRAGMA foreign_keys = ON;");
        SqliteMigrations.Apply(writer);
        Check(writer.Handle!, raw.sqlite3_prepare_v3(writer.Handle, InsertSql, raw.SQLITE_PREPARE_PERSISTENT, out _insert));
        _writer = writer;
    }

    public async ValueTask AppendAsync(IReadOnlyList<PassportRecord> records, bool[] inserted, CancellationToken cancellationToken)
    {
        var writer = _writer ?? throw new InvalidOperationException("the store is not initialised");
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            AppendLocked(writer.Handle!, records, inserted);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private void AppendLocked(sqlite3 db, IReadOnlyList<PassportRecord> records, bool[] inserted)
    {
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
            }
            Check(db, raw.sqlite3_exec(db, "COMMIT"));
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

    private static void BindText(sqlite3_stmt stmt, int index, string? value)
    {
        if (value is null)
        {
            raw.sqlite3_bind_null(stmt, index);
        }
        else
        {
            raw.sqlite3_bind_text(stmt, index, value);
        }
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
        await _writeLock.WaitAsync().ConfigureAwait(false);
        try
        {
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
