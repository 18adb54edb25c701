using Coliseum.Processing;
using Coliseum.Processing.Coliseum;
using Coliseum.Query;
using Npgsql;

namespace Coliseum.Hosting;

/// <summary>
/// PostgreSQL only: one connection per process that <c>LISTEN</c>s on <see cref="Notifications.Channel"/>, so
/// a commit made by any process on the database wakes this one at once. An append wakes the local consumers
/// (<see cref="LogSignal"/>) and the live streams (<see cref="ChangeFeed"/>, the new head); a commit of the
/// coliseum consumer, wherever it runs, makes the streams re-read the aggregates' cursor. While the
/// connection is up the polls are only a fallback (<see cref="LogSignal.Pushed"/>); when it drops, the
/// polls take over at their normal pace and the connection is opened again with a growing back-off.
/// </summary>
internal sealed partial class PostgresWakeups(NpgsqlDataSource dataSource, string schema, LogSignal signal, ChangeFeed changes, ILogger<PostgresWakeups> logger) : BackgroundService
{
    /// <summary>How long a wait may pass without any notification before the connection is checked.</summary>
    private static readonly TimeSpan Quiet = TimeSpan.FromSeconds(10);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var backoff = TimeSpan.FromMilliseconds(250);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await dataSource.OpenConnectionAsync(stoppingToken).ConfigureAwait(false);
                connection.Notification += OnNotification;
                await using (var listen = new NpgsqlCommand($"LISTEN {Notifications.Channel}", connection))
                {
                    await listen.ExecuteNonQueryAsync(stoppingToken).ConfigureAwait(false);
                }
                signal.Pushed = true;
                backoff = TimeSpan.FromMilliseconds(250);
                LogListening(logger, Notifications.Channel, schema);
                // Whatever was committed while nobody listened: look now.
                signal.Notify();
                changes.Wake();
                while (!stoppingToken.IsCancellationRequested)
                {
                    if (!await connection.WaitAsync(Quiet, stoppingToken).ConfigureAwait(false))
                    {
                        // Nothing for a while: make sure the connection still answers (a dead one would wait forever).
                        await using var ping = new NpgsqlCommand("SELECT 1", connection);
                        await ping.ExecuteScalarAsync(stoppingToken).ConfigureAwait(false);
                    }
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                // Whatever broke, the polls cover for it; a BackgroundService that throws would stop the server.
                signal.Pushed = false;
                LogLost(logger, ex.Message, backoff.TotalSeconds);
                try
                {
                    await Task.Delay(backoff, stoppingToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
                backoff = TimeSpan.FromMilliseconds(Math.Min(backoff.TotalMilliseconds * 2, 30_000));
            }
            finally
            {
                signal.Pushed = false;
            }
        }
    }

    private void OnNotification(object sender, NpgsqlNotificationEventArgs e)
    {
        if (Notifications.Parse(e.Payload) is not { } message || message.Schema != schema)
        {
            return;
        }
        if (message.Kind == "log")
        {
            signal.Notify();
            changes.ObserveHead(message.Position);
        }
        else if (message.Consumer == ColiseumConsumer.ConsumerName)
        {
            changes.Wake();
        }
    }

    [LoggerMessage(EventId = 90, Level = LogLevel.Information, Message = "Listening on PostgreSQL channel {Channel} for commits in schema {Schema}")]
    private static partial void LogListening(ILogger logger, string channel, string schema);

    [LoggerMessage(EventId = 91, Level = LogLevel.Warning, Message = "PostgreSQL notifications stopped ({Error}); polling meanwhile, listening again in {Seconds} s")]
    private static partial void LogLost(ILogger logger, string error, double seconds);
}
