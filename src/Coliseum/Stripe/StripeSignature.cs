using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Coliseum.Stripe;

/// <summary>
/// Stripe's webhook signature scheme. The <c>Stripe-Signature</c> header is a comma-separated list of
/// <c>key=value</c> pairs: one <c>t</c> (the Unix time Stripe signed at) and one or more <c>v1</c>
/// (hex HMAC-SHA256 signatures); other schemes such as <c>v0</c> are ignored. The signed payload is
/// <c>{t}.{raw body bytes}</c>, keyed with the endpoint secret. A request is genuine when any <c>v1</c>
/// equals the signature under any configured secret (compared in constant time), and fresh when
/// <c>t</c> is within the tolerance of the server's clock, in either direction.
/// </summary>
internal static class StripeSignature
{
    public const string Header = "Stripe-Signature";

    /// <summary>One SHA-256 as hex.</summary>
    private const int SignatureHexLength = 64;

    /// <summary>A header this long is not Stripe's (one t and a few signatures are ~250 characters).</summary>
    private const int MaxHeaderLength = 4096;

    /// <summary>Checks a parsed header against the body; returns null when genuine and fresh, else why not.</summary>
    public static string? Verify(long timestamp, List<byte[]> signatures, ReadOnlySpan<byte> body, IReadOnlyList<string> secrets, long nowSeconds, int toleranceSeconds)
    {
        var t = Encoding.ASCII.GetBytes(timestamp.ToString(CultureInfo.InvariantCulture) + ".");
        var expected = new byte[HMACSHA256.HashSizeInBytes];
        var matched = false;
        foreach (var secret in secrets)
        {
            using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, Encoding.UTF8.GetBytes(secret));
            hmac.AppendData(t);
            hmac.AppendData(body);
            hmac.GetHashAndReset(expected);
            foreach (var signature in signatures)
            {
                // Every pair is compared (no early exit) so the time taken says nothing about which matched.
                matched |= CryptographicOperations.FixedTimeEquals(signature, expected);
            }
        }
        if (!matched)
        {
            return "no v1 signature in the Stripe-Signature header matches the body under the configured webhook secrets";
        }
        var age = nowSeconds - timestamp;
        if (Math.Abs(age) > toleranceSeconds)
        {
            return age > 0
                ? $"the Stripe-Signature timestamp is {age} s old; the tolerance is {toleranceSeconds} s"
                : $"the Stripe-Signature timestamp is {-age} s in the future; the tolerance is {toleranceSeconds} s";
        }
        return null;
    }

    /// <summary>
    /// Reads <c>t</c> and every well-formed <c>v1</c> (decoded from hex); fails, saying why, when the header
    /// is missing, is not a list of pairs, or lacks either. Done before the body is read.
    /// </summary>
    public static bool TryParse(string? header, out long timestamp, out List<byte[]> signatures, out string problem)
    {
        timestamp = 0;
        signatures = [];
        problem = "";
        if (string.IsNullOrWhiteSpace(header))
        {
            problem = "the Stripe-Signature header is missing";
            return false;
        }
        if (header.Length > MaxHeaderLength)
        {
            problem = $"the Stripe-Signature header is longer than {MaxHeaderLength} characters";
            return false;
        }
        var hasTimestamp = false;
        foreach (var item in header.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = item.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                problem = "the Stripe-Signature header is not a list of key=value pairs (t=…,v1=…)";
                return false;
            }
            var key = item[..equals];
            var value = item[(equals + 1)..];
            if (key == "t")
            {
                if (hasTimestamp || !long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out timestamp))
                {
                    problem = "the Stripe-Signature header's t must be one Unix time in seconds";
                    return false;
                }
                hasTimestamp = true;
            }
            else if (key == "v1" && value.Length == SignatureHexLength && signatures.Count < 16)
            {
                try
                {
                    signatures.Add(Convert.FromHexString(value));
                }
                catch (FormatException)
                {
                    // Not hex: cannot match, like any other wrong signature.
                }
            }
        }
        if (!hasTimestamp)
        {
            problem = "the Stripe-Signature header has no timestamp (t=…)";
            return false;
        }
        if (signatures.Count == 0)
        {
            problem = "the Stripe-Signature header has no v1 signature (v1=<64 hex digits>)";
            return false;
        }
        return true;
    }
}
