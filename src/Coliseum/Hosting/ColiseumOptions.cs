namespace Coliseum.Hosting;

/// <summary>Top-level settings (<c>Coliseum:*</c>, or <c>Coliseum__*</c> environment variables).</summary>
public sealed class ColiseumOptions
{
    public const string Section = "Coliseum";

    /// <summary>Where the embedded database and generated keys live.</summary>
    public string DataDirectory { get; set; } = "./data";

    public StorageOptions Storage { get; set; } = new();

    /// <summary>Let <c>/metrics</c> be scraped without a read key.</summary>
    public bool MetricsAllowAnonymous { get; set; }
}

public sealed class StorageOptions
{
    /// <summary><c>sqlite</c> (default, embedded) — PostgreSQL arrives with its own issue.</summary>
    public string Provider { get; set; } = "sqlite";
}
