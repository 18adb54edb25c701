namespace Coliseum.Security;

public enum KeyRole
{
    /// <summary>Appends events; nothing else.</summary>
    Write,
    /// <summary>Reads aggregates.</summary>
    Read,
    /// <summary>Manages entities, dead letters and privacy requests; may also write and read.</summary>
    Admin,
}
