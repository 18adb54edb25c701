using Coliseum.Privacy;
using Coliseum.Processing;
using Coliseum.Query;
using Coliseum.Storage;
using Coliseum.Storage.Postgres;

namespace Coliseum.Hosting;

/// <summary>
/// What a process needs when others share its database (PostgreSQL): notifications of their commits, and the
/// suppression list re-read when another process's erasure changes it. SQLite has one process per file.
/// </summary>
internal static class SeveralProcesses
{
    public static void AddSeveralProcesses(this IServiceCollection services, IPassportStore store)
    {
        if (store is not PostgresPassportStore postgres)
        {
            return;
        }
        services.AddHostedService(s => new PostgresWakeups(postgres.DataSource, postgres.Schema, s.GetRequiredService<LogSignal>(),
            s.GetRequiredService<ChangeFeed>(), s.GetRequiredService<ILogger<PostgresWakeups>>()));
        services.AddHostedService<SuppressionRefresher>();
    }
}
