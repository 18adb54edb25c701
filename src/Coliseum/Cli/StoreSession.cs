using Coliseum.Hosting;
using Coliseum.Processing;
using Coliseum.Storage;

namespace Coliseum.Cli;

/// <summary>
/// The store and processor opened the way <c>coliseum serve</c> opens them (appsettings.json beside the
/// executable, <c>Coliseum__*</c> environment variables, <c>--Coliseum:Key=value</c> arguments), for
/// the command-line tools.
/// </summary>
internal sealed class StoreSession : IAsyncDisposable
{
    private readonly ILoggerFactory _loggers;

    private StoreSession(IPassportStore store, Processor processor, string dataDirectory, ILoggerFactory loggers)
    {
        Store = store;
        Processor = processor;
        DataDirectory = dataDirectory;
        _loggers = loggers;
    }

    public IPassportStore Store { get; }

    public Processor Processor { get; }

    public string DataDirectory { get; }

    /// <summary>Settings as <c>serve</c> reads them; <paramref name="dataDirectory"/> (<c>--data-dir</c>) wins when given.</summary>
    public static IConfiguration Configuration(string? dataDirectory, IEnumerable<string> settings)
    {
        var builder = new ConfigurationBuilder()
            .SetBasePath(AppContext.BaseDirectory)
            .AddJsonFile("appsettings.json", optional: true)
            .AddEnvironmentVariables()
            .AddCommandLine([.. settings]);
        if (dataDirectory is not null)
        {
            builder.AddInMemoryCollection([new($"{ColiseumOptions.Section}:DataDirectory", dataDirectory)]);
        }
        return builder.Build();
    }

    public static async Task<StoreSession> OpenAsync(string? dataDirectory, IEnumerable<string> settings, CancellationToken cancellationToken)
    {
        var configuration = Configuration(dataDirectory, settings);
        var options = ColiseumOptions.Read(configuration);
        var processing = ProcessingSetup.Read(configuration);
        var directory = Path.GetFullPath(options.DataDirectory);
        if (!options.Storage.IsPostgres && !File.Exists(Path.Combine(directory, StorageSetup.SqliteFile)))
        {
            throw new FileNotFoundException($"no Coliseum database in {directory} (set --data-dir, or Coliseum__DataDirectory; for PostgreSQL, Coliseum__Storage__Provider=postgres and ConnectionStrings__Coliseum)");
        }
        var store = await ColiseumApp.OpenStoreAsync(options, directory, cancellationToken);
        var loggers = LoggerFactory.Create(logging => logging.AddSimpleConsole(console => console.SingleLine = true).SetMinimumLevel(LogLevel.Warning));
        var processor = new Processor(store, (IProcessorStore)store, processing, new LogSignal(), loggers, TimeProvider.System);
        return new StoreSession(store, processor, directory, loggers);
    }

    public async ValueTask DisposeAsync()
    {
        await Store.DisposeAsync();
        _loggers.Dispose();
    }
}
