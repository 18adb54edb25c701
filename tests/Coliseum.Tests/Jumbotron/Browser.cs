using Microsoft.Playwright;

namespace Coliseum.Tests.Jumbotron;

/// <summary>
/// One headless Chromium for the Jumbotron tests: the machine's own (Debian's <c>chromium</c>, which
/// <c>.ci/run</c> installs), driven by Microsoft.Playwright; nothing is downloaded.
/// <c>COLISEUM_CHROMIUM</c> names another executable.
/// </summary>
public sealed class Browser : IAsyncLifetime
{
    private IPlaywright? _playwright;
    private IBrowser? _browser;

    public static string ExecutablePath => Environment.GetEnvironmentVariable("COLISEUM_CHROMIUM") is { Length: > 0 } path ? path : "/usr/bin/chromium";

    /// <summary>Where screenshots are saved: <c>COLISEUM_ARTIFACTS</c>, else <c>artifacts/</c> beside the test assembly.</summary>
    public static string Artifacts
    {
        get
        {
            var directory = Environment.GetEnvironmentVariable("COLISEUM_ARTIFACTS") is { Length: > 0 } configured
                ? configured
                : Path.Combine(AppContext.BaseDirectory, "artifacts");
            Directory.CreateDirectory(directory);
            return directory;
        }
    }

    public async Task InitializeAsync()
    {
        if (!File.Exists(ExecutablePath))
        {
            throw new InvalidOperationException(
                $"The Jumbotron tests drive a real Chromium and found none at {ExecutablePath}. Install Debian's: apt-get install chromium " +
                "(.ci/run does), or set COLISEUM_CHROMIUM to a Chromium executable.");
        }
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ExecutablePath,
            Headless = true,
            // Chromium's sandbox refuses to run as root, which is how CI runs.
            Args = ["--no-sandbox", "--disable-dev-shm-usage"],
        });
    }

    /// <summary>A fresh page (own storage) of the given size that records console errors and uncaught exceptions.</summary>
    public async Task<Tab> OpenAsync(int width = 1920, int height = 1080, bool mobile = false)
    {
        var context = await _browser!.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = new ViewportSize { Width = width, Height = height },
            IsMobile = mobile,
            HasTouch = mobile,
            DeviceScaleFactor = mobile ? 2 : 1,
            Locale = "en-US",
            TimezoneId = "UTC",
        });
        var page = await context.NewPageAsync();
        return new Tab(context, page);
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.DisposeAsync();
        }
        _playwright?.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class BrowserCollection : ICollectionFixture<Browser>
{
    public const string Name = "Jumbotron in Chromium";
}

/// <summary>A page and what it said on its console.</summary>
public sealed class Tab(IBrowserContext context, IPage page) : IAsyncDisposable
{
    private readonly List<string> _errors = Listen(page);

    public IPage Page => page;

    /// <summary>Console errors and uncaught exceptions so far.</summary>
    public IReadOnlyList<string> Errors { get { lock (_errors) { return [.. _errors]; } } }

    /// <summary>Errors other than failed requests (which a server restart rightly causes).</summary>
    public IReadOnlyList<string> ScriptErrors => Errors.Where(e => !e.Contains("Failed to load resource", StringComparison.Ordinal) && !e.Contains("net::ERR_", StringComparison.Ordinal)).ToList();

    public Task GotoAsync(Uri server, string pathAndQuery) => page.GotoAsync(new Uri(server, pathAndQuery).ToString());

    public async Task<string> ScreenshotAsync(string name, bool fullPage = false)
    {
        var path = Path.Combine(Browser.Artifacts, name);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = fullPage });
        return path;
    }

    private static List<string> Listen(IPage page)
    {
        var errors = new List<string>();
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                lock (errors) { errors.Add($"console: {message.Text} ({message.Location})"); }
            }
        };
        page.PageError += (_, error) => { lock (errors) { errors.Add("uncaught: " + error); } };
        return errors;
    }

    public async ValueTask DisposeAsync() => await context.CloseAsync();
}
