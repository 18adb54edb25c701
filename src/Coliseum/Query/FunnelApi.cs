using System.Collections.Frozen;
using System.Text.Json;
using System.Text.RegularExpressions;
using Coliseum.Capture;
using Coliseum.Catalogue;
using Coliseum.Processing;
using Coliseum.Security;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Coliseum.Query;

/// <summary><c>POST /api/coliseum/funnels</c>: an ad hoc conversion funnel over the applied log (read key).</summary>
internal static partial class FunnelApi
{
    public const int MinSteps = 2;
    public const int MaxSteps = 10;
    public const int MaxFilters = 10;
    public const int MaxBreakdownLimit = 50;
    public const int MaxBodyBytes = 64 * 1024;
    public static readonly TimeSpan MaxWithin = TimeSpan.FromDays(90);
    public static readonly TimeSpan MaxRange = TimeSpan.FromDays(366);

    /// <summary>The context paths a funnel can be broken down by (the step-1 event's own fields are allowed too).</summary>
    public static readonly FrozenSet<string> ContextBreakdowns = FrozenSet.Create(StringComparer.Ordinal,
        "context.campaign.source", "context.campaign.medium", "context.campaign.name", "context.campaign.term", "context.campaign.content",
        "context.page.referrer", "context.page.path", "context.page.url", "context.locale");

    private static readonly FrozenSet<string> Properties = FrozenSet.Create(StringComparer.Ordinal, "steps", "within", "from", "to", "filters", "breakdown", "breakdownLimit");

    public static IEndpointRouteBuilder MapFunnelApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/coliseum/funnels", FunnelAsync).WithTags("Coliseum")
            .WithSummary("An ad hoc conversion funnel over the applied log, optionally filtered and broken down (read key)");
        return app;
    }

    private static async Task<IResult> FunnelAsync(HttpContext http, IProcessorStore store, CancellationToken cancellationToken)
    {
        if (Access.Require(http, KeyRole.Read) is { } denied) { return denied; }
        if (http.Request.ContentLength > MaxBodyBytes) { return QueryProblems.Create(413, $"the body is larger than {MaxBodyBytes} bytes"); }
        using var buffer = new MemoryStream();
        var chunk = new byte[8192];
        int read;
        while ((read = await http.Request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            buffer.Write(chunk, 0, read);
            if (buffer.Length > MaxBodyBytes) { return QueryProblems.Create(413, $"the body is larger than {MaxBodyBytes} bytes"); }
        }
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), new JsonDocumentOptions { MaxDepth = 8 });
        }
        catch (JsonException ex)
        {
            return QueryProblems.Create(400, $"the body is not valid JSON: {ex.Message}");
        }
        using (document)
        {
            if (Parse(document.RootElement, out var query, out var within) is { } invalid) { return invalid; }
            return TypedResults.Ok(await FunnelEngine.RunAsync(store, query!, within!, cancellationToken));
        }
    }

    /// <summary>Checks every input; null when the query is valid.</summary>
    internal static ProblemHttpResult? Parse(JsonElement body, out FunnelQuery? query, out string? within)
    {
        query = null;
        within = null;
        if (body.ValueKind != JsonValueKind.Object)
        {
            return QueryProblems.Create(400, "the body must be a JSON object: {\"steps\": [...], \"within\": \"7d\", \"from\": \"…\", \"to\": \"…\"}");
        }
        foreach (var property in body.EnumerateObject())
        {
            if (!Properties.Contains(property.Name))
            {
                return QueryProblems.Create(400, $"unknown property '{property.Name}'; the properties are {string.Join(", ", Properties.Order(StringComparer.Ordinal))}", property.Name);
            }
        }

        if (!body.TryGetProperty("steps", out var stepsElement) || stepsElement.ValueKind != JsonValueKind.Array)
        {
            return QueryProblems.Create(400, "steps must be an array of event types", "steps");
        }
        var count = stepsElement.GetArrayLength();
        if (count is < MinSteps or > MaxSteps)
        {
            return QueryProblems.Create(400, $"a funnel has {MinSteps} to {MaxSteps} steps, not {count}", "steps");
        }
        var steps = new List<string>(count);
        foreach (var step in stepsElement.EnumerateArray())
        {
            var field = $"steps[{steps.Count}]";
            if (step.ValueKind != JsonValueKind.String) { return QueryProblems.Create(400, $"{field} must be an event type (a string)", field); }
            var type = step.GetString()!;
            if (!EventCatalogue.TryGet(type, out _)) { return QueryProblems.Create(400, $"{field}: '{Clip(type)}' is not an event type of the catalogue", field); }
            steps.Add(type);
        }

        within = "7d";
        if (body.TryGetProperty("within", out var withinElement))
        {
            if (withinElement.ValueKind != JsonValueKind.String) { return QueryProblems.Create(400, "within must be a duration such as \"30m\", \"24h\" or \"7d\"", "within"); }
            within = withinElement.GetString()!;
        }
        var match = Duration().Match(within);
        if (!match.Success) { return QueryProblems.Create(400, $"within '{Clip(within)}' is not a duration such as \"30m\", \"24h\" or \"7d\"", "within"); }
        var amount = long.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        var withinSpan = match.Groups[2].Value switch { "m" => TimeSpan.FromMinutes(amount), "h" => TimeSpan.FromHours(amount), _ => TimeSpan.FromDays(amount) };
        if (withinSpan > MaxWithin) { return QueryProblems.Create(400, $"within is at most {MaxWithin.TotalDays:0}d", "within"); }

        if (Instant(body, "from", out var from) is { } badFrom) { return badFrom; }
        if (Instant(body, "to", out var to) is { } badTo) { return badTo; }
        if (from >= to) { return QueryProblems.Create(400, "from must be before to", "from"); }
        if (to - from > MaxRange) { return QueryProblems.Create(400, $"the range from..to is at most {MaxRange.TotalDays:0} days", "to"); }

        var filters = new List<FunnelFilter>();
        if (body.TryGetProperty("filters", out var filtersElement) && filtersElement.ValueKind != JsonValueKind.Null)
        {
            if (filtersElement.ValueKind != JsonValueKind.Object) { return QueryProblems.Create(400, "filters must be an object of field: value", "filters"); }
            foreach (var filter in filtersElement.EnumerateObject())
            {
                var field = $"filters.{Clip(filter.Name)}";
                if (filters.Count == MaxFilters) { return QueryProblems.Create(400, $"at most {MaxFilters} filters", "filters"); }
                if (!steps.Any(type => ScalarField(type, filter.Name))) { return QueryProblems.Create(400, $"{field}: no step's event type has a field '{Clip(filter.Name)}' (a string, number or boolean field)", field); }
                if (filter.Value.ValueKind is not (JsonValueKind.String or JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False))
                {
                    return QueryProblems.Create(400, $"{field} must be a string, a number or a boolean", field);
                }
                if (filter.Value.ValueKind == JsonValueKind.String && filter.Value.GetString()!.Length > EventCatalogue.DefaultMaxStringLength)
                {
                    return QueryProblems.Create(400, $"{field} is longer than {EventCatalogue.DefaultMaxStringLength} characters", field);
                }
                filters.Add(new FunnelFilter(filter.Name, filter.Value.Clone()));
            }
        }

        string? breakdown = null;
        if (body.TryGetProperty("breakdown", out var breakdownElement) && breakdownElement.ValueKind != JsonValueKind.Null)
        {
            breakdown = breakdownElement.ValueKind == JsonValueKind.String ? breakdownElement.GetString() : null;
            if (breakdown is null || !(ContextBreakdowns.Contains(breakdown) || ScalarField(steps[0], breakdown)))
            {
                return QueryProblems.Create(400, $"breakdown must be one of {string.Join(", ", ContextBreakdowns.Order(StringComparer.Ordinal))} or a field of {steps[0]}", "breakdown");
            }
        }
        var limit = 10;
        if (body.TryGetProperty("breakdownLimit", out var limitElement))
        {
            if (limitElement.ValueKind != JsonValueKind.Number || !limitElement.TryGetInt32(out limit) || limit is < 1 or > MaxBreakdownLimit)
            {
                return QueryProblems.Create(400, $"breakdownLimit must be an integer from 1 to {MaxBreakdownLimit}", "breakdownLimit");
            }
        }

        query = new FunnelQuery(steps, (long)withinSpan.TotalMilliseconds, from.ToUnixTimeMilliseconds(), to.ToUnixTimeMilliseconds())
        {
            Filters = filters,
            Breakdown = breakdown,
            BreakdownLimit = limit,
        };
        return null;
    }

    private static ProblemHttpResult? Instant(JsonElement body, string name, out DateTimeOffset value)
    {
        value = default;
        if (!body.TryGetProperty(name, out var element))
        {
            return QueryProblems.Create(400, $"{name} is required (an ISO-8601 instant such as 2026-11-02T00:00:00Z)", name);
        }
        return element.ValueKind == JsonValueKind.String && QueryInput.TryInstant(element.GetString(), out value)
            ? null
            : QueryProblems.Create(400, $"{name} must be an ISO-8601 instant such as 2026-11-02T00:00:00Z", name);
    }

    private static bool ScalarField(string type, string name) =>
        EventCatalogue.TryGet(type, out var spec) && spec.FieldsByName.TryGetValue(name, out var field)
        && field.Kind is FieldKind.String or FieldKind.Integer or FieldKind.Number or FieldKind.Boolean;

    private static string Clip(string text) => text.Length <= 64 ? text : text[..64] + "…";

    [GeneratedRegex("^([1-9][0-9]{0,5})(m|h|d)$")]
    private static partial Regex Duration();
}
