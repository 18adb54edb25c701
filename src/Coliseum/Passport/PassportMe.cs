using System.Text.Json;
using Coliseum.Reports;

namespace Coliseum.Passport;

/// <summary>What <c>GET /api/passport/me</c> answers: one user's summary and a page of their own entries, newest first.</summary>
internal sealed record PassportMe(string UserId, ReportPositions Positions, PassportSummary Summary, IReadOnlyList<PassportMeEntry> Entries, long? NextBefore);

internal sealed record PassportSummary(PassportProfile? Profile, IReadOnlyList<TypeCount> EventsByType, IReadOnlyList<Balance> Money,
    long Votes, IReadOnlyList<Ranked> TopArtists);

internal sealed record TypeCount(string Type, long Count);

internal sealed record Balance(string Currency, long SpentCents, long EarnedCents, long RefundedCents, long PaidOutCents, long BalanceCents);

internal sealed record PassportMeEntry(long Position, string MessageId, string Type, string At, string ReceivedAt, string? AnonymousId,
    string? SessionId, string? DeviceId, string? EntityType, string? EntityId, JsonElement Fields, JsonElement? Context);
