using Coliseum.Capture;
using Coliseum.Hosting;
using Coliseum.Security;
using Coliseum.Storage;
using Microsoft.Extensions.Options;
using Prometheus;

namespace Coliseum.Operations;

/// <summary><c>/healthz</c> for load balancers and <c>/metrics</c> for Prometheus.</summary>
internal static class OperationsApi
{
    public static IEndpointRouteBuilder MapOperationsApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/healthz", HealthAsync).WithTags("Operations").WithSummary("Is the store reachable?");
        app.MapGet("/metrics", MetricsAsync).WithTags("Operations").WithSummary("Prometheus text format (read key unless Coliseum:MetricsAllowAnonymous)");
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

    private static async Task MetricsAsync(HttpContext http, KeyRing keys, IOptions<ColiseumOptions> options)
    {
        if (!options.Value.MetricsAllowAnonymous)
        {
            var role = keys.RoleOf(CaptureService.HeaderKey(http.Request));
            if (role is not (KeyRole.Read or KeyRole.Admin))
            {
                await (role is null
                    ? Problems.Create(401, "a read key is required: Authorization: Bearer <read key>")
                    : Problems.Create(403, "a write key cannot read metrics; use a read key")).ExecuteAsync(http);
                return;
            }
        }
        http.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
        await Metrics.DefaultRegistry.CollectAndExportAsTextAsync(http.Response.Body, http.RequestAborted);
    }

    internal sealed record Health(string Status, string Storage, long QueuedEvents, string? Error = null);
}
