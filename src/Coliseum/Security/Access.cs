using Coliseum.Capture;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Coliseum.Security;

/// <summary>Checks the key a read or admin endpoint was called with (<c>Authorization: Bearer</c>, Basic or <c>X-Coliseum-Key</c>).</summary>
internal static class Access
{
    /// <summary>Null when allowed; otherwise 401 (no or unknown key) or 403 (a key of the wrong role).</summary>
    public static ProblemHttpResult? Require(HttpContext http, KeyRole needed)
    {
        var role = http.RequestServices.GetRequiredService<KeyRing>().RoleOf(CaptureService.HeaderKey(http.Request));
        if (role is null)
        {
            return Problems.Create(401, needed == KeyRole.Admin ? "an admin key is required: Authorization: Bearer <admin key>" : "a read key is required: Authorization: Bearer <read key>");
        }
        return needed switch
        {
            KeyRole.Admin when role != KeyRole.Admin => Problems.Create(403, $"a {Name(role.Value)} key cannot do this; use an admin key"),
            KeyRole.Read when role == KeyRole.Write => Problems.Create(403, "a write key cannot read analytics; use a read key"),
            _ => null,
        };
    }

    private static string Name(KeyRole role) => role.ToString().ToLowerInvariant();
}
