namespace Coliseum.Capture;

/// <summary>For each appended record, whether it was new (true) or a duplicate messageId (false).</summary>
public sealed record AppendOutcome(bool[] Inserted)
{
    public int Accepted => Inserted.Count(i => i);
    public int Duplicates => Inserted.Length - Accepted;
}
