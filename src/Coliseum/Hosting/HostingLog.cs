namespace Coliseum.Hosting;

internal static partial class HostingLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Coliseum on {Provider} at {Location}; tracking plan {TrackingPlan}; keyless browser capture {Keyless}")]
    public static partial void Started(ILogger logger, string provider, string location, string trackingPlan, bool keyless);
}
