using Coliseum.Storage.Postgres;
using Coliseum.Tests.Infrastructure;

namespace Coliseum.Tests.Storage;

public sealed class PostgresMigrationsTests : IAsyncLifetime
{
    private PostgresSchema _schema = null!;

    // Not made here: the migrations must make it.
    public async Task InitializeAsync() => _schema = await PostgresSchema.CreateAsync("migrations", create: false);

    public async Task DisposeAsync() => await _schema.DisposeAsync();

    [Fact]
    public async Task Processes_starting_together_make_the_schema_and_run_each_script_once()
    {
        var sources = Enumerable.Range(0, 4).Select(_ => _schema.NewDataSource()).ToArray();
        try
        {
            await Task.WhenAll(sources.Select(source => Task.Run(() => PostgresMigrations.ApplyAsync(source, _schema.Name, CancellationToken.None))));
            await PostgresMigrations.ApplyAsync(_schema.DataSource, _schema.Name, CancellationToken.None);
        }
        finally
        {
            foreach (var source in sources)
            {
                await source.DisposeAsync();
            }
        }

        Assert.Equal(PostgresMigrations.Scripts.Count, await _schema.ScalarAsync<long>("SELECT COUNT(*) FROM schema_migrations"));
        Assert.Equal(PostgresMigrations.Scripts.Max(s => s.Version), await _schema.ScalarAsync<long>("SELECT MAX(version) FROM schema_migrations"));
        Assert.Equal(0L, await _schema.ScalarAsync<long>("SELECT version FROM coliseum_keys_version"));
        Assert.Equal(_schema.Name, await _schema.ScalarAsync<string>("SELECT table_schema FROM information_schema.tables WHERE table_name = 'coliseum_keys' AND table_schema = current_schema()"));
    }

    [Fact]
    public void A_schema_name_that_would_need_quoting_is_refused()
    {
        var error = Assert.Throws<ArgumentException>(() => PostgresDataSource.Create("Host=127.0.0.1", "Coliseum-Prod"));
        Assert.Contains("'Coliseum-Prod' is not a usable schema name", error.Message);
    }
}
