using System.Text;

namespace Coliseum.Tests.Query;

/// <summary>A strict RFC 4180 reader (CRLF records, quoted fields with doubled quotes), written for the tests.</summary>
public static class Csv
{
    public static List<string[]> Parse(string text)
    {
        var rows = new List<string[]>();
        var fields = new List<string>();
        var field = new StringBuilder();
        var i = 0;
        while (i < text.Length)
        {
            if (text[i] == '"' && field.Length == 0)
            {
                i++;
                while (true)
                {
                    if (text[i] == '"' && i + 1 < text.Length && text[i + 1] == '"') { field.Append('"'); i += 2; }
                    else if (text[i] == '"') { i++; break; }
                    else { field.Append(text[i++]); }
                }
            }
            else if (text[i] == ',') { fields.Add(field.ToString()); field.Clear(); i++; }
            else if (text[i] == '\r' && i + 1 < text.Length && text[i + 1] == '\n')
            {
                fields.Add(field.ToString());
                field.Clear();
                rows.Add([.. fields]);
                fields.Clear();
                i += 2;
            }
            else if (text[i] is '\r' or '\n' or '"') { throw new FormatException($"bare {(int)text[i]} at {i}"); }
            else { field.Append(text[i++]); }
        }
        Assert.True(fields.Count == 0 && field.Length == 0, "the last record ends with CRLF");
        return rows;
    }
}
