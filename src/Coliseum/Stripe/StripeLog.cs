namespace Coliseum.Stripe;

/// <summary>What the webhook endpoint logs. Never the signature header, a secret or a body.</summary>
internal static partial class StripeLog
{
    [LoggerMessage(EventId = 701, Level = LogLevel.Information, Message = "Stripe webhook refused ({Status}): {Reason}")]
    public static partial void Refused(ILogger logger, int status, string reason);

    [LoggerMessage(EventId = 702, Level = LogLevel.Warning, Message = "Stripe event {StripeEventId} ({StripeType}) acknowledged but not stored: {Reason}")]
    public static partial void Skipped(ILogger logger, string stripeEventId, string stripeType, string reason);

    [LoggerMessage(EventId = 703, Level = LogLevel.Warning, Message = "A Stripe webhook arrived but no webhook secret is configured (Coliseum:Stripe:WebhookSecrets:0); answered 503")]
    public static partial void Unconfigured(ILogger logger);
}
