using System.Text.Json;
using Coliseum.Capture;
using Coliseum.Processing;
using Coliseum.Security;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Coliseum.Hosting;

/// <summary>The processor's own endpoints: status, the entity directory, dead letters.</summary>
internal static class ColiseumApi
{
    private const int MaxNameLength = 200;
    private const int MaxIdLength = 128;

    public static IEndpointRouteBuilder MapColiseumApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/coliseum").WithTags("Coliseum");
        group.MapGet("/status", StatusAsync).WithSummary("Log head and, per consumer, cursor, lag, rate and dead letters (read key)");
        group.MapGet("/entities/{type}/{id}", GetEntityAsync).WithSummary("An entity's display name (read key)");
        group.MapPut("/entities/{type}/{id}", PutEntityAsync).WithSummary("Set an entity's display name (admin key); it wins over names from events");
        group.MapGet("/deadletters", ListDeadLettersAsync).WithSummary("Open dead letters, newest first (admin key)");
        group.MapPost("/deadletters/retry", RetryDeadLettersAsync).WithSummary("Re-apply open dead letters once their cause is fixed (admin key)");
        return app;
    }

    private static async Task<IResult> StatusAsync(HttpContext http, Processor processor, CancellationToken cancellationToken) =>
        Access.Require(http, KeyRole.Read) ?? (IResult)TypedResults.Ok(await processor.StatusAsync(cancellationToken));

    private static async Task<IResult> GetEntityAsync(HttpContext http, string type, string id, Processor processor, CancellationToken cancellationToken)
    {
        if (Access.Require(http, KeyRole.Read) is { } denied) { return denied; }
        if (CheckEntity(type, id) is { } invalid) { return invalid; }
        var entity = await EntityDirectory.FindAsync(processor.Store, type, id, cancellationToken);
        return entity is null ? Problems.Create(404, $"no name is known for {type} {id}") : TypedResults.Ok(entity);
    }

    private static async Task<IResult> PutEntityAsync(HttpContext http, string type, string id, Processor processor, TimeProvider time, CancellationToken cancellationToken)
    {
        if (Access.Require(http, KeyRole.Admin) is { } denied) { return denied; }
        if (CheckEntity(type, id) is { } invalid) { return invalid; }
        string? name;
        try
        {
            using var document = await JsonDocument.ParseAsync(http.Request.Body, default, cancellationToken);
            if (document.RootElement.ValueKind != JsonValueKind.Object || !document.RootElement.TryGetProperty("name", out var value) || value.ValueKind != JsonValueKind.String)
            {
                return Problems.Create(400, "the body must be {\"name\": \"…\"}", "name");
            }
            name = value.GetString()!.Trim();
        }
        catch (JsonException ex)
        {
            return Problems.Create(400, $"the body is not valid JSON: {ex.Message}");
        }
        if (name.Length is 0 or > MaxNameLength)
        {
            return Problems.Create(400, $"name must be 1 to {MaxNameLength} characters", "name");
        }
        var entity = await EntityDirectory.SetAsync(processor.Store, type, id, name, time.GetUtcNow().ToUnixTimeMilliseconds(), cancellationToken);
        return TypedResults.Ok(entity);
    }

    private static async Task<IResult> ListDeadLettersAsync(HttpContext http, Processor processor, string? consumer, int? limit, CancellationToken cancellationToken)
    {
        if (Access.Require(http, KeyRole.Admin) is { } denied) { return denied; }
        if (consumer is not null && processor.Runner(consumer) is null) { return UnknownConsumer(processor, consumer); }
        if (limit is < 1 or > 1000) { return Problems.Create(400, "limit must be between 1 and 1000", "limit"); }
        return TypedResults.Ok(await DeadLetters.ListAsync(processor.Store, consumer, limit ?? 100, cancellationToken));
    }

    private static async Task<IResult> RetryDeadLettersAsync(HttpContext http, Processor processor, string? consumer, CancellationToken cancellationToken)
    {
        if (Access.Require(http, KeyRole.Admin) is { } denied) { return denied; }
        if (consumer is not null && processor.Runner(consumer) is null) { return UnknownConsumer(processor, consumer); }
        var results = new List<RetryResult>();
        foreach (var runner in processor.Runners.Where(r => consumer is null || r.Name.Equals(consumer, StringComparison.OrdinalIgnoreCase)))
        {
            try
            {
                var (resolved, failed) = await runner.RetryDeadLettersAsync(cancellationToken);
                results.Add(new RetryResult(runner.Name, resolved, failed));
            }
            catch (InvalidOperationException ex)
            {
                return Problems.Create(409, ex.Message);
            }
        }
        return TypedResults.Ok(results);
    }

    private static ProblemHttpResult UnknownConsumer(Processor processor, string consumer) =>
        Problems.Create(404, $"no consumer '{consumer}'; the consumers are {string.Join(", ", processor.Names)}", "consumer");

    private static ProblemHttpResult? CheckEntity(string type, string id)
    {
        if (!Metric.Entities.Contains(type))
        {
            return Problems.Create(404, $"unknown entity type '{type}'; use one of {string.Join(", ", Metric.Entities)}", "type");
        }
        return id.Length is 0 or > MaxIdLength ? Problems.Create(400, $"the id must be 1 to {MaxIdLength} characters", "id") : null;
    }

    internal sealed record RetryResult(string Consumer, int Resolved, int StillFailing);
}
