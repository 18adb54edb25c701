using Coliseum.Storage;

namespace Coliseum.Security;

/// <summary>
/// Reads the database's key version every <see cref="KeyOptions.RefreshMilliseconds"/> and reloads the
/// <see cref="KeyRing"/> when it moved, so a key made or revoked by <c>coliseum keys</c> (or another process)
/// counts here within that time. A failed read keeps the keys as they were and is retried on the next tick.
/// </summary>
internal sealed partial class KeyRefresher(KeyRing ring, IKeyStore store, KeyOptions options, ILogger<KeyRefresher> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(options.RefreshMilliseconds));
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await RefreshAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Reloads when the version moved; true when it did.</summary>
    internal async Task<bool> RefreshAsync(CancellationToken cancellationToken)
    {
        try
        {
            var version = await store.VersionAsync(cancellationToken);
            if (version == ring.Version)
            {
                return false;
            }
            var keys = await store.ListAsync(cancellationToken);
            ring.Reload(keys, version);
            Reloaded(logger, keys.Count(k => k.RevokedAt is null), keys.Count(k => k.RevokedAt is not null));
            return true;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The message of a storage error never holds a key: the table holds none.
            Failed(logger, ex.GetType().Name, ex.Message);
            return false;
        }
    }

    [LoggerMessage(EventId = 70, Level = LogLevel.Information, Message = "Reloaded API keys: {Valid} valid, {Revoked} revoked in the database")]
    private static partial void Reloaded(ILogger logger, int valid, int revoked);

    [LoggerMessage(EventId = 71, Level = LogLevel.Warning, Message = "Could not reload API keys ({Error}: {Message}); the previous keys stay in force")]
    private static partial void Failed(ILogger logger, string error, string message);
}
