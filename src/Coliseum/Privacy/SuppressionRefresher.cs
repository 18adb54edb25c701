using Coliseum.Processing;

namespace Coliseum.Privacy;

/// <summary>
/// Several processes on one PostgreSQL database: an erasure with <c>?suppress=true</c> adds to
/// <c>privacy_suppressions</c> in whichever process ran it; this re-reads the list in every other process
/// within <see cref="Interval"/> (a count and the newest request id are checked, the list re-read only when
/// they moved). Until then, that process may still store the user's events; the erasure's own process drops them at once.
/// </summary>
internal sealed partial class SuppressionRefresher(Suppressions suppressions, IProcessorStore store, ILogger<SuppressionRefresher> logger) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval);
        var failing = false;
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                try
                {
                    await suppressions.RefreshAsync(store, stoppingToken).ConfigureAwait(false);
                    failing = false;
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    if (!failing)
                    {
                        LogFailed(logger, ex.Message);
                    }
                    failing = true;
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(EventId = 92, Level = LogLevel.Warning, Message = "Could not re-read the privacy suppressions: {Error}; the list in force stays")]
    private static partial void LogFailed(ILogger logger, string error);
}
