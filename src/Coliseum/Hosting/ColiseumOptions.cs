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

    /// <summary>The <c>Coliseum</c> section, with the PostgreSQL connection string from <c>ConnectionStrings:Coliseum</c>.</summary>
    public static ColiseumOptions Read(IConfiguration configuration)
    {
        var options = configuration.GetSection(Section).Get<ColiseumOptions>() ?? new ColiseumOptions();
        options.Storage.ConnectionString = configuration.GetConnectionString("Coliseum");
        return options;
    }
}

public sealed class StorageOptions
{
    /// <summary><c>sqlite</c> (default: embedded, a file in the data directory) or <c>postgres</c>.</summary>
    public string Provider { get; set; } = "sqlite";

    /// <summary>PostgreSQL: the schema Coliseum's tables live in (made by the migrations if missing).</summary>
    public string Schema { get; set; } = "public";

    /// <summary>PostgreSQL: an Npgsql connection string, from <c>ConnectionStrings:Coliseum</c> (<c>ConnectionStrings__Coliseum</c>).</summary>
    public string? ConnectionString { get; internal set; }

    public bool IsPostgres => Provider.Equals("postgres", StringComparison.OrdinalIgnoreCase);
}
