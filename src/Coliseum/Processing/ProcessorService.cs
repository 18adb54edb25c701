using Coliseum.Processing;

namespace Coliseum.Hosting;

/// <summary>Runs the consumers inside <c>coliseum serve</c>, and refreshes the status the lag gauges report.</summary>
internal sealed partial class ProcessorService(Processor processor, ILogger<ProcessorService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        LogStarting(logger, string.Join(", ", processor.Names), processor.Options.TimeZone, processor.Coliseum.Boards.Count);
        var run = processor.RunAsync(stoppingToken);
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(5));
        try
        {
            do
            {
                try
                {
                    await processor.StatusAsync(stoppingToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    LogStatusFailed(logger, ex.Message);
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException)
        {
        }
        await run;
    }

    [LoggerMessage(EventId = 20, Level = LogLevel.Information, Message = "Processing with consumers {Consumers}; time zone {TimeZone}; {Boards} leaderboards")]
    private static partial void LogStarting(ILogger logger, string consumers, string timeZone, int boards);

    [LoggerMessage(EventId = 21, Level = LogLevel.Warning, Message = "Could not read the processing status: {Error}")]
    private static partial void LogStatusFailed(ILogger logger, string error);
}
