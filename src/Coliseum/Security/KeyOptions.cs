namespace Coliseum.Security;

/// <summary>
/// API keys from configuration (<c>Coliseum__Keys__Write__0</c>, <c>…Read__0</c>, <c>…Admin__0</c>), accepted
/// in addition to the keys in the database; and how often each process checks the database for changes.
/// </summary>
public sealed class KeyOptions
{
    public const string Section = "Coliseum:Keys";

    public List<string> Write { get; set; } = [];
    public List<string> Read { get; set; } = [];
    public List<string> Admin { get; set; } = [];

    /// <summary>How often the database's key version is read; a revocation takes effect within this.</summary>
    public int RefreshMilliseconds { get; set; } = 1000;

    public bool Any => Write.Count + Read.Count + Admin.Count > 0;

    public IEnumerable<string> Validate()
    {
        if (RefreshMilliseconds is < 50 or > 2000)
        {
            yield return "Coliseum:Keys:RefreshMilliseconds must be between 50 and 2000";
        }
        foreach (var key in Write.Concat(Read).Concat(Admin))
        {
            if (key.Length is 0 or > KeyRing.MaxKeyLength)
            {
                // Never the key itself in the message: it ends up in logs.
                yield return $"Coliseum:Keys: every key must be 1 to {KeyRing.MaxKeyLength} characters (one is {key.Length})";
            }
        }
    }
}
