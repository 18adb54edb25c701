using Coliseum.Hosting;
using Coliseum.Storage;
using System.Net;
using Microsoft.AspNetCore.Cors.Infrastructure;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Options;

namespace Coliseum.Security;

/// <summary>Keys, rate limits and CORS for <c>serve</c>: what <see cref="ColiseumApp"/> registers and puts in the pipeline.</summary>
internal static class SecuritySetup
{
    /// <param name="store">The key table, in the same database as the log.</param>
    public static async Task AddAsync(WebApplicationBuilder builder, IKeyStore store, string dataDirectory, CancellationToken cancellationToken)
    {
        var keys = builder.Configuration.GetSection(KeyOptions.Section).Get<KeyOptions>() ?? new KeyOptions();
        var limits = builder.Configuration.GetSection(RateLimitOptions.Section).Get<RateLimitOptions>() ?? new RateLimitOptions();
        var cors = builder.Configuration.GetSection(CorsSettings.Section).Get<CorsSettings>() ?? new CorsSettings();
        var proxy = builder.Configuration.GetSection(ProxyOptions.Section).Get<ProxyOptions>() ?? new ProxyOptions();
        Throw(KeyOptions.Section, typeof(KeyOptions), keys.Validate());
        Throw(RateLimitOptions.Section, typeof(RateLimitOptions), limits.Validate());
        Throw(CorsSettings.Section, typeof(CorsSettings), cors.Validate());
        Throw(ProxyOptions.Section, typeof(ProxyOptions), proxy.Validate());

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
        builder.Services.AddSingleton(proxy);
        if (proxy.Any)
        {
            builder.Services.Configure<ForwardedHeadersOptions>(forwarded =>
            {
                forwarded.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
                // Only the configured proxies: ASP.NET's default trusts loopback, which is not a proxy here.
                forwarded.KnownProxies.Clear();
                forwarded.KnownIPNetworks.Clear();
                proxy.KnownProxies.ForEach(p => forwarded.KnownProxies.Add(IPAddress.Parse(p)));
                proxy.KnownNetworks.ForEach(n => forwarded.KnownIPNetworks.Add(System.Net.IPNetwork.Parse(n)));
            });
        }
        builder.Services.AddSingleton(cors);
        if (cors.Origins.Count > 0)
        {
            builder.Services.AddCors();
            builder.Services.AddSingleton<ICorsPolicyProvider, ColiseumCorsPolicies>();
        }
    }

    /// <summary>
    /// The client's real address first (from a trusted proxy's X-Forwarded-For), then CORS (a preflight is
    /// answered before any limit, and a 429 still carries CORS headers), then the limiter.
    /// </summary>
    public static void UseColiseumSecurity(this WebApplication app)
    {
        if (app.Services.GetRequiredService<ProxyOptions>().Any)
        {
            app.UseForwardedHeaders();
        }
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
