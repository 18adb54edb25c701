using System.Text.Json;
using Coliseum.Processing;

namespace Coliseum.Reports;

/// <summary>
/// Computes queued reports, <see cref="ReportOptions.Concurrency"/> at a time. At start it queues again
/// every report a stopped server left pending or running, so none stays unfinished. Each report is read
/// in one snapshot with the consumer cursors, then stored (result, positions, status) in one write.
/// </summary>
internal sealed partial class ReportWorker(ReportQueue queue, ReportOptions options, IProcessorStore store, ProcessingOptions processing, TimeProvider time, ILogger<ReportWorker> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        foreach (var id in await ReportRows.UnfinishedAsync(store, stoppingToken))
        {
            queue.Requeue(id);
            Requeued(logger, id);
        }
        await Task.WhenAll(Enumerable.Range(0, options.Concurrency).Select(_ => Task.Run(() => LoopAsync(stoppingToken), stoppingToken)));
    }

    private async Task LoopAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var id in queue.Reader.ReadAllAsync(stoppingToken))
            {
                try
                {
                    await RunAsync(id, stoppingToken);
                }
                finally
                {
                    queue.Release();
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down: a report cut short stays 'running' and is computed again at the next start.
        }
    }

    private async Task RunAsync(long id, CancellationToken ct)
    {
        string type = "?";
        try
        {
            var row = await ReportRows.FindAsync(store, id, ct);
            if (row is null || row.Status is ReportRows.Done or ReportRows.Failed)
            {
                return;
            }
            type = row.Type;
            await ReportRows.SetRunningAsync(store, id, Now, ct);
            var parameters = JsonSerializer.Deserialize(row.Params, ReportsJsonContext.Default.ReportParams)
                ?? throw new ReportException("the stored params are empty");
            var (positions, result) = await ComputeAsync(store, processing, row.Type, parameters, ct);
            await ReportRows.SetDoneAsync(store, id, positions, result, Now, ct);
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            Failed(logger, id, type, ex);
            try
            {
                await ReportRows.SetFailedAsync(store, id, ex.Message, Now, ct);
            }
            catch (Exception again) when (!ct.IsCancellationRequested)
            {
                // The database is unavailable: the row stays pending or running and is computed again at the next start.
                Failed(logger, id, type, again);
            }
        }
    }

    /// <summary>Computes one report inside one read snapshot; returns the cursors it reflects and the result as JSON.</summary>
    public static async Task<(ReportPositions Positions, string Result)> ComputeAsync(IProcessorStore store, ProcessingOptions processing, string type, ReportParams p, CancellationToken ct)
    {
        await using var db = await ReportReader.OpenAsync(store, processing, ct);
        var positions = await db.PositionsAsync(ct);
        var json = ReportsJsonContext.Default;
        var result = type switch
        {
            "artist" => JsonSerializer.Serialize(await ArtistReports.ComputeAsync(db, p, ct), json.ArtistReport),
            "event" => JsonSerializer.Serialize(await EventReports.ComputeAsync(db, p, ct), json.EventReport),
            "passport" => JsonSerializer.Serialize(await PassportReports.ComputeAsync(db, p, ct), json.PassportReport),
            "platform" => JsonSerializer.Serialize(await PlatformReports.ComputeAsync(db, p, processing.Leaderboards.Where(b => b.Value.Enabled).Select(b => b.Key), processing.TimeZone, ct), json.PlatformReport),
            _ => throw new ReportException($"unknown report type '{type}'"),
        };
        return (positions, result);
    }

    private long Now => time.GetUtcNow().ToUnixTimeMilliseconds();

    [LoggerMessage(EventId = 4501, Level = LogLevel.Information, Message = "Report {Id} was left unfinished by a stopped server; computing it again")]
    private static partial void Requeued(ILogger logger, long id);

    [LoggerMessage(EventId = 4502, Level = LogLevel.Warning, Message = "Report {Id} ({Type}) failed")]
    private static partial void Failed(ILogger logger, long id, string type, Exception exception);
}
