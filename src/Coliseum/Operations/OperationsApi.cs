using Coliseum.Capture;
using Coliseum.Hosting;
using Coliseum.Security;
using Coliseum.Storage;
using Microsoft.Extensions.Options;

namespace Coliseum.Operations;

/// <summary><c>/healthz</c> for load balancers and <c>/metrics</c> for Prometheus.</summary>
internal static class OperationsApi
{
    public static IEndpointRouteBuilder MapOperationsApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/healthz", HealthAsync).WithTags("Operations").WithSummary("Is the store reachable?");
        app.MapPrometheusScrapingEndpoint("/metrics", meterProvider: null, configureBranchedPipeline: branch => branch.Use(RequireReadKey), optionsName: null);
        return app;
    }

    private static async Task<IResult> HealthAsync(IPassportStore store, PassportAppender appender, CancellationToken cancellationToken)
    {
        try
        {
            await store.PingAsync(cancellationToken);
            return TypedResults.Ok(new Health("ok", store.Provider, appender.PendingEvents));
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return TypedResults.Json(new Health("unavailable", store.Provider, appender.PendingEvents, ex.Message), statusCode: 503);
        }
    }

    /// <summary>Lets a scrape through with a read or admin key, unless metrics are configured open.</summary>
    private static async Task RequireReadKey(HttpContext http, Func<Task> next)
    {
        var open = http.RequestServices.GetRequiredService<IOptions<ColiseumOptions>>().Value.MetricsAllowAnonymous;
        var role = http.RequestServices.GetRequiredService<KeyRing>().RoleOf(CaptureService.HeaderKey(http.Request));
        if (open || role is KeyRole.Read or KeyRole.Admin)
        {
            await next();
            return;
        }
        await (role is null
            ? Problems.Create(401, "a read key is required: Authorization: Bearer <read key>")
            : Problems.Create(403, "a write key cannot read metrics; use a read key")).ExecuteAsync(http);
    }

    internal sealed record Health(string Status, string Storage, long QueuedEvents, string? Error = null);
}
