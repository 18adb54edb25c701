using System.Net;
using Coliseum.Tests.Infrastructure;

namespace Coliseum.Tests.Capture;

/// <summary><c>/healthz</c> and <c>/metrics</c>: what operators watch capture through.</summary>
[Collection(MetricsCollection.Name)]
public sealed class OperationsTests : IAsyncLifetime
{
    private TestServer _server = null!;

    public async Task InitializeAsync() => _server = await TestServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Health_is_answered_200_ok_without_a_key()
    {
        var response = await _server.Client.GetAsync("/healthz");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var health = await response.ReadJsonAsync();
        Assert.Equal("ok", health.GetProperty("status").GetString());
        Assert.Equal(TestBackend.Name, health.GetProperty("storage").GetString());
        Assert.Equal(0, health.GetProperty("queuedEvents").GetInt64());
    }

    [Fact]
    public async Task Metrics_without_a_key_are_refused_with_401()
    {
        var response = await _server.Client.GetAsync("/metrics");

        await response.AssertProblemAsync(HttpStatusCode.Unauthorized, "a read key is required: Authorization: Bearer <read key>");
    }

    [Theory]
    [InlineData("not-a-key", HttpStatusCode.Unauthorized, "a read key is required: Authorization: Bearer <read key>")]
    [InlineData(TestServer.WriteKey, HttpStatusCode.Forbidden, "a write key cannot read metrics; use a read key")]
    public async Task Metrics_with_a_key_that_may_not_read_are_refused(string key, HttpStatusCode status, string error)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/metrics");
        request.Headers.Add("Authorization", "Bearer " + key);

        var response = await _server.Client.SendAsync(request);

        await response.AssertProblemAsync(status, error);
    }

    [Theory]
    [InlineData(TestServer.ReadKey)]
    [InlineData(TestServer.AdminKey)]
    public async Task Metrics_with_a_read_or_admin_key_are_answered_in_Prometheus_text_format(string key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/metrics");
        request.Headers.Add("Authorization", "Bearer " + key);

        var response = await _server.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        var text = await response.Content.ReadAsStringAsync();
        Assert.Equal("gauge", Prometheus.TypeOf(text, "coliseum_append_queue_depth"));
        Assert.True(Prometheus.Has(text, "coliseum_append_queue_depth"), text);
    }

    [Fact]
    public async Task Accepted_events_are_counted_by_type_and_each_commit_is_measured()
    {
        var before = await Prometheus.ScrapeAsync(_server);

        await _server.PostAsync("/api/passport/log", Events.TrackPlayed("m-1").ToJsonString());
        await _server.PostAsync("/api/passport/batch", Events.Batch(Events.TrackPlayed("m-2"), Events.TicketPurchased("m-3"), Samples.Valid("coliseum.vote_cast", "m-4")));
        var after = await Prometheus.ScrapeAsync(_server);

        double Moved(string name, string labels = "") => Prometheus.Sample(after, name, labels) - Prometheus.Sample(before, name, labels);
        Assert.Equal(2, Moved("coliseum_events_accepted_total", "type=\"player.track_played\""));
        Assert.Equal(1, Moved("coliseum_events_accepted_total", "type=\"concierto.ticket_purchased\""));
        Assert.Equal(1, Moved("coliseum_events_accepted_total", "type=\"coliseum.vote_cast\""));
        // Two requests one after the other: two commits, of one and three events.
        Assert.Equal("histogram", Prometheus.TypeOf(after, "coliseum_append_batch_size"));
        Assert.Equal(2, Moved("coliseum_append_batch_size_count"));
        Assert.Equal(4, Moved("coliseum_append_batch_size_sum"));
        Assert.Equal(2, Moved("coliseum_append_batch_size_bucket", "le=\"+Inf\""));
        Assert.Equal("histogram", Prometheus.TypeOf(after, "coliseum_append_commit_seconds"));
        Assert.Equal(2, Moved("coliseum_append_commit_seconds_count"));
        Assert.True(Moved("coliseum_append_commit_seconds_sum") > 0);
        Assert.Equal("gauge", Prometheus.TypeOf(after, "coliseum_append_queue_depth"));
        Assert.Equal(0, Prometheus.Sample(after, "coliseum_append_queue_depth"));
    }

    [Fact]
    public async Task Custom_types_share_one_label_so_clients_cannot_grow_the_label_set()
    {
        var before = await Prometheus.ScrapeAsync(_server);

        await _server.PostAsync("/api/passport/batch", Events.Batch(
            new System.Text.Json.Nodes.JsonObject { ["type"] = "shop.a_1", ["userId"] = "u", ["at"] = Events.Now },
            new System.Text.Json.Nodes.JsonObject { ["type"] = "shop.b_2", ["userId"] = "u", ["at"] = Events.Now }));
        var after = await Prometheus.ScrapeAsync(_server);

        Assert.Equal(2, Prometheus.Sample(after, "coliseum_events_accepted_total", "type=\"custom\"") - Prometheus.Sample(before, "coliseum_events_accepted_total", "type=\"custom\""));
        Assert.DoesNotContain("shop.a_1", after, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Duplicates_and_rejections_are_counted_apart_from_accepted_events()
    {
        var before = await Prometheus.ScrapeAsync(_server);

        await _server.PostAsync("/api/passport/log", Events.TrackPlayed("m-1").ToJsonString());
        await _server.PostAsync("/api/passport/log", Events.TrackPlayed("m-1").ToJsonString());
        await _server.PostAsync("/api/passport/log", Events.TicketPurchased("m-2", amountCents: 0).ToJsonString());
        var after = await Prometheus.ScrapeAsync(_server);

        double Moved(string name, string labels) => Prometheus.Sample(after, name, labels) - Prometheus.Sample(before, name, labels);
        Assert.Equal(1, Moved("coliseum_events_accepted_total", "type=\"player.track_played\""));
        Assert.Equal(1, Moved("coliseum_events_duplicate_total", "type=\"player.track_played\""));
        Assert.Equal(1, Moved("coliseum_events_rejected_total", "endpoint=\"log\",type=\"concierto.ticket_purchased\""));
    }

    [Fact]
    public async Task Histograms_are_exported_with_the_bucket_boundaries_their_instruments_advise()
    {
        await _server.PostAsync("/api/passport/log", Events.TrackPlayed("m-1").ToJsonString());

        var metrics = await Prometheus.ScrapeAsync(_server);

        Assert.True(Prometheus.Has(metrics, "coliseum_append_batch_size_bucket", "le=\"2500\""), metrics);
        Assert.True(Prometheus.Has(metrics, "coliseum_append_commit_seconds_bucket", "le=\"0.0005\""), metrics);
        Assert.False(Prometheus.Has(metrics, "coliseum_append_batch_size_bucket", "le=\"0.01\""));
    }

    [Fact]
    public async Task Events_accepted_before_the_first_scrape_are_counted()
    {
        // A process of its own: in this one, an earlier test has already scraped and so started the exporter.
        const string readKey = "process-read-key";
        await using var server = await ChildServer.StartAsync(TempDirectory.Create("metrics-process"), new Dictionary<string, string>
        {
            ["Coliseum__Keys__Write__0"] = TestServer.WriteKey,
            ["Coliseum__Keys__Read__0"] = readKey,
        });

        var response = await server.PostAsync("/api/passport/log", Events.TrackPlayed("m-first").ToJsonString(), TestServer.WriteKey);
        var metrics = await server.ScrapeMetricsAsync(readKey);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal(1, Prometheus.Sample(metrics, "coliseum_events_accepted_total", "type=\"player.track_played\""));
        Assert.Equal(1, Prometheus.Sample(metrics, "coliseum_append_batch_size_count"));
    }
}
