using System.Text.Json;
using Coliseum.Capture;
using Coliseum.Processing;
using Coliseum.Storage;
using Coliseum.Storage.Postgres;
using Coliseum.Storage.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;

namespace Coliseum.Tests.Infrastructure;

/// <summary>
/// A real store in a temporary directory (a SQLite file, or a schema of its own on the PostgreSQL test server:
/// <see cref="TestBackend"/>), events appended through the real validator, and a consumer run to the head of
/// the log with the real runner: for testing one consumer's tables.
/// </summary>
public sealed class ProcessorHarness : IAsyncDisposable
{
    private readonly string _directory;
    private readonly EventValidator _validator = new(new CaptureOptions());

    /// <summary>Receive times are a fixed clock (not now), so two harnesses fed the same events hold the same log.</summary>
    private long _receivedAt = new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds();

    private ProcessorHarness(string directory, IPassportStore log, ProcessingOptions options)
    {
        _directory = directory;
        Log = log;
        Store = (IProcessorStore)log;
        Options = options;
    }

    /// <summary>The log (the same object as <see cref="Store"/>).</summary>
    public IPassportStore Log { get; }

    public IProcessorStore Store { get; }

    public ProcessingOptions Options { get; }

    /// <summary>The database, for <see cref="Sql"/>: the SQLite file, or <c>postgres:&lt;schema&gt;</c>.</summary>
    public string DatabasePath => TestBackend.Database(_directory);

    public static async Task<ProcessorHarness> CreateAsync(ProcessingOptions? options = null)
    {
        var directory = TempDirectory.Create("processor");
        IPassportStore store = TestBackend.Postgres
            ? PostgresPassportStore.Open(TestBackend.ServerConnectionString(), TestBackend.SchemaOf(directory))
            : new SqlitePassportStore(Path.Combine(directory, "coliseum.db"));
        await store.InitializeAsync(CancellationToken.None);
        return new ProcessorHarness(directory, store, options ?? new ProcessingOptions());
    }

    /// <summary>Validates and appends events given as JSON objects (a messageId is made when absent); fails the test on an invalid one.</summary>
    public async Task AppendAsync(params string[] events)
    {
        var records = new List<PassportRecord>();
        foreach (var json in events)
        {
            using var document = JsonDocument.Parse(json);
            if (!_validator.TryValidate(document.RootElement, _receivedAt++, "api", out var record, out var error))
            {
                throw new InvalidOperationException($"test event is invalid: {error.Message} ({json})");
            }
            records.Add(record);
        }
        var inserted = new bool[records.Count];
        await Log.AppendAsync(records, inserted, CancellationToken.None);
    }

    /// <summary>Runs <paramref name="consumer"/> until it has applied the whole log; returns how many entries it applied.</summary>
    public async Task<long> RunAsync(Consumer consumer, int batchSize = 1000)
    {
        var runner = Runner(consumer);
        var applied = await runner.CatchUpAsync(batchSize, null, CancellationToken.None);
        await runner.ReleaseAsync(CancellationToken.None);
        return applied;
    }

    public ConsumerRunner Runner(Consumer consumer) =>
        new(consumer, Log, Store, Options, new LogSignal(), NullLogger.Instance, TimeProvider.System);

    /// <summary>Rows of a query as strings (NULL as "∅"), each row's columns joined by '|'.</summary>
    public List<string> Rows(string sql) => Sql.Rows(DatabasePath, sql);

    public long Scalar(string sql) => Sql.Scalar<long>(DatabasePath, sql);

    public async ValueTask DisposeAsync()
    {
        await Log.DisposeAsync();
        TestBackend.Drop(_directory);
        Directory.Delete(_directory, recursive: true);
    }
}
