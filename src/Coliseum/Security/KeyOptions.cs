namespace Coliseum.Security;

/// <summary>API keys from configuration: <c>Coliseum__Keys__Write__0</c>, <c>…Read__0</c>, <c>…Admin__0</c>.</summary>
public sealed class KeyOptions
{
    public const string Section = "Coliseum:Keys";

    public List<string> Write { get; set; } = [];
    public List<string> Read { get; set; } = [];
    public List<string> Admin { get; set; } = [];

    public bool Any => Write.Count + Read.Count + Admin.Count > 0;
}
