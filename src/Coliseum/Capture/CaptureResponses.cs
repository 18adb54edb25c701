using System.Text.Json.Serialization;

namespace Coliseum.Capture;

/// <summary><c>POST /api/passport/log</c>: the React hook's contract.</summary>
public sealed record LogResponse(bool Ok, [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] bool Duplicate = false);

/// <summary><c>POST /api/passport/batch</c> and Segment batches.</summary>
public sealed record BatchResponse(int Accepted, int Duplicates, IReadOnlyList<Rejection> Rejected);

/// <summary>Segment's answer shape, with Coliseum's counts beside it.</summary>
public sealed record SegmentResponse(bool Success, int Accepted, int Duplicates, IReadOnlyList<Rejection> Rejected);

/// <summary>One refused event of a batch.</summary>
public sealed record Rejection(int Index, string Error, [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Field);
