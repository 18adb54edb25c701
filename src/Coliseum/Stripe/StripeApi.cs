using System.Buffers;
using System.Text.Json;
using Coliseum.Capture;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;

namespace Coliseum.Stripe;

/// <summary>
/// <c>POST /api/stripe/webhook</c>: Stripe's signed events become treasury events in the Passport log,
/// through the same validator and group commit as every capture endpoint, answered 200 only once durable.
/// No Coliseum key: the signature is the credential. See docs/stripe.md.
/// </summary>
internal static class StripeApi
{
    /// <summary>Stripe's objects nest a handful of levels; this leaves room and still bounds the parser.</summary>
    private const int MaxDepth = 64;

    public static IEndpointRouteBuilder MapStripeApi(this IEndpointRouteBuilder app)
    {
        var options = app.ServiceProvider.GetRequiredService<IConfiguration>().GetSection(StripeOptions.Section).Get<StripeOptions>() ?? new StripeOptions();
        if (options.Validate().ToList() is { Count: > 0 } errors)
        {
            throw new OptionsValidationException(StripeOptions.Section, typeof(StripeOptions), errors);
        }
        var secrets = options.ConfiguredSecrets();
        var logger = app.ServiceProvider.GetRequiredService<ILoggerFactory>().CreateLogger("Coliseum.Stripe");
        app.MapPost("/api/stripe/webhook", (HttpContext http, CaptureService capture, TimeProvider clock, CancellationToken ct) =>
                HandleAsync(http, capture, clock, options, secrets, logger, ct))
            .WithTags("Stripe")
            .WithSummary("Receive a Stripe webhook (verified by its Stripe-Signature header; no key)")
            .Produces<StripeWebhookResponse>()
            .ProducesProblem(400).ProducesProblem(413).ProducesProblem(503);
        return app;
    }

    private static async Task<IResult> HandleAsync(HttpContext http, CaptureService capture, TimeProvider clock, StripeOptions options,
        IReadOnlyList<string> secrets, ILogger logger, CancellationToken cancellationToken)
    {
        if (secrets.Count == 0)
        {
            // 503, not 4xx: the request may be fine and the server is not ready for it. Stripe retries
            // failed deliveries for days, so what arrives before the secret is set is not lost.
            StripeLog.Unconfigured(logger);
            StripeMetrics.Webhook(StripeMetrics.Unconfigured, null);
            return Problems.Create(503, "Stripe webhooks are not configured: set Coliseum__Stripe__WebhookSecrets__0 to the endpoint's signing secret (whsec_…)");
        }
        var header = http.Request.Headers[StripeSignature.Header].ToString();
        if (!StripeSignature.TryParse(header, out var timestamp, out var signatures, out var headerProblem))
        {
            return Refuse(logger, 400, headerProblem, StripeSignature.Header);
        }

        var (buffer, length, bodyProblem) = await ReadBodyAsync(http, options.MaxBodyBytes, cancellationToken);
        if (buffer is null)
        {
            return Refuse(logger, bodyProblem!.Value.Status, bodyProblem.Value.Message, null);
        }
        try
        {
            var body = buffer.AsMemory(0, length);
            var now = clock.GetUtcNow().ToUnixTimeSeconds();
            if (StripeSignature.Verify(timestamp, signatures, body.Span, secrets, now, options.ToleranceSeconds) is { } signatureProblem)
            {
                return Refuse(logger, 400, signatureProblem, StripeSignature.Header);
            }
            if (!System.Text.Unicode.Utf8.IsValid(body.Span))
            {
                return Refuse(logger, 400, "the body is not valid UTF-8", null);
            }
            JsonDocument document;
            try
            {
                document = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = MaxDepth });
            }
            catch (JsonException ex)
            {
                return Refuse(logger, 400, $"the body is not valid JSON: {ex.Message}", null);
            }
            using (document)
            {
                return await HandleEventAsync(http, capture, document.RootElement, logger);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static async Task<IResult> HandleEventAsync(HttpContext http, CaptureService capture, JsonElement root, ILogger logger)
    {
        StripeEvent stripeEvent;
        StripeDraft? draft;
        string? skipped;
        try
        {
            if (!StripeEvent.TryRead(root, out stripeEvent, out var shapeError))
            {
                return Refuse(logger, 400, shapeError.Message, shapeError.Field);
            }
            draft = StripeEventMapper.Map(stripeEvent, out skipped);
        }
        catch (InvalidOperationException)
        {
            // A string holding half of a UTF-16 surrogate pair is valid JSON but no text: reading it throws.
            return Refuse(logger, 400, "the body holds a string that is not valid Unicode", null);
        }

        var (id, type) = (stripeEvent.Id, stripeEvent.Type);
        if (draft is null && skipped is null)
        {
            StripeMetrics.Webhook(StripeMetrics.Ignored, type);
            return Answer(new StripeWebhookResponse(true, StripeMetrics.Ignored, id, type, Detail: "Coliseum does not map this event type"));
        }
        if (draft is null)
        {
            return Skip(logger, id, type, null, skipped!);
        }

        var output = new ArrayBufferWriter<byte>(1024);
        draft.WriteTo(output);
        using var mapped = JsonDocument.Parse(output.WrittenMemory);
        // A signed event that cannot become a valid one never will: refusing it would only make Stripe
        // retry it for days, so it is acknowledged, logged and counted instead.
        if (!capture.Validator.TryValidate(mapped.RootElement, capture.Now(), EventValidator.StripeSource, out var record, out var error))
        {
            return Skip(logger, id, type, draft.Type, error.Message);
        }
        var (outcome, appendProblem) = await capture.AppendAsync([record], http);
        if (appendProblem is not null)
        {
            // 503 with Retry-After: Stripe delivers it again later.
            return appendProblem;
        }
        var result = outcome!.Accepted == 1 ? StripeMetrics.Stored : StripeMetrics.Duplicate;
        StripeMetrics.Webhook(result, type);
        return Answer(new StripeWebhookResponse(true, result, id, type, draft.Type, record.MessageId));
    }

    private static IResult Skip(ILogger logger, string id, string type, string? eventType, string reason)
    {
        StripeLog.Skipped(logger, id, type, reason);
        StripeMetrics.Webhook(StripeMetrics.Skipped, type);
        return Answer(new StripeWebhookResponse(true, StripeMetrics.Skipped, id, type, eventType, Detail: reason));
    }

    private static IResult Answer(StripeWebhookResponse response) => TypedResults.Json(response, StripeJsonContext.Relaxed.StripeWebhookResponse);

    private static IResult Refuse(ILogger logger, int status, string reason, string? field)
    {
        StripeLog.Refused(logger, status, reason);
        StripeMetrics.Webhook(StripeMetrics.Rejected, null);
        return Problems.Create(status, reason, field);
    }

    /// <summary>
    /// The body exactly as sent, into a pooled buffer (the caller returns it), within the limit; or the
    /// status and reason to refuse it with. No content-type check: the signature covers the bytes, not the header.
    /// </summary>
    private static async Task<(byte[]? Buffer, int Length, (int Status, string Message)? Problem)> ReadBodyAsync(HttpContext http, int limit, CancellationToken cancellationToken)
    {
        var request = http.Request;
        if (request.ContentLength > limit)
        {
            return (null, 0, (413, $"the body is {request.ContentLength} bytes; the limit is {limit} bytes (Coliseum:Stripe:MaxBodyBytes)"));
        }
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
        {
            // The server stops reading past this too, whatever the capture endpoints' own limit is.
            size.MaxRequestBodySize = limit + 1L;
        }
        var body = await BoundedBody.ReadAsync(request, limit, cancellationToken);
        if (body.Buffer is not null)
        {
            return (body.Buffer, body.Length, null);
        }
        return (null, 0, body.TooLarge
            ? (413, $"the body is larger than the limit of {limit} bytes (Coliseum:Stripe:MaxBodyBytes)")
            : (400, $"the body could not be read: {body.Unreadable}"));
    }
}
