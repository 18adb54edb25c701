using System.Text;
using Coliseum.Capture;
using Coliseum.Storage;

namespace Coliseum.Tests.Storage;

/// <summary>
/// What every <see cref="IPassportStore"/> must do. Each backend inherits this class in one line and
/// supplies <see cref="CreateStoreAsync"/>; the PostgreSQL store will join SQLite here.
/// </summary>
public abstract class PassportStoreConformance : IAsyncLifetime
{
    private IPassportStore _store = null!;

    /// <summary>A store over fresh, empty storage (or, with <paramref name="reopen"/>, the same storage again).</summary>
    protected abstract Task<IPassportStore> CreateStoreAsync(bool reopen);

    public async Task InitializeAsync() => _store = await CreateStoreAsync(reopen: false);

    public virtual async Task DisposeAsync() => await _store.DisposeAsync();

    protected static PassportRecord Record(string messageId, string type = "player.track_played", string metadata = """{"trackId":"t1"}""") => new()
    {
        MessageId = messageId,
        EventType = type,
        EventCategory = type[..type.IndexOf('.', StringComparison.Ordinal)],
        UserId = "fan-1",
        AnonymousId = null,
        SessionId = "s-1",
        DeviceId = "d-1",
        EntityType = "track",
        EntityId = "t1",
        Metadata = Encoding.UTF8.GetBytes(metadata),
        Context = Encoding.UTF8.GetBytes("""{"locale":"es-MX"}"""),
        OccurredAt = 1_764_064_800_123,
        ClientAt = 1_764_064_800_000,
        SentAt = 1_764_064_801_000,
        ReceivedAt = 1_764_064_801_123,
        Source = "api",
        Warnings = null,
    };

    private async Task<bool[]> AppendAsync(IPassportStore store, params PassportRecord[] records)
    {
        var inserted = new bool[records.Length];
        await store.AppendAsync(records, inserted, CancellationToken.None);
        return inserted;
    }

    [Fact]
    public async Task Empty_log_has_head_zero_and_reads_nothing()
    {
        Assert.Equal(0, await _store.GetHeadAsync(CancellationToken.None));
        Assert.Empty(await _store.ReadAsync(0, 100, CancellationToken.None));
    }

    [Fact]
    public async Task Appended_records_read_back_in_order_with_every_field()
    {
        var original = Record("a");
        await AppendAsync(_store, original, Record("b"), Record("c"));

        var entries = await _store.ReadAsync(0, 100, CancellationToken.None);

        Assert.Equal(["a", "b", "c"], entries.Select(e => e.Record.MessageId));
        Assert.True(entries[0].Position < entries[1].Position && entries[1].Position < entries[2].Position);
        var read = entries[0].Record;
        Assert.Equal(original.EventType, read.EventType);
        Assert.Equal(original.EventCategory, read.EventCategory);
        Assert.Equal(original.UserId, read.UserId);
        Assert.Null(read.AnonymousId);
        Assert.Equal(original.SessionId, read.SessionId);
        Assert.Equal(original.DeviceId, read.DeviceId);
        Assert.Equal(original.EntityType, read.EntityType);
        Assert.Equal(original.EntityId, read.EntityId);
        Assert.Equal(Encoding.UTF8.GetString(original.Metadata), Encoding.UTF8.GetString(read.Metadata));
        Assert.Equal(Encoding.UTF8.GetString(original.Context!), Encoding.UTF8.GetString(read.Context!));
        Assert.Equal(original.OccurredAt, read.OccurredAt);
        Assert.Equal(original.ClientAt, read.ClientAt);
        Assert.Equal(original.SentAt, read.SentAt);
        Assert.Equal(original.ReceivedAt, read.ReceivedAt);
        Assert.Equal(original.Source, read.Source);
        Assert.Equal(entries[2].Position, await _store.GetHeadAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Reading_after_a_position_returns_only_later_entries_up_to_the_limit()
    {
        await AppendAsync(_store, Enumerable.Range(0, 10).Select(i => Record($"m{i}")).ToArray());
        var all = await _store.ReadAsync(0, 100, CancellationToken.None);

        var page = await _store.ReadAsync(all[3].Position, 4, CancellationToken.None);

        Assert.Equal(["m4", "m5", "m6", "m7"], page.Select(e => e.Record.MessageId));
    }

    [Fact]
    public async Task Duplicate_message_id_in_one_append_is_stored_once()
    {
        var inserted = await AppendAsync(_store, Record("x"), Record("y"), Record("x"));

        Assert.Equal([true, true, false], inserted);
        Assert.Equal(2, (await _store.ReadAsync(0, 100, CancellationToken.None)).Count);
    }

    [Fact]
    public async Task Duplicate_message_id_across_appends_is_stored_once_and_keeps_the_first()
    {
        await AppendAsync(_store, Record("x", metadata: """{"v":1}"""));

        var inserted = await AppendAsync(_store, Record("x", metadata: """{"v":2}"""), Record("z"));

        Assert.Equal([false, true], inserted);
        var x = await _store.FindAsync("x", CancellationToken.None);
        Assert.Equal("""{"v":1}""", Encoding.UTF8.GetString(x!.Record.Metadata));
    }

    [Fact]
    public async Task Appended_records_survive_reopening_the_store()
    {
        await AppendAsync(_store, Record("kept-1"), Record("kept-2"));
        await _store.DisposeAsync();

        _store = await CreateStoreAsync(reopen: true);

        Assert.Equal(["kept-1", "kept-2"], (await _store.ReadAsync(0, 10, CancellationToken.None)).Select(e => e.Record.MessageId));
        var again = await AppendAsync(_store, Record("kept-1"));
        Assert.False(again[0]);
    }

    [Fact]
    public async Task Positions_only_grow_across_appends()
    {
        for (var i = 0; i < 5; i++)
        {
            await AppendAsync(_store, Record($"p{i}"), Record("dup"));
        }
        var positions = (await _store.ReadAsync(0, 100, CancellationToken.None)).Select(e => e.Position).ToList();

        Assert.Equal(positions.Order(), positions);
        Assert.Equal(positions.Count, positions.Distinct().Count());
    }

    [Fact]
    public async Task Duplicates_leave_no_gap_positions_run_one_to_n_and_the_head_is_the_last()
    {
        await AppendAsync(_store, Record("a"), Record("b"));
        // A retry in the middle of a batch, and a repeat inside it: only c and d are new.
        var inserted = await AppendAsync(_store, Record("c"), Record("a"), Record("d"), Record("c"));

        Assert.Equal([true, false, true, false], inserted);
        var entries = await _store.ReadAsync(0, 100, CancellationToken.None);
        Assert.Equal(["1 a", "2 b", "3 c", "4 d"], entries.Select(e => $"{e.Position} {e.Record.MessageId}"));
        Assert.Equal(4, await _store.GetHeadAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Find_returns_null_for_an_unknown_message_id() =>
        Assert.Null(await _store.FindAsync("never-sent", CancellationToken.None));

    [Fact]
    public async Task Ping_succeeds_on_a_healthy_store() => await _store.PingAsync(CancellationToken.None);
}
