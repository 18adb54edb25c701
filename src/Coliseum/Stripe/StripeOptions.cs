namespace Coliseum.Stripe;

/// <summary>The Stripe webhook endpoint's settings (<c>Coliseum:Stripe:*</c>).</summary>
public sealed class StripeOptions
{
    public const string Section = "Coliseum:Stripe";

    /// <summary>
    /// The endpoint signing secrets (<c>whsec_…</c>); a request signed with any of them is accepted, so a
    /// rotation can keep the old one beside the new one for a while. None: the endpoint answers 503.
    /// </summary>
    public List<string> WebhookSecrets { get; set; } = [];

    /// <summary>How far the signed timestamp may be from the server's clock, either way, against replays.</summary>
    public int ToleranceSeconds { get; set; } = 300;

    /// <summary>Largest webhook body read; a larger one is answered 413 without being read.</summary>
    public int MaxBodyBytes { get; set; } = 512 * 1024;

    /// <summary>The configured secrets without blanks (an empty <c>__1</c> left over from a rotation is not a secret).</summary>
    public IReadOnlyList<string> ConfiguredSecrets() => [.. WebhookSecrets.Where(s => !string.IsNullOrWhiteSpace(s)).Select(s => s.Trim())];

    public IEnumerable<string> Validate()
    {
        if (ToleranceSeconds is < 1 or > 86_400) { yield return "Coliseum:Stripe:ToleranceSeconds must be between 1 and 86400"; }
        if (MaxBodyBytes is < 4096 or > 16 * 1024 * 1024) { yield return "Coliseum:Stripe:MaxBodyBytes must be between 4096 and 16777216"; }
        if (WebhookSecrets.Count > 16) { yield return "Coliseum:Stripe:WebhookSecrets holds at most 16 secrets"; }
    }
}
