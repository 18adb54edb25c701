using Coliseum.Capture;
using Coliseum.Jumbotron;
using Coliseum.Operations;
using Coliseum.Passport;
using Coliseum.Privacy;
using Coliseum.Processing;
using Coliseum.Query;
using Coliseum.Reports;
using Coliseum.Security;
using Coliseum.Storage;
using Coliseum.Stripe;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;

namespace Coliseum.Hosting;

/// <summary>Builds the Coliseum web application; <c>coliseum serve</c> and the tests both start it this way.</summary>
public static class ColiseumApp
{
    public const string DefaultUrl = "http://localhost:8000";

    public static async Task<WebApplication> BuildAsync(string[] args, Action<WebApplicationBuilder>? configure = null, CancellationToken cancellationToken = default)
    {
        // Settings files sit beside the executable; ./data stays relative to the directory Coliseum is started in.
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        configure?.Invoke(builder);
        if (string.IsNullOrEmpty(builder.Configuration["urls"]) && string.IsNullOrEmpty(builder.Configuration["http_ports"]))
        {
            builder.WebHost.UseUrls(DefaultUrl);
        }

        var options = ColiseumOptions.Read(builder.Configuration);
        var capture = builder.Configuration.GetSection(CaptureOptions.Section).Get<CaptureOptions>() ?? new CaptureOptions();
        Validate(options, capture);
        var processing = ProcessingSetup.Read(builder.Configuration);
        var query = builder.Configuration.GetSection(QueryOptions.Section).Get<QueryOptions>() ?? new QueryOptions();
        if (query.Validate().ToList() is { Count: > 0 } queryErrors)
        {
            throw new OptionsValidationException(QueryOptions.Section, typeof(QueryOptions), queryErrors);
        }
        var jumbotron = builder.Configuration.GetSection(JumbotronOptions.Section).Get<JumbotronOptions>() ?? new JumbotronOptions();
        if (jumbotron.Validate().ToList() is { Count: > 0 } jumbotronErrors)
        {
            throw new OptionsValidationException(JumbotronOptions.Section, typeof(JumbotronOptions), jumbotronErrors);
        }

        var tokens = builder.Configuration.GetSection(TokenOptions.Section).Get<TokenOptions>() ?? new TokenOptions();
        if (tokens.Validate().ToList() is { Count: > 0 } tokenErrors)
        {
            throw new OptionsValidationException(TokenOptions.Section, typeof(TokenOptions), tokenErrors);
        }

        builder.Services.AddOptions<ColiseumOptions>().BindConfiguration(ColiseumOptions.Section);
        builder.Services.AddSingleton(capture);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(builder.Configuration.GetSection(PrivacyOptions.Section).Get<PrivacyOptions>() ?? new PrivacyOptions());
        builder.Services.AddSingleton<EventValidator>();
        builder.Services.AddSingleton<UserErasure>();
        builder.Services.AddSingleton<LogSignal>();
        builder.Services.AddSingleton<PassportAppender>();
        builder.Services.AddSingleton(processing);
        builder.Services.AddSingleton<Processor>();
        if (processing.Enabled)
        {
            builder.Services.AddHostedService<ProcessorService>();
        }
        builder.Services.AddSingleton<CaptureService>();
        builder.Services.AddSingleton(query);
        builder.Services.AddSingleton(jumbotron);
        builder.Services.AddSingleton<ChangeFeed>();
        builder.Services.AddHostedService(services => services.GetRequiredService<ChangeFeed>());
        builder.Services.AddSingleton<Leaderboards>();
        builder.Services.AddSingleton<Series>();
        builder.Services.AddSingleton<Counters>();
        builder.Services.AddSingleton<StreamGate>();
        builder.Services.AddSingleton(ReadReportOptions(builder.Configuration));
        builder.Services.AddSingleton<ReportQueue>();
        builder.Services.AddHostedService<ReportWorker>();
        builder.Services.AddProblemDetails();
        builder.Services.AddRequestDecompression();
        builder.Services.AddOpenApi(openApi => openApi.AddDocumentTransformer((document, _, _) =>
        {
            // Every key goes in Authorization: Bearer; declaring it lets /api/docs send one with "Try it out".
            document.Components ??= new Microsoft.OpenApi.OpenApiComponents();
            document.Components.SecuritySchemes ??= new Dictionary<string, Microsoft.OpenApi.IOpenApiSecurityScheme>();
            document.Components.SecuritySchemes["key"] = new Microsoft.OpenApi.OpenApiSecurityScheme
            {
                Type = Microsoft.OpenApi.SecuritySchemeType.Http,
                Scheme = "bearer",
                Description = "A write key (capture), read key (analytics) or admin key (management): Authorization: Bearer <key>",
            };
            document.Security ??= [];
            document.Security.Add(new Microsoft.OpenApi.OpenApiSecurityRequirement { [new Microsoft.OpenApi.OpenApiSecuritySchemeReference("key", document)] = [] });
            return Task.CompletedTask;
        }));
        builder.Services.AddOpenTelemetry().WithMetrics(metrics => metrics
            .AddMeter(Coliseum.Diagnostics.ColiseumMetrics.MeterName, Coliseum.Diagnostics.ProcessingMetrics.MeterName, "Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel", "System.Runtime")
            // No response cache: a scrape shows what has happened up to that moment.
            .AddPrometheusExporter(prometheus => prometheus.ScrapeResponseCacheDurationMilliseconds = 0));
        builder.Services.ConfigureHttpJsonOptions(json =>
        {
            json.SerializerOptions.TypeInfoResolverChain.Insert(0, CaptureJsonContext.Default);
            json.SerializerOptions.TypeInfoResolverChain.Insert(1, ColiseumJsonContext.Default);
            json.SerializerOptions.TypeInfoResolverChain.Insert(2, QueryJsonContext.Default);
            json.SerializerOptions.TypeInfoResolverChain.Insert(3, FunnelJsonContext.Default);
            json.SerializerOptions.TypeInfoResolverChain.Insert(4, ReportsJsonContext.Default);
            json.SerializerOptions.TypeInfoResolverChain.Insert(5, StripeJsonContext.Default);
            json.SerializerOptions.Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping;
        });
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = TimeSpan.FromSeconds(30));
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            // The capture endpoints enforce their own limit with a clear message; this is the backstop.
            kestrel.Limits.MaxRequestBodySize = capture.MaxRequestBytes * 2L;
            kestrel.AddServerHeader = false;
        });

        var dataDirectory = Path.GetFullPath(options.DataDirectory);
        var store = await OpenStoreAsync(options, dataDirectory, cancellationToken);
        // A factory registration, so the container disposes the store at shutdown (after the appender has drained).
        builder.Services.AddSingleton<IPassportStore>(_ => store);
        builder.Services.AddSingleton((IProcessorStore)store);
        await SecuritySetup.AddAsync(builder, StorageSetup.KeyStore(store), dataDirectory, cancellationToken);
        builder.Services.AddSingleton(await Suppressions.LoadAsync((IProcessorStore)store, cancellationToken));
        builder.Services.AddSeveralProcesses(store);
        var userTokens = new UserTokens(tokens, TimeProvider.System);
        builder.Services.AddSingleton(_ => userTokens);

        var app = builder.Build();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseColiseumSecurity();
        app.UseRequestDecompression();
        app.MapOpenApi();
        // A browsable reference over the same document (swagger-ui's files ship inside the package: no CDN).
        app.UseSwaggerUI(ui =>
        {
            ui.SwaggerEndpoint("/openapi/v1.json", "Coliseum");
            ui.RoutePrefix = "api/docs";
            ui.DocumentTitle = "Coliseum API";
        });
        app.MapPassportApi();
        app.MapSegmentApi();
        app.MapOperationsApi();
        app.MapColiseumApi();
        app.MapQueryApi();
        app.MapStreamApi();
        app.MapFunnelApi();
        app.MapAttributionApi();
        app.MapReportsApi();
        app.MapPassportMeApi();
        app.MapJumbotron(jumbotron);
        app.MapPrivacyApi();
        app.MapStripeApi();
        LogStarted(app.Logger, store.Provider, StorageSetup.Describe(options, dataDirectory), capture.TrackingPlan.ToString().ToLowerInvariant(), capture.AllowKeyless);
        return app;
    }

    internal static Task<IPassportStore> OpenStoreAsync(ColiseumOptions options, string dataDirectory, CancellationToken cancellationToken) =>
        StorageSetup.OpenStoreAsync(options, dataDirectory, cancellationToken);

    private static void Validate(ColiseumOptions options, CaptureOptions capture)
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(options.DataDirectory)) { errors.Add("Coliseum:DataDirectory must be set"); }
        if (capture.MaxEventBytes is < 256 or > 1024 * 1024) { errors.Add("Coliseum:Capture:MaxEventBytes must be between 256 and 1048576"); }
        if (capture.MaxRequestBytes < capture.MaxEventBytes || capture.MaxRequestBytes > 64 * 1024 * 1024) { errors.Add("Coliseum:Capture:MaxRequestBytes must be at least MaxEventBytes and at most 64 MiB"); }
        if (capture.MaxBatchEvents is < 1 or > 100_000) { errors.Add("Coliseum:Capture:MaxBatchEvents must be between 1 and 100000"); }
        if (capture.MaxDepth is < 4 or > 256) { errors.Add("Coliseum:Capture:MaxDepth must be between 4 and 256"); }
        if (capture.MaxPendingEvents < capture.MaxBatchEvents) { errors.Add("Coliseum:Capture:MaxPendingEvents must be at least MaxBatchEvents"); }
        if (capture.MaxCommitEvents < 1) { errors.Add("Coliseum:Capture:MaxCommitEvents must be positive"); }
        if (errors.Count > 0)
        {
            throw new OptionsValidationException(ColiseumOptions.Section, typeof(ColiseumOptions), errors);
        }
    }

    private static ReportOptions ReadReportOptions(IConfiguration configuration)
    {
        var reports = configuration.GetSection(ReportOptions.Section).Get<ReportOptions>() ?? new ReportOptions();
        var errors = new List<string>();
        if (reports.MaxPending is < 1 or > 10_000) { errors.Add("Coliseum:Reports:MaxPending must be between 1 and 10000"); }
        if (reports.Concurrency is < 1 or > 16) { errors.Add("Coliseum:Reports:Concurrency must be between 1 and 16"); }
        if (errors.Count > 0)
        {
            throw new OptionsValidationException(ReportOptions.Section, typeof(ReportOptions), errors);
        }
        return reports;
    }

    private static void LogStarted(ILogger logger, string provider, string dataDirectory, string trackingPlan, bool keyless) =>
        HostingLog.Started(logger, provider, dataDirectory, trackingPlan, keyless);
}
