using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Coliseum.Tests.Infrastructure;
using Coliseum.Tests.Query;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Coliseum.Tests.Jumbotron;

/// <summary>
/// The Jumbotron in a real Chromium against a real server: events sent through the capture API appear on
/// the page without a reload, the page survives a server restart, and it reads with a read key only.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class JumbotronBrowserTests(Browser browser, Xunit.Abstractions.ITestOutputHelper output)
{
    /// <summary>The promise: what was captured is on the screen within 2 s.</summary>
    private const int ShownWithinMs = 2_000;

    private const int StartupMs = 20_000;

    [Fact]
    public async Task Captured_events_reach_the_board_counters_and_ticker_within_two_seconds_without_a_reload()
    {
        await using var server = await TestServer.StartAsync();
        await Stage.LoadAsync(server);
        await using var tab = await browser.OpenAsync(1920, 1080);
        var page = tab.Page;
        await tab.GotoAsync(server.Address, "/?key=" + TestServer.ReadKey);
        await Live(page);
        var board = page.Locator("#board-0");
        await Expect(board).ToHaveAttributeAsync("data-board", "top_artists_by_plays");
        await Expect(board.Locator(".row")).ToHaveCountAsync(10, new() { Timeout = StartupMs });
        await Expect(page.Locator("#board-1")).ToHaveAttributeAsync("data-board", "top_artists_by_votes");
        await Expect(page.Locator(".chart[data-chart=plays] path.line")).ToHaveCountAsync(1, new() { Timeout = StartupMs });

        // What the page shows matches the API before anything changes.
        var today = await QueryClient.OkAsync(server, "/api/coliseum/leaderboards/top_artists_by_plays?window=day&limit=10");
        var shown = await RowsAsync(board);
        Assert.Equal(Names(today), shown.Select(r => r.Name).ToList());
        var counters = await QueryClient.OkAsync(server, "/api/coliseum/counters");
        var plays = counters.GetProperty("plays").GetInt64();
        var votes = counters.GetProperty("votes").GetInt64();
        await Expect(page.Locator("#counter-plays")).ToHaveTextAsync(Format(plays));
        var layout = await LayoutAsync(page);

        // A newcomer with more plays today than the leader, a vote, a ticket.
        var leaderScore = today.GetProperty("entries")[0].GetProperty("score").GetInt64();
        var newPlays = (int)leaderScore + 3;
        var now = DateTimeOffset.UtcNow;
        // The newcomer signs up first (the ticker names what the directory knows when the event is shown).
        await Stage.SendAsync(server, Stage.Event("mediaid.artist_profile_updated", "admin", now, new() { ["artistId"] = "art-new", ["name"] = "Los Recién Llegados", ["genres"] = new JsonArray("cumbia") }));
        await QueryClient.CaughtUpAsync(server);
        var events = new List<string>();
        for (var i = 0; i < newPlays; i++)
        {
            events.Add(Stage.Event("player.track_played", $"fan-{i}", now, new() { ["trackId"] = "trk-debut-single", ["artistId"] = "art-new", ["durationSeconds"] = 180 }));
        }
        events.Add(Stage.Event("coliseum.vote_cast", "fan-1", now, new() { ["artistId"] = "art-new", ["eventId"] = "ev-1", ["channel"] = "app", ["weight"] = 7 }));
        var clock = Stopwatch.StartNew();
        await Stage.SendAsync(server, [.. events]);

        var first = board.Locator(".row").First;
        await Expect(first.Locator(".name")).ToHaveTextAsync("Los Recién Llegados", new() { Timeout = Remaining(clock) });
        await Expect(first.Locator(".move")).ToHaveTextAsync("NEW", new() { Timeout = Remaining(clock) });
        await Expect(first.Locator(".score")).ToHaveTextAsync(Format(newPlays), new() { Timeout = Remaining(clock) });
        await Expect(page.Locator("#counter-plays")).ToHaveTextAsync(Format(plays + newPlays), new() { Timeout = Remaining(clock) });
        await Expect(page.Locator("#counter-votes")).ToHaveTextAsync(Format(votes + 7), new() { Timeout = Remaining(clock) });
        var debut = page.Locator("#ticker li[data-type='player.track_played'][data-entities~='trk-debut-single']").First;
        await Expect(debut).ToBeVisibleAsync(new() { Timeout = Remaining(clock) });
        // The track has no name in the directory, so the screen shows its artist's, not a bare id.
        Assert.Equal("Los Recién Llegados", await debut.Locator(".who").TextContentAsync());
        await Expect(page.Locator("#ticker li[data-type='coliseum.vote_cast']").Filter(new() { HasText = "Vive Latino" }).First).ToBeVisibleAsync(new() { Timeout = Remaining(clock) });
        output.WriteLine($"board, counters and ticker showed the new events {clock.ElapsedMilliseconds} ms after the capture request was sent");

        // Someone climbs past the newcomer: the row says by how much.
        var climber = JsonSerializer.Deserialize<JsonElement>((await RowsAsync(board))[3].Json);
        var climberId = climber.GetProperty("id").GetString()!;
        var climberScore = long.Parse(climber.GetProperty("score").GetString()!, NumberStyles.AllowThousands, CultureInfo.InvariantCulture);
        var more = (int)(newPlays - climberScore) + 2;
        clock.Restart();
        await Stage.SendAsync(server, [.. Enumerable.Range(0, more).Select(i => Stage.Event("player.track_played", $"fan-{i}", DateTimeOffset.UtcNow, new() { ["trackId"] = "trk-comeback", ["artistId"] = climberId, ["durationSeconds"] = 200 }))]);
        await Expect(first).ToHaveAttributeAsync("data-entity-id", climberId, new() { Timeout = Remaining(clock) });
        await Expect(first.Locator(".move")).ToHaveTextAsync("▲3", new() { Timeout = Remaining(clock) });
        await Expect(board.Locator(".row[data-entity-id='art-new'] .move")).ToHaveTextAsync("▼1", new() { Timeout = Remaining(clock) });

        // Nothing moved on the page while all that changed.
        Assert.Equal(layout, await LayoutAsync(page));
        await QueryClient.CaughtUpAsync(server);
        Assert.Equal(Names(await QueryClient.OkAsync(server, "/api/coliseum/leaderboards/top_artists_by_plays?window=day&limit=10")),
            (await RowsAsync(board)).Select(r => r.Name).ToList());

        await AssertReadableAsync(page, 1920, 1080);
        await AssertScreenshotAsync(tab, "jumbotron-1920x1080.png", 1920, 1080);
        await page.SetViewportSizeAsync(1280, 800);
        await AssertReadableAsync(page, 1280, 800);
        await AssertScreenshotAsync(tab, "jumbotron-1280x800.png", 1280, 800);
        Assert.Empty(tab.Errors);
    }

    [Fact]
    public async Task On_a_phone_the_page_is_one_readable_column()
    {
        await using var server = await TestServer.StartAsync();
        await Stage.LoadAsync(server, count: 300);
        await using var tab = await browser.OpenAsync(390, 844, mobile: true);
        await tab.GotoAsync(server.Address, "/?key=" + TestServer.ReadKey);
        await Live(tab.Page);
        await Expect(tab.Page.Locator("#board-0 .row")).ToHaveCountAsync(10, new() { Timeout = StartupMs });
        var overflow = await tab.Page.EvaluateAsync<int>("() => document.documentElement.scrollWidth - window.innerWidth");
        Assert.True(overflow <= 0, $"the page is {overflow}px wider than the phone");
        var columns = await tab.Page.EvaluateAsync<double[]>("() => ['#board-0', '#board-1', '.ticker'].map(s => document.querySelector(s).getBoundingClientRect().width)");
        Assert.All(columns, width => Assert.InRange(width, 300, 390));
        var path = await tab.ScreenshotAsync("jumbotron-phone.png", fullPage: true);
        Assert.True(new FileInfo(path).Length > 20_000, "the phone screenshot is nearly empty");
        Assert.Empty(tab.Errors);
    }

    [Fact]
    public async Task After_a_server_restart_the_page_says_it_is_reconnecting_and_then_carries_on_by_itself()
    {
        var directory = TempDirectory.Create("jumbotron-restart");
        var server = await TestServer.StartAsync(dataDirectory: directory);
        var address = server.Address;
        try
        {
            await Stage.LoadAsync(server, count: 200);
            await using var tab = await browser.OpenAsync(1280, 800);
            var page = tab.Page;
            await tab.GotoAsync(address, "/?key=" + TestServer.ReadKey);
            await Live(page);
            await Expect(page.Locator("#board-0 .row").First).ToBeVisibleAsync(new() { Timeout = StartupMs });

            await server.DisposeAsync();
            await Expect(page.Locator("#connection")).ToHaveAttributeAsync("data-state", "reconnecting", new() { Timeout = StartupMs });
            await Expect(page.Locator("#banner")).ToContainTextAsync("Reconnecting");
            await tab.ScreenshotAsync("jumbotron-reconnecting.png");

            server = await TestServer.StartAsync(new Dictionary<string, string?> { ["urls"] = address.ToString() }, directory);
            await Live(page);
            await Expect(page.Locator("#banner")).ToContainTextAsync("Reconnected");

            var plays = (await QueryClient.OkAsync(server, "/api/coliseum/counters")).GetProperty("plays").GetInt64();
            var clock = Stopwatch.StartNew();
            await Stage.SendAsync(server, Stage.Event("player.track_played", "fan-9", DateTimeOffset.UtcNow, new() { ["trackId"] = "trk-after-restart", ["artistId"] = "art-2", ["durationSeconds"] = 99 }));
            await Expect(page.Locator("#ticker li[data-entities~='trk-after-restart']")).ToHaveCountAsync(1, new() { Timeout = Remaining(clock) });
            await Expect(page.Locator("#counter-plays")).ToHaveTextAsync(Format(plays + 1), new() { Timeout = Remaining(clock) });
            // Failed requests while the server was down are expected; nothing else is.
            Assert.Empty(tab.ScriptErrors);
        }
        finally
        {
            await server.DisposeAsync();
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task The_page_keeps_a_read_key_only_and_drops_a_key_given_in_the_address()
    {
        await using var server = await TestServer.StartAsync();
        await using var tab = await browser.OpenAsync(1280, 800);
        var page = tab.Page;
        await tab.GotoAsync(server.Address, "/");
        var dialog = page.Locator("#key-dialog");
        await Expect(dialog).ToBeVisibleAsync();

        async Task TryAsync(string key, string expected)
        {
            await page.Locator("#key-input").FillAsync(key);
            await page.Locator("#key-form button").ClickAsync();
            await Expect(page.Locator("#key-error")).ToContainTextAsync(expected);
            Assert.Null(await StoredKeyAsync(page));
        }
        await TryAsync("not-a-key", "not valid");
        await TryAsync(TestServer.WriteKey, "write key");
        await TryAsync(TestServer.AdminKey, "admin key");

        await page.Locator("#key-input").FillAsync(TestServer.ReadKey);
        await page.Locator("#key-form button").ClickAsync();
        await Expect(dialog).ToBeHiddenAsync();
        await Live(page);
        Assert.Equal(TestServer.ReadKey, await StoredKeyAsync(page));

        // A kiosk's address carries the key: taken once, then gone from the address bar.
        await using var kiosk = await browser.OpenAsync(1280, 800);
        await kiosk.GotoAsync(server.Address, "/jumbotron?window=week&key=" + TestServer.ReadKey);
        await Live(kiosk.Page);
        Assert.DoesNotContain("key=", kiosk.Page.Url, StringComparison.Ordinal);
        Assert.Contains("window=week", kiosk.Page.Url, StringComparison.Ordinal);
        await Expect(kiosk.Page.Locator("#board-0 .board-window")).ToHaveTextAsync("This week");
        // An admin key in the address is refused and not kept either.
        await using var admin = await browser.OpenAsync(1280, 800);
        await admin.GotoAsync(server.Address, "/?key=" + TestServer.AdminKey);
        await Expect(admin.Page.Locator("#key-error")).ToContainTextAsync("admin key");
        Assert.Null(await StoredKeyAsync(admin.Page));
        Assert.Empty(tab.ScriptErrors);
    }

    [Fact]
    public async Task A_battle_screen_shows_one_events_votes_under_its_name()
    {
        await using var server = await TestServer.StartAsync();
        await Stage.LoadAsync(server, count: 400);
        await using var tab = await browser.OpenAsync(1920, 1080);
        var page = tab.Page;
        await tab.GotoAsync(server.Address, "/jumbotron?board=top_artists_by_votes&scope=ev-1&window=all_time&key=" + TestServer.ReadKey);
        await Live(page);
        await Expect(page.Locator("#subtitle")).ToHaveTextAsync("Battle · Vive Latino");
        await Expect(page.Locator("#board-1")).ToBeHiddenAsync();
        var board = page.Locator("#board-0");
        await Expect(board.Locator(".row").First).ToBeVisibleAsync(new() { Timeout = StartupMs });

        // A landslide elsewhere is not this battle's; one here is.
        var now = DateTimeOffset.UtcNow;
        var clock = Stopwatch.StartNew();
        await Stage.SendAsync(server, [
            .. Enumerable.Range(0, 10).Select(i => Stage.Event("coliseum.vote_cast", $"fan-{i}", now, new() { ["artistId"] = "art-10", ["eventId"] = "ev-2", ["channel"] = "app", ["weight"] = 100 })),
            .. Enumerable.Range(0, 5).Select(i => Stage.Event("coliseum.vote_cast", $"fan-{i}", now, new() { ["artistId"] = "art-11", ["eventId"] = "ev-1", ["channel"] = "app", ["weight"] = 100 })),
        ]);
        await Expect(board.Locator(".row").First.Locator(".name")).ToHaveTextAsync("Mon Laferte", new() { Timeout = Remaining(clock) });
        await QueryClient.CaughtUpAsync(server);
        var battle = await QueryClient.OkAsync(server, "/api/coliseum/leaderboards/top_artists_by_votes?scope=ev-1&limit=10");
        await Expect(board.Locator(".row")).ToHaveCountAsync(battle.GetProperty("entries").GetArrayLength());
        Assert.Equal(Names(battle), (await RowsAsync(board)).Select(r => r.Name).ToList());
        Assert.DoesNotContain("C. Tangana", (await RowsAsync(board)).Take(1).Select(r => r.Name));
        await AssertScreenshotAsync(tab, "jumbotron-battle-1920x1080.png", 1920, 1080);
        Assert.Empty(tab.Errors);
    }

    [Fact]
    public async Task Kiosk_mode_hides_the_controls_and_cycles_the_boards()
    {
        await using var server = await TestServer.StartAsync();
        await using var tab = await browser.OpenAsync(1920, 1080);
        var page = tab.Page;
        await tab.GotoAsync(server.Address, "/?kiosk=1&cycle=1&key=" + TestServer.ReadKey);
        await Live(page);
        await Expect(page.Locator("#controls")).ToBeHiddenAsync();
        await Expect(page.Locator("#board-0")).ToHaveAttributeAsync("data-board", "top_artists_by_plays");
        // Every board comes round, two at a time.
        var seen = new HashSet<string>();
        var boards = (await QueryClient.OkAsync(server, "/api/coliseum/leaderboards")).EnumerateArray().Select(b => b.GetProperty("id").GetString()!).ToHashSet();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!seen.SetEquals(boards) && DateTime.UtcNow < deadline)
        {
            foreach (var id in new[] { "#board-0", "#board-1" })
            {
                if (await page.Locator(id).GetAttributeAsync("data-board") is { } shown && await page.Locator(id).IsVisibleAsync())
                {
                    seen.Add(shown);
                }
            }
            await page.WaitForTimeoutAsync(100);
        }
        Assert.Equal(boards.Order(), seen.Order());
        Assert.Empty(tab.Errors);
    }

    [Fact]
    public async Task The_health_strip_turns_red_when_processing_falls_behind()
    {
        // With the processor off, every captured event waits: the lag only grows.
        await using var server = await TestServer.StartAsync(new Dictionary<string, string?> { ["Coliseum:Processing:Enabled"] = "false" });
        await Stage.SendAsync(server, Stage.Event("player.track_played", "fan-1", DateTimeOffset.UtcNow, new() { ["trackId"] = "trk-1", ["artistId"] = "art-1", ["durationSeconds"] = 120 }));
        await using var tab = await browser.OpenAsync(1280, 800);
        var page = tab.Page;
        await tab.GotoAsync(server.Address, "/?lagAlert=1&key=" + TestServer.ReadKey);
        await Live(page);
        var health = page.Locator("#health");
        await Expect(health).ToHaveAttributeAsync("data-state", "alert", new() { Timeout = StartupMs });
        await Expect(health).ToContainTextAsync("Processing is behind (coliseum");
        await Expect(health.Locator("[data-consumer=coliseum]")).ToContainTextAsync("1 behind");
        Assert.Equal("rgb(179, 18, 46)", await health.EvaluateAsync<string>("e => getComputedStyle(e).backgroundColor"));
        await tab.ScreenshotAsync("jumbotron-lagging.png");
        Assert.Empty(tab.Errors);
    }

    private static async Task Live(IPage page) =>
        await Expect(page.Locator("#connection")).ToHaveAttributeAsync("data-state", "live", new() { Timeout = StartupMs });

    /// <summary>Whatever time is left of the 2 s since the events were sent.</summary>
    private static float Remaining(Stopwatch clock) => Math.Max(1, ShownWithinMs - (float)clock.Elapsed.TotalMilliseconds);

    private static string Format(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    private static List<string> Names(JsonElement board) =>
        board.GetProperty("entries").EnumerateArray().Select(e => e.GetProperty("entity_name").GetString()!).ToList();

    private static async Task<List<(string Name, string Json)>> RowsAsync(ILocator board)
    {
        var rows = await board.Locator(".row").EvaluateAllAsync<JsonElement>(
            "rows => rows.map(r => ({ id: r.dataset.entityId, name: r.querySelector('.name').textContent, score: r.querySelector('.score').textContent }))");
        return rows.EnumerateArray().Select(r => (r.GetProperty("name").GetString()!, r.GetRawText())).ToList();
    }

    private static Task<string?> StoredKeyAsync(IPage page) => page.EvaluateAsync<string?>("() => localStorage.getItem('coliseum.jumbotron.readKey')");

    /// <summary>Where each panel sits, rounded to the pixel.</summary>
    private static Task<string> LayoutAsync(IPage page) => page.EvaluateAsync<string>(
        "() => ['.counters', '#board-0', '#board-1', '.charts', '.ticker', '#health'].map(s => { const r = document.querySelector(s).getBoundingClientRect(); return `${s} ${Math.round(r.x)},${Math.round(r.y)} ${Math.round(r.width)}x${Math.round(r.height)}`; }).join('; ')");

    /// <summary>Every panel is on the screen, nothing scrolls sideways, and the page itself does not scroll.</summary>
    private static async Task AssertReadableAsync(IPage page, int width, int height)
    {
        await page.WaitForTimeoutAsync(300);
        var boxes = await page.EvaluateAsync<JsonElement>(
            "() => ['.top', '.counters', '#board-0', '#board-1', '.charts', '.ticker', '#health'].map(s => { const r = document.querySelector(s).getBoundingClientRect(); return { s, left: r.left, top: r.top, right: r.right, bottom: r.bottom }; })");
        foreach (var box in boxes.EnumerateArray())
        {
            var name = box.GetProperty("s").GetString();
            Assert.True(box.GetProperty("left").GetDouble() >= 0 && box.GetProperty("right").GetDouble() <= width, $"{name} runs off the side at {width}x{height}: {box}");
            Assert.True(box.GetProperty("top").GetDouble() >= 0 && box.GetProperty("bottom").GetDouble() <= height, $"{name} runs off the bottom at {width}x{height}: {box}");
        }
        var scroll = await page.EvaluateAsync<int[]>("() => [document.documentElement.scrollWidth - innerWidth, document.documentElement.scrollHeight - innerHeight]");
        Assert.True(scroll[0] <= 0 && scroll[1] <= 0, $"the page scrolls at {width}x{height}: {scroll[0]}px across, {scroll[1]}px down");
        // Board rows keep a readable size: at least 14px text on a laptop screen.
        var nameSize = await page.Locator("#board-0 .row .name").First.EvaluateAsync<double>("e => parseFloat(getComputedStyle(e).fontSize)");
        Assert.True(nameSize >= 14, $"board names are {nameSize}px at {width}x{height}");
    }

    private static async Task AssertScreenshotAsync(Tab tab, string name, int width, int height)
    {
        var path = await tab.ScreenshotAsync(name);
        var png = await File.ReadAllBytesAsync(path);
        // PNG: width and height are big-endian at bytes 16 and 20.
        Assert.Equal(width, System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(16)));
        Assert.Equal(height, System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(20)));
        Assert.True(png.Length > 50_000, $"{name} is only {png.Length} bytes: is the page blank?");
    }
}
