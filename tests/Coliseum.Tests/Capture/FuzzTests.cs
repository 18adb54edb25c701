using System.Globalization;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Coliseum.Tests.Infrastructure;
using Coliseum.Tests.Stripe;
using Xunit.Abstractions;

namespace Coliseum.Tests.Capture;

/// <summary>
/// Thousands of random and mutated bodies at every capture endpoint: none may get a 5xx, and afterwards
/// the server still answers and stores a good event. Deterministic for a seed (the failure message
/// names it; set COLISEUM_FUZZ_SEED to replay another).
/// </summary>
public sealed class FuzzTests(ITestOutputHelper output)
{
    private const int DefaultSeed = 20_261_125;
    private const int Cases = 3_000;
    private const int Senders = 4;

    private static readonly string[] Endpoints =
    [
        "/api/passport/log", "/api/passport/batch", "/v1/track", "/v1/identify", "/v1/page", "/v1/screen", "/v1/group", "/v1/alias", "/v1/batch",
        "stripe-signed", "stripe-unsigned",
    ];

    private static readonly string[] ContentTypes =
    [
        "application/json", "application/json", "application/json", "application/json; charset=utf-8", "text/plain", "application/vnd.segment+json",
        "application/json; charset=utf-16", "application/xml", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "???", "",
    ];

    private sealed record Case(int Index, string Endpoint, string Mutation, byte[] Body, string? ContentType, string? Key, string? Signature, bool Gzip);

    [Fact]
    public async Task Thousands_of_random_and_mutated_bodies_get_no_5xx_and_the_server_still_stores_a_good_event()
    {
        var seed = int.TryParse(Environment.GetEnvironmentVariable("COLISEUM_FUZZ_SEED"), CultureInfo.InvariantCulture, out var s) ? s : DefaultSeed;
        output.WriteLine($"fuzz seed {seed} (replay with COLISEUM_FUZZ_SEED={seed})");
        var cases = Generate(seed);
        var settings = StripeSigner.Settings(StripeSigner.Secret);
        // Thousands of refusals are expected here; the Stripe endpoint logs each one it skips.
        settings["Logging:LogLevel:Coliseum.Stripe"] = "Error";
        await using var server = await TestServer.StartAsync(settings);

        var failures = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var statuses = new System.Collections.Concurrent.ConcurrentDictionary<string, int>();
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, Senders).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < cases.Count)
            {
                var c = cases[i];
                using var response = await SendAsync(server, c);
                statuses.AddOrUpdate($"{c.Endpoint} {(int)response.StatusCode}", 1, (_, n) => n + 1);
                if ((int)response.StatusCode >= 500)
                {
                    var text = await response.Content.ReadAsStringAsync();
                    failures.Enqueue($"case {c.Index} ({c.Endpoint}, {c.Mutation}, {c.ContentType ?? "no content type"}{(c.Gzip ? ", gzip" : "")}): " +
                        $"{(int)response.StatusCode} {text[..Math.Min(300, text.Length)]}; body starts {Convert.ToBase64String(c.Body[..Math.Min(120, c.Body.Length)])}");
                }
            }
        }));

        Assert.True(failures.IsEmpty, $"seed {seed}: {failures.Count} of {cases.Count} requests got a 5xx (replay with COLISEUM_FUZZ_SEED={seed}):\n" + string.Join("\n", failures.Take(10)));
        using var health = await server.Client.GetAsync("/healthz");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        var good = Events.TrackPlayed($"fuzz-after-{seed}");
        using var stored = await server.PostAsync("/api/passport/log", good.ToJsonString());
        Assert.Equal(HttpStatusCode.Created, stored.StatusCode);
        Assert.Equal(1, server.Scalar<long>($"SELECT COUNT(*) FROM passport_log WHERE message_id = 'fuzz-after-{seed}'"));
        var stripe = StripeSignatureTests.Paid($"evt_fuzz_after_{seed}", $"pi_fuzz_after_{seed}");
        using var paid = await StripeSigner.DeliverAsync(server, stripe);
        Assert.Equal("stored", (await paid.ReadJsonAsync()).GetProperty("outcome").GetString());
        // Whatever capture accepted, every consumer can apply: nothing it let in is a poison event.
        await Query.QueryClient.CaughtUpAsync(server);
        var dead = Sql.Rows(server.DatabasePath, "SELECT consumer, error FROM consumer_dead_letters LIMIT 5");
        Assert.True(dead.Count == 0, $"seed {seed}: accepted events were dead-lettered: {string.Join("; ", dead)}");
        output.WriteLine($"{cases.Count} requests; {server.LogCount} events stored; answers: " + string.Join(", ", statuses.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key} ×{p.Value}")));
    }

    /// <summary>What the fuzz test found: extra fields are stored as sent, so the consumers must not trip on their types.</summary>
    [Fact]
    public async Task An_extra_field_of_the_wrong_type_is_ignored_by_the_consumers_not_dead_lettered()
    {
        await using var server = await TestServer.StartAsync();
        using var response = await server.PostAsync("/api/passport/log",
            """{"type":"passport.page_viewed","userId":"fan-1","at":"2026-11-25T20:00:00Z","path":"/artists/a1","trackId":42,"artistId":{"id":"a1"},"amountCents":"lots","currency":7}""");
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        await Query.QueryClient.CaughtUpAsync(server);
        Assert.Equal(0, server.Scalar<long>("SELECT COUNT(*) FROM consumer_dead_letters"));
        Assert.Equal(1, server.Scalar<long>("SELECT COUNT(*) FROM coliseum_metrics WHERE metric_type = 'passport.page_viewed'"));
    }

    private static async Task<HttpResponseMessage> SendAsync(TestServer server, Case c)
    {
        var path = c.Endpoint.StartsWith("stripe", StringComparison.Ordinal) ? StripeSigner.Path : c.Endpoint;
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ByteArrayContent(c.Gzip ? Gzip(c.Body) : c.Body) };
        if (c.ContentType is not null)
        {
            request.Content.Headers.TryAddWithoutValidation("Content-Type", c.ContentType);
        }
        if (c.Gzip)
        {
            request.Content.Headers.ContentEncoding.Add("gzip");
        }
        if (c.Key is not null)
        {
            request.Headers.TryAddWithoutValidation(c.Key.StartsWith("Basic ", StringComparison.Ordinal) ? "Authorization" : "X-Coliseum-Key", c.Key);
        }
        if (c.Signature is not null)
        {
            request.Headers.TryAddWithoutValidation("Stripe-Signature", c.Signature);
        }
        return await server.Client.SendAsync(request);
    }

    private static List<Case> Generate(int seed)
    {
        var random = new Random(seed);
        var cases = new List<Case>(Cases);
        for (var i = 0; i < Cases; i++)
        {
            var endpoint = Endpoints[random.Next(Endpoints.Length)];
            var samples = SamplesFor(endpoint);
            var sample = Encoding.UTF8.GetBytes(samples[random.Next(samples.Length)]);
            var (mutation, body) = Mutate(random, sample);
            var contentType = random.Next(4) == 0 ? ContentTypes[random.Next(ContentTypes.Length)] : "application/json";
            string? key = random.Next(20) switch
            {
                0 => null,
                1 => "not-a-key",
                2 => "Basic %%%not-base64",
                3 => TestServer.ReadKey,
                _ => TestServer.WriteKey,
            };
            string? signature = null;
            if (endpoint == "stripe-signed")
            {
                signature = StripeSigner.Header(body);
            }
            else if (endpoint == "stripe-unsigned")
            {
                signature = random.Next(5) switch
                {
                    0 => null,
                    1 => StripeSigner.Header(sample), // signed before the mutation: tampered (genuine when the mutation changed nothing)
                    2 => StripeSigner.Header(body, timestamp: StripeSigner.Now - 3_600),
                    3 => StripeSigner.Header(body, "whsec_notTheConfiguredOne0000000000000000"),
                    _ => Garble(random, StripeSigner.Header(body)),
                };
            }
            cases.Add(new Case(i, endpoint, mutation, body, contentType.Length == 0 ? null : contentType, key, signature, Gzip: random.Next(30) == 0));
        }
        return cases;
    }

    private static string[] SamplesFor(string endpoint) => endpoint switch
    {
        "/api/passport/log" => [Events.TrackPlayed().ToJsonString(), Events.TicketPurchased("fz-1").ToJsonString(), Samples.Valid("coliseum.vote_cast").ToJsonString()],
        "/api/passport/batch" => [new JsonObject { ["events"] = new JsonArray(Events.TrackPlayed(), Events.TicketPurchased(), Samples.Valid("concierto.event_created")) }.ToJsonString()],
        "/v1/track" => ["""{"userId":"fan-1","event":"player.track_played","properties":{"trackId":"t-1","artistId":"a-1","durationSeconds":214},"timestamp":"2026-11-25T20:15:00Z","sentAt":"2026-11-25T20:15:01Z"}""",
            """{"anonymousId":"anon-1","event":"Order Completed","properties":{"revenue":12.5,"products":[{"sku":"x"}]}}"""],
        "/v1/identify" => ["""{"userId":"fan-1","traits":{"name":"Ana","email":"ana@example.com","address":{"city":"Bogotá"}}}"""],
        "/v1/page" => ["""{"userId":"fan-1","name":"Home","properties":{"path":"/home","url":"https://coliseum.example/home"},"context":{"page":{"referrer":"https://x.example"}}}"""],
        "/v1/screen" => ["""{"anonymousId":"anon-2","name":"Player","properties":{"trackId":"t-1"}}"""],
        "/v1/group" => ["""{"userId":"fan-1","groupId":"label-9","traits":{"name":"Indie","employees":12}}"""],
        "/v1/alias" => ["""{"userId":"fan-1","previousId":"anon-7"}"""],
        "/v1/batch" => ["""{"batch":[{"type":"track","userId":"fan-1","event":"player.track_liked","properties":{"trackId":"t-1","artistId":"a-1"}},{"type":"identify","userId":"fan-1","traits":{}},{"type":"page","anonymousId":"anon-3","properties":{"path":"/"}}],"context":{"library":{"name":"analytics-node"}},"sentAt":"2026-11-25T20:15:01Z"}"""],
        _ =>
        [
            StripeSignatureTests.Paid(),
            StripePayloads.Event("checkout.session.completed", StripePayloads.CheckoutSession("pi_fz", 4500, StripePayloads.Metadata(("userId", "fan-1")))),
            StripePayloads.Event("charge.refunded", StripePayloads.Charge("ch_fz", "pi_fz", 4500, 1000, StripePayloads.Metadata(("userId", "fan-1")), ("re_fz", 1000)), previous: new() { ["amount_refunded"] = 0 }),
            StripePayloads.Event("customer.subscription.created", StripePayloads.Subscription("sub_fz", StripePayloads.Metadata(("userId", "fan-1")), "price_fz", null, 999, "month")),
        ],
    };

    private static (string Mutation, byte[] Body) Mutate(Random random, byte[] sample)
    {
        switch (random.Next(12))
        {
            case 0:
                return ("random bytes", RandomBytes(random, random.Next(0, 600)));
            case 1:
            {
                var body = (byte[])sample.Clone();
                for (var n = random.Next(1, 9); n > 0 && body.Length > 0; n--)
                {
                    var at = random.Next(body.Length);
                    body[at] = random.Next(2) == 0 ? (byte)(body[at] ^ (1 << random.Next(8))) : (byte)random.Next(256);
                }
                return ("byte flips", body);
            }
            case 2:
                return ("truncated", sample[..random.Next(sample.Length)]);
            case 3:
                return ("type swap", SwapTypes(random, sample));
            case 4:
            {
                var depth = random.Next(10, 400);
                var open = random.Next(2) == 0 ? "[" : "{\"a\":";
                var close = open == "[" ? "]" : "}";
                var inner = Encoding.UTF8.GetString(sample);
                var nested = string.Concat(Enumerable.Repeat(open, depth)) + inner + string.Concat(Enumerable.Repeat(close, random.Next(2) == 0 ? depth : depth / 2));
                return ("deep nesting", Encoding.UTF8.GetBytes(random.Next(2) == 0 ? nested : Splice(random, inner, nested)));
            }
            case 5:
            {
                string[] numbers = ["1e400", "-1e400", "123456789012345678901234567890", "9007199254740993", "-9223372036854775809", "NaN", "Infinity", "-0", "1.5", "0x10", "1e-400", "00012"];
                return ("huge numbers", ReplaceNumbers(random, sample, numbers));
            }
            case 6:
            {
                byte[][] bad = [[0xC3, 0x28], [0xFF], [0xED, 0xA0, 0x80], [0xC0, 0xAF], [0xF4, 0x90, 0x80, 0x80], [0xE2, 0x82], [0x80]];
                var at = random.Next(sample.Length + 1);
                var chosen = bad[random.Next(bad.Length)];
                return ("bad utf-8", [.. sample[..at], .. chosen, .. sample[at..]]);
            }
            case 7:
            {
                string[] escapes = ["\\ud800", "\\udfff", "\\ud800\\u0041", "\\u0000", "\\uZZZZ", "\\"];
                var text = Encoding.UTF8.GetString(sample);
                var quote = text.IndexOf(":\"", random.Next(Math.Max(1, text.Length)), StringComparison.Ordinal);
                quote = quote < 0 ? text.IndexOf(":\"", StringComparison.Ordinal) : quote;
                return ("bad escapes", Encoding.UTF8.GetBytes(quote < 0 ? text : text.Insert(quote + 2, escapes[random.Next(escapes.Length)])));
            }
            case 8:
                return ("empty", random.Next(3) switch { 0 => [], 1 => " \r\n\t "u8.ToArray(), _ => "null"u8.ToArray() });
            case 9:
            {
                var text = Encoding.UTF8.GetString(sample);
                return ("duplicate keys", Encoding.UTF8.GetBytes(text.Length > 2 && text[0] == '{' ? "{\"type\":\"x.y\",\"userId\":1," + text[1..] : text));
            }
            case 10:
                return ("long strings", Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(sample).Replace("\"fan-1\"", "\"" + new string('f', random.Next(2) == 0 ? 200 : 40_000) + "\"", StringComparison.Ordinal)));
            default:
                return ("unchanged", sample);
        }
    }

    /// <summary>The header with a few characters changed to other printable ASCII (a header cannot carry the rest).</summary>
    private static string Garble(Random random, string header)
    {
        var chars = header.ToCharArray();
        for (var n = random.Next(1, 6); n > 0; n--)
        {
            chars[random.Next(chars.Length)] = (char)random.Next(0x20, 0x7F);
        }
        return random.Next(4) == 0 ? new string(chars)[..random.Next(chars.Length)] : new string(chars);
    }

    /// <summary>Replaces a few values anywhere in the JSON with values of another kind.</summary>
    private static byte[] SwapTypes(Random random, byte[] sample)
    {
        var root = JsonNode.Parse(sample);
        var nodes = new List<JsonNode>();
        Collect(root, nodes);
        for (var n = random.Next(1, 4); n > 0 && nodes.Count > 0; n--)
        {
            var node = nodes[random.Next(nodes.Count)];
            JsonNode? replacement = random.Next(7) switch
            {
                0 => JsonValue.Create("a string"),
                1 => JsonValue.Create(random.Next(-1000, 1000)),
                2 => JsonValue.Create(random.Next(2) == 0),
                3 => null,
                4 => new JsonArray(1, "two", null),
                5 => new JsonObject { ["nested"] = new JsonObject { ["x"] = 1 } },
                _ => JsonValue.Create(1.25),
            };
            switch (node.Parent)
            {
                case JsonObject parent:
                    parent[node.GetPropertyName()] = replacement;
                    break;
                case JsonArray array:
                    array[node.GetElementIndex()] = replacement;
                    break;
            }
            nodes.Clear();
            Collect(root, nodes);
        }
        return Encoding.UTF8.GetBytes(root?.ToJsonString() ?? "null");
    }

    private static void Collect(JsonNode? node, List<JsonNode> into)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (_, child) in obj)
                {
                    if (child is not null)
                    {
                        into.Add(child);
                        Collect(child, into);
                    }
                }
                break;
            case JsonArray array:
                foreach (var child in array)
                {
                    if (child is not null)
                    {
                        into.Add(child);
                        Collect(child, into);
                    }
                }
                break;
        }
    }

    private static byte[] ReplaceNumbers(Random random, byte[] sample, string[] numbers)
    {
        var text = Encoding.UTF8.GetString(sample);
        var result = new StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == ':' && i + 1 < text.Length && (char.IsAsciiDigit(text[i + 1]) || text[i + 1] == '-') && random.Next(2) == 0)
            {
                result.Append(':').Append(numbers[random.Next(numbers.Length)]);
                i++;
                while (i < text.Length && (char.IsAsciiDigit(text[i]) || text[i] is '-' or '.' or 'e' or 'E' or '+'))
                {
                    i++;
                }
                i--;
                continue;
            }
            result.Append(text[i]);
        }
        return Encoding.UTF8.GetBytes(result.ToString());
    }

    private static string Splice(Random random, string a, string b) => a[..random.Next(a.Length + 1)] + b[random.Next(b.Length + 1)..];

    private static byte[] RandomBytes(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }

    private static byte[] Gzip(byte[] body)
    {
        using var compressed = new MemoryStream();
        using (var gzip = new GZipStream(compressed, CompressionLevel.Fastest))
        {
            gzip.Write(body);
        }
        return compressed.ToArray();
    }
}
