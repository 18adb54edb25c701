namespace Coliseum.Processing.Treasury;

/// <summary>Who a ledger line and a balance belong to (<c>owner_type</c>).</summary>
internal static class OwnerType
{
    public const string User = "user";

    public const string Artist = "artist";
}
