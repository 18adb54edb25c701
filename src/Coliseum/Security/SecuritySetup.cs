using Coliseum.Hosting;
using Coliseum.Storage;
using Coliseum.Storage.Sqlite;
using Microsoft.AspNetCore.Cors.Infrastructure;
using Microsoft.Extensions.Options;

namespace Coliseum.Security;

/// <summary>Keys, rate limits and CORS for <c>serve</c>: what <see cref="ColiseumApp"/> registers and puts in the pipeline.</summary>
internal static class SecuritySetup
{
    /// <summary>The key table of the configured store (the provider was checked when the store was opened).</summary>
    public static IKeyStore OpenKeyStore(string dataDirectory) => new SqliteKeyStore(Path.Combine(dataDirectory, "coliseum.db"));

    public static async Task AddAsync(WebApplicationBuilder builder, string dataDirectory, CancellationToken cancellationToken)
    {
        var keys = builder.Configuration.GetSection(KeyOptions.Section).Get<KeyOptions>() ?? new KeyOptions();
        var limits = builder.Configuration.GetSection(RateLimitOptions.Section).Get<RateLimitOptions>() ?? new RateLimitOptions();
        var cors = builder.Configuration.GetSection(CorsSettings.Section).Get<CorsSettings>() ?? new CorsSettings();
        Throw(KeyOptions.Section, typeof(KeyOptions), keys.Validate());
        Throw(RateLimitOptions.Section, typeof(RateLimitOptions), limits.Validate());
        Throw(CorsSettings.Section, typeof(CorsSettings), cors.Validate());

        var store = OpenKeyStore(dataDirectory);
        var ring = await KeyBootstrap.LoadAsync(keys, store, dataDirectory, TimeProvider.System, Console.Out.WriteLine, cancellationToken);
        builder.Services.AddSingleton(keys);
        builder.Services.AddSingleton(store);
        builder.Services.AddSingleton(ring);
        builder.Services.AddSingleton<KeyRefresher>();
        builder.Services.AddHostedService(services => services.GetRequiredService<KeyRefresher>());

        builder.Services.AddSingleton(limits);
        if (limits.Enabled)
        {
            RateLimits.Add(builder.Services, limits);
        }
        builder.Services.AddSingleton(cors);
        if (cors.Origins.Count > 0)
        {
            builder.Services.AddCors();
            builder.Services.AddSingleton<ICorsPolicyProvider, ColiseumCorsPolicies>();
        }
    }

    /// <summary>CORS first (a preflight is answered before any limit, and a 429 still carries CORS headers), then the limiter.</summary>
    public static void UseColiseumSecurity(this WebApplication app)
    {
        if (app.Services.GetRequiredService<CorsSettings>().Origins.Count > 0)
        {
            app.UseCors();
        }
        if (app.Services.GetRequiredService<RateLimitOptions>().Enabled)
        {
            app.UseRateLimiter();
        }
    }

    private static void Throw(string section, Type type, IEnumerable<string> errors)
    {
        if (errors.ToList() is { Count: > 0 } list)
        {
            throw new OptionsValidationException(section, type, list);
        }
    }
}
