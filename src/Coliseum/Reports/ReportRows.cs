using System.Data.Common;
using Coliseum.Processing;

namespace Coliseum.Reports;

/// <summary>One row of <c>coliseum_reports</c> as read back.</summary>
internal sealed record ReportRow(long Id, string Type, string Params, string Status, long CreatedAt, long? StartedAt, long? CompletedAt,
    ReportPositions? Positions, string? Result, string? Error);

/// <summary>The SQL of <c>coliseum_reports</c>: every write goes through <see cref="IProcessorStore.WriteAsync"/>.</summary>
internal static class ReportRows
{
    public const string Pending = "pending";
    public const string Running = "running";
    public const string Done = "done";
    public const string Failed = "failed";

    public static async Task<long> CreateAsync(IProcessorStore store, string type, string parameters, long now, CancellationToken ct)
    {
        long id = 0;
        await store.WriteAsync(async (connection, transaction) =>
        {
            id = await Db.ScalarAsync(connection, transaction,
                "INSERT INTO coliseum_reports (type, params, status, created_at) VALUES (@t, @p, 'pending', @now) RETURNING id",
                ct, ("@t", type), ("@p", parameters), ("@now", now)).ConfigureAwait(false);
            return 200 + parameters.Length;
        }, ct).ConfigureAwait(false);
        return id;
    }

    public static Task SetRunningAsync(IProcessorStore store, long id, long now, CancellationToken ct) =>
        ExecuteAsync(store, "UPDATE coliseum_reports SET status = 'running', started_at = @now WHERE id = @id", ct, ("@id", id), ("@now", now));

    public static Task SetDoneAsync(IProcessorStore store, long id, ReportPositions positions, string result, long now, CancellationToken ct) =>
        ExecuteAsync(store, """
            UPDATE coliseum_reports SET status = 'done', completed_at = @now, coliseum_position = @c, treasury_position = @t, mediaid_position = @m, result = @r, error = NULL
            WHERE id = @id
            """, ct, ("@id", id), ("@now", now), ("@c", positions.Coliseum), ("@t", positions.Treasury), ("@m", positions.Mediaid), ("@r", result));

    public static Task SetFailedAsync(IProcessorStore store, long id, string error, long now, CancellationToken ct) =>
        ExecuteAsync(store, "UPDATE coliseum_reports SET status = 'failed', completed_at = @now, error = @e WHERE id = @id", ct, ("@id", id), ("@now", now), ("@e", error));

    /// <summary>Rows a stopped server left pending or running, oldest first: they are computed again.</summary>
    public static async Task<List<long>> UnfinishedAsync(IProcessorStore store, CancellationToken ct)
    {
        var ids = new List<long>();
        await using var connection = await store.OpenReaderAsync(ct).ConfigureAwait(false);
        await using var command = Db.Command(connection, null, "SELECT id FROM coliseum_reports WHERE status IN ('pending', 'running') ORDER BY id");
        await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
        {
            ids.Add(reader.GetInt64(0));
        }
        return ids;
    }

    public static async Task<ReportRow?> FindAsync(IProcessorStore store, long id, CancellationToken ct)
    {
        await using var connection = await store.OpenReaderAsync(ct).ConfigureAwait(false);
        return await FindAsync(connection, id, ct).ConfigureAwait(false);
    }

    public static async Task<ReportRow?> FindAsync(DbConnection connection, long id, CancellationToken ct)
    {
        await using var command = Db.Command(connection, null, """
            SELECT id, type, params, status, created_at, started_at, completed_at, coliseum_position, treasury_position, mediaid_position, result, error
            FROM coliseum_reports WHERE id = @id
            """, ("@id", id));
        await using var r = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        if (!await r.ReadAsync(ct).ConfigureAwait(false))
        {
            return null;
        }
        var positions = r.IsDBNull(7) ? null : new ReportPositions(r.GetInt64(7), Db.Int64(r, 8) ?? 0, Db.Int64(r, 9) ?? 0);
        return new ReportRow(r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetInt64(4), Db.Int64(r, 5), Db.Int64(r, 6),
            positions, r.IsDBNull(10) ? null : r.GetString(10), r.IsDBNull(11) ? null : r.GetString(11));
    }

    private static Task ExecuteAsync(IProcessorStore store, string sql, CancellationToken ct, params (string Name, object? Value)[] parameters) =>
        store.WriteAsync(async (connection, transaction) =>
        {
            await Db.ExecuteAsync(connection, transaction, sql, ct, parameters).ConfigureAwait(false);
            return 200;
        }, ct);
}
