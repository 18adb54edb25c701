using System.Net;
using System.Net.Http.Headers;
using System.Net.ServerSentEvents;
using System.Text.Json;
using System.Threading.Channels;
using Coliseum.Tests.Infrastructure;

namespace Coliseum.Tests.Query;

/// <summary>A real Server-Sent Events client over loopback: the events it has received, in order, to be awaited one by one.</summary>
internal sealed class SseClient : IAsyncDisposable
{
    private readonly HttpResponseMessage _response;
    private readonly CancellationTokenSource _stop = new();
    private readonly Channel<SseItem<string>> _items = Channel.CreateUnbounded<SseItem<string>>();
    private readonly Task _reader;

    private SseClient(HttpResponseMessage response)
    {
        _response = response;
        _reader = Task.Run(ReadAsync);
    }

    public string? LastEventId { get; private set; }

    public HttpResponseMessage Response => _response;

    public static async Task<SseClient> OpenAsync(TestServer server, string path, string key, string? lastEventId = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        if (lastEventId is not null)
        {
            request.Headers.Add("Last-Event-ID", lastEventId);
        }
        var response = await server.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            Assert.Fail($"{path} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        return new SseClient(response);
    }

    private async Task ReadAsync()
    {
        try
        {
            await using var stream = await _response.Content.ReadAsStreamAsync(_stop.Token);
            await foreach (var item in SseParser.Create(stream).EnumerateAsync(_stop.Token))
            {
                await _items.Writer.WriteAsync(item, _stop.Token);
            }
            _items.Writer.TryComplete();
        }
        catch (Exception ex)
        {
            _items.Writer.TryComplete(ex is OperationCanceledException ? null : ex);
        }
    }

    /// <summary>The next event of <paramref name="type"/> (skipping others, such as heartbeats); fails the test after <paramref name="seconds"/>.</summary>
    public async Task<JsonElement> NextAsync(string type, int seconds = 20, Func<JsonElement, bool>? until = null)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        try
        {
            while (true)
            {
                var item = await _items.Reader.ReadAsync(timeout.Token);
                LastEventId = item.EventId ?? LastEventId;
                if (item.EventType != type)
                {
                    continue;
                }
                using var document = JsonDocument.Parse(item.Data);
                var data = document.RootElement.Clone();
                if (until is null || until(data))
                {
                    return data;
                }
            }
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"no '{type}' event arrived within {seconds} s");
            throw;
        }
    }

    /// <summary>The next event of any type.</summary>
    public async Task<SseItem<string>> NextItemAsync(int seconds = 20)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        var item = await _items.Reader.ReadAsync(timeout.Token);
        LastEventId = item.EventId ?? LastEventId;
        return item;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _response.Dispose();
        try
        {
            await _reader;
        }
        catch (OperationCanceledException)
        {
        }
        _stop.Dispose();
    }
}
