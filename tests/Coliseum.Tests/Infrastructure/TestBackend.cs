using System.Text.RegularExpressions;
using Npgsql;

namespace Coliseum.Tests.Infrastructure;

/// <summary>
/// Which store the end-to-end tests run on. <c>Coliseum.Tests</c> runs them on SQLite; <c>Coliseum.Tests.Postgres</c>
/// compiles the same test files with <c>POSTGRES_BACKEND</c> and runs them on the PostgreSQL server that
/// <c>COLISEUM_TEST_POSTGRES</c> names, each data directory getting its own schema. A test's "database" is then
/// <c>postgres:&lt;schema&gt;</c> instead of a file path, and <see cref="Sql"/> and <see cref="Aggregates"/>
/// read it the same way.
/// </summary>
public static partial class TestBackend
{
#if POSTGRES_BACKEND
    public static readonly bool Postgres = true;
#else
    public static readonly bool Postgres = false;
#endif

    public const string Prefix = "postgres:";

    private const string SchemaFile = "postgres-schema";

    public static string Name => Postgres ? "postgres" : "sqlite";

    /// <summary>passport_entries.created_at as SQLite's view writes it (PostgreSQL's is a timestamptz), for use inside SQL.</summary>
    public static string CreatedAtText => Postgres
        ? "to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"
        : "created_at";

    /// <summary>The database a data directory's server uses: the SQLite file, or <c>postgres:&lt;schema&gt;</c>.</summary>
    public static string Database(string dataDirectory) => Postgres
        ? Prefix + SchemaOf(dataDirectory)
        : Path.Combine(dataDirectory, "coliseum.db");

    /// <summary>Settings that put a server on this backend (none for SQLite); makes the schema the first time.</summary>
    public static IReadOnlyDictionary<string, string> Settings(string dataDirectory)
    {
        if (!Postgres)
        {
            return new Dictionary<string, string>();
        }
        return new Dictionary<string, string>
        {
            ["Coliseum:Storage:Provider"] = "postgres",
            ["ConnectionStrings:Coliseum"] = ServerConnectionString(),
            ["Coliseum:Storage:Schema"] = SchemaOf(dataDirectory),
        };
    }

    /// <summary>The same settings as environment variables, for a <c>coliseum</c> child process.</summary>
    public static IReadOnlyDictionary<string, string> Environment(string dataDirectory) =>
        Settings(dataDirectory).ToDictionary(s => s.Key.Replace(":", "__", StringComparison.Ordinal), s => s.Value);

    /// <summary>The schema of a data directory: made (with the SQL compatibility functions) on first use, kept across restarts.</summary>
    public static string SchemaOf(string dataDirectory)
    {
        var file = Path.Combine(dataDirectory, SchemaFile);
        lock (typeof(TestBackend))
        {
            if (File.Exists(file))
            {
                return File.ReadAllText(file).Trim();
            }
            var schema = $"e2e_{Guid.NewGuid():N}";
            using (var connection = Open(null))
            {
                using var command = new NpgsqlCommand($"CREATE SCHEMA {schema}; SET search_path TO {schema}; {CompatibilityFunctions}", connection);
                command.ExecuteNonQuery();
            }
            File.WriteAllText(file, schema);
            return schema;
        }
    }

    /// <summary>Drops a data directory's schema, if it has one.</summary>
    public static void Drop(string dataDirectory)
    {
        var file = Path.Combine(dataDirectory, SchemaFile);
        if (!Postgres || !File.Exists(file))
        {
            return;
        }
        using var connection = Open(null);
        using var command = new NpgsqlCommand($"DROP SCHEMA IF EXISTS {File.ReadAllText(file).Trim()} CASCADE", connection);
        command.ExecuteNonQuery();
    }

    /// <summary>
    /// Copies a stopped server's database to another data directory (for a rebuild to compare against): the file
    /// on SQLite; on PostgreSQL, a new schema migrated the same way and every table's rows (the log through its
    /// parent table, so each row lands in the new schema's partitions).
    /// </summary>
    public static void CopyDatabase(string fromDirectory, string toDirectory)
    {
        if (!Postgres)
        {
            File.Copy(Path.Combine(fromDirectory, "coliseum.db"), Path.Combine(toDirectory, "coliseum.db"));
            return;
        }
        var from = SchemaOf(fromDirectory);
        var to = SchemaOf(toDirectory);
        var store = Coliseum.Storage.Postgres.PostgresPassportStore.Open(ServerConnectionString(), to);
        store.InitializeAsync(CancellationToken.None).GetAwaiter().GetResult();
        store.DisposeAsync().AsTask().GetAwaiter().GetResult();
        using var connection = Open(null);
        var tables = new List<string>();
        using (var list = new NpgsqlCommand($"""
            SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = '{from}' AND c.relkind IN ('r', 'p') AND NOT c.relispartition AND c.relname <> 'schema_migrations' ORDER BY c.relname
            """, connection))
        using (var reader = list.ExecuteReader())
        {
            while (reader.Read())
            {
                tables.Add(reader.GetString(0));
            }
        }
        foreach (var table in tables)
        {
            using var copy = new NpgsqlCommand($"DELETE FROM {to}.{table}; INSERT INTO {to}.{table} SELECT * FROM {from}.{table}", connection);
            copy.ExecuteNonQuery();
        }
    }

    public static string ServerConnectionString() =>
        System.Environment.GetEnvironmentVariable(PostgresSchema.Variable) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException(
                $"{PostgresSchema.Variable} is not set, so the PostgreSQL end-to-end tests (Coliseum.Tests.Postgres) have no server: " +
                "scripts/test-postgres.sh start && eval \"$(scripts/test-postgres.sh env)\" (needs Debian's postgresql package). See docs/postgres.md.");

    /// <summary>An unpooled connection whose search_path is <paramref name="schema"/> (the server's default when null).</summary>
    public static NpgsqlConnection Open(string? schema)
    {
        var builder = new NpgsqlConnectionStringBuilder(ServerConnectionString()) { Pooling = false };
        if (schema is not null)
        {
            builder.SearchPath = schema;
        }
        var connection = new NpgsqlConnection(builder.ConnectionString);
        connection.Open();
        return connection;
    }

    /// <summary>
    /// The SQLite functions the tests' own SQL uses to look inside the database, made in each test schema so one
    /// query text serves both backends: <c>json_extract(json, '$.a.b')</c> (numbers and strings as text, booleans
    /// as 1/0 the way SQLite gives them), <c>json_each</c> over an object, <c>typeof</c>, <c>group_concat</c> and <c>ifnull</c>. Test-only: Coliseum's SQL never relies on them.
    /// </summary>
    private const string CompatibilityFunctions = """
        CREATE FUNCTION json_extract(doc jsonb, path text) RETURNS text LANGUAGE plpgsql IMMUTABLE AS $$
        DECLARE
            keys text[] := '{}';
            m text[];
            v jsonb;
        BEGIN
            FOR m IN SELECT regexp_matches(substr(path, 3), '"([^"]*)"|([^.]+)', 'g') LOOP
                keys := keys || coalesce(m[1], m[2]);
            END LOOP;
            v := doc #> keys;
            RETURN CASE jsonb_typeof(v) WHEN 'boolean' THEN CASE WHEN v = 'true'::jsonb THEN '1' ELSE '0' END
                                        WHEN 'null' THEN NULL ELSE v #>> '{}' END;
        END
        $$;
        CREATE FUNCTION json_extract(doc text, path text) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT json_extract(doc::jsonb, path) $$;
        CREATE FUNCTION ifnull(a text, b text) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT coalesce(a, b) $$;
        CREATE FUNCTION json_each(doc jsonb) RETURNS TABLE (key text, value jsonb) LANGUAGE sql IMMUTABLE AS $$ SELECT * FROM jsonb_each(doc) $$;
        CREATE FUNCTION typeof(v anyelement) RETURNS text LANGUAGE sql IMMUTABLE AS $$
            SELECT CASE WHEN v IS NULL THEN 'null' WHEN pg_typeof(v) IN ('bigint'::regtype, 'integer'::regtype) THEN 'integer'
                        WHEN pg_typeof(v) IN ('double precision'::regtype, 'numeric'::regtype) THEN 'real' ELSE 'text' END
        $$;
        CREATE FUNCTION group_concat_step(acc text, v text, sep text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
            SELECT CASE WHEN v IS NULL THEN acc WHEN acc IS NULL THEN v ELSE acc || sep || v END
        $$;
        CREATE FUNCTION group_concat_step(acc text, v text) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT group_concat_step(acc, v, ',') $$;
        CREATE AGGREGATE group_concat(text, text) (SFUNC = group_concat_step, STYPE = text);
        CREATE AGGREGATE group_concat(text) (SFUNC = group_concat_step, STYPE = text);
        """;
}
