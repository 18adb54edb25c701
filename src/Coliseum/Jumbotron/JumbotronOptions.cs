namespace Coliseum.Jumbotron;

/// <summary>The dashboard's defaults (<c>Coliseum:Jumbotron:*</c>); a screen's URL may override each one.</summary>
public sealed class JumbotronOptions
{
    public const string Section = "Coliseum:Jumbotron";

    /// <summary>Serve the page at <c>/</c> and <c>/jumbotron</c>.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>The boards shown side by side (<c>?boards=a,b</c>); empty means <see cref="DefaultBoards"/>.</summary>
    /// <remarks>Empty rather than pre-filled, because configuration binding appends to a list it finds filled.</remarks>
    public List<string> Boards { get; set; } = [];

    public static IReadOnlyList<string> DefaultBoards { get; } = ["top_artists_by_plays", "top_artists_by_votes"];

    public IReadOnlyList<string> ShownBoards => Boards.Count > 0 ? Boards : DefaultBoards;

    /// <summary>The boards' window: all_time, day, week or month (<c>?window=</c>).</summary>
    public string Window { get; set; } = "day";

    /// <summary>Rows per board (<c>?limit=</c>).</summary>
    public int Limit { get; set; } = 10;

    /// <summary>In kiosk mode, how often the boards move on to the next pair (<c>?cycle=</c>); 0 keeps them.</summary>
    public int CycleSeconds { get; set; } = 20;

    /// <summary>The health strip turns red when a consumer is further behind than this (<c>?lagAlert=</c>).</summary>
    public int LagAlertSeconds { get; set; } = 30;

    public IEnumerable<string> Validate()
    {
        if (Boards.Count > 2) { yield return "Coliseum:Jumbotron:Boards must name one or two leaderboards"; }
        if (Window is not ("all_time" or "day" or "week" or "month")) { yield return "Coliseum:Jumbotron:Window must be all_time, day, week or month"; }
        if (Limit is < 3 or > 25) { yield return "Coliseum:Jumbotron:Limit must be between 3 and 25"; }
        if (CycleSeconds is < 0 or > 3600) { yield return "Coliseum:Jumbotron:CycleSeconds must be between 0 and 3600"; }
        if (LagAlertSeconds is < 1 or > 86_400) { yield return "Coliseum:Jumbotron:LagAlertSeconds must be between 1 and 86400"; }
    }
}
