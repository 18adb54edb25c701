using Coliseum.Tests.Infrastructure;

namespace Coliseum.Tests.Query;

/// <summary>One server loaded with a <see cref="ReportDataset"/> (and a track renamed with a comma and quotes), shared by the result tests.</summary>
public sealed class ReportFixture : IAsyncLifetime
{
    public const string TrackName = "Song \"One\", live";

    public ReportDataset Data { get; } = ReportDataset.Generate(2_000, 600);

    public TestServer Server { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Server = await TestServer.StartAsync();
        using (var put = await ReportClient.SendAsync(Server, HttpMethod.Put, "/api/coliseum/entities/track/t10", TestServer.AdminKey, System.Text.Json.JsonSerializer.Serialize(new { name = TrackName })))
        {
            Assert.True(put.IsSuccessStatusCode);
        }
        await ReportClient.LoadAsync(Server, Data.Events);
    }

    public async Task DisposeAsync() => await Server.DisposeAsync();
}
