namespace Coliseum.Reports;

/// <summary>Report computation settings (<c>Coliseum:Reports:*</c>).</summary>
public sealed class ReportOptions
{
    public const string Section = "Coliseum:Reports";

    /// <summary>Most reports waiting or being computed at once; one more is refused with 503 and Retry-After.</summary>
    public int MaxPending { get; set; } = 32;

    /// <summary>How many reports are computed at the same time (each holds one read connection).</summary>
    public int Concurrency { get; set; } = 2;
}
