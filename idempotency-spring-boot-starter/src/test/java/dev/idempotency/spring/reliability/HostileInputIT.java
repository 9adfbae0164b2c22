package dev.idempotency.spring.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import dev.idempotency.core.IdempotencyKey;
import dev.idempotency.jdbc.JdbcIdempotencySchema;
import dev.idempotency.jdbc.JdbcIdempotencyStore;
import dev.idempotency.jdbc.ReliabilityPostgres;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Scenario 5, hostile and malformed input over HTTP, against the starter's documented contract
 * ({@code docs/http-semantics.md}): each case gets a 4xx {@code application/problem+json} answer with the documented
 * {@code type} and {@code status}, and nothing is executed (the handler's counter is unchanged) or stored (the table's
 * row count is unchanged and, where the key is readable, the store has no record for it).
 *
 * <p>Control characters other than tab (DEL, 0x01) never reach the filter: Tomcat's header parser answers a plain
 * 400 itself. Those rows assert the status and that nothing ran or was stored, not the problem body.
 *
 * <p>Two inputs are not rejections by contract and are tested on their own: a key on a GET to a handler that is not
 * {@code @Idempotent} is ignored (the handler runs, nothing is stored: {@code methods} only applies to
 * {@code intercept-all-with-header}, which is off by default); and the same key from a different user is a different
 * record (it runs independently and gets its own response, never the first user's).
 */
class HostileInputIT {

    static final String TABLE = "idempotency_record";
    static final String BODY = "{\"amount\":42,\"currency\":\"EUR\"}";
    static final String PROBLEMS = "https://idempotency.dev/problems/";
    /** Every hostile request comes from an authenticated caller, except the one that tests anonymous callers. */
    static final String USER = "X-User: mallory";
    static final String SCOPE = "principal:mallory";

    static ReliabilityPostgres db;
    static ReliabilityInstances instances;
    static ReliabilityWebApp.Executions executions;
    static JdbcIdempotencyStore store;
    static int port;
    static final List<String> results = new ArrayList<>();

    /**
     * One row of the table.
     *
     * @param name what is hostile about it
     * @param setupBody when not null, a first valid request with the same key and this body runs before the case
     * @param target the request target
     * @param headers raw header lines; the key is in {@code key} unless the case sends its own header lines
     * @param body the body; {@code chunked} sends it without a length
     * @param status the documented status
     * @param type the documented problem type
     * @param key the key as the store would hold it, to check that no record exists; null when it has none
     */
    record Case(String name, String setupBody, String target, List<String> headers, byte[] body, boolean chunked,
            int status, String type, String key) {

        @Override
        public String toString() {
            return name;
        }
    }

    static Case keyCase(String name, String headerValue, String type) {
        return new Case(name, null, "/work", List.of(USER, "Idempotency-Key: " + headerValue, "Content-Type: application/json"),
                BODY.getBytes(StandardCharsets.UTF_8), false, 400, type, null);
    }

    static Case bodyCase(String name, String contentType, byte[] body, boolean chunked, int status, String type) {
        String key = "body-" + Math.abs(name.hashCode());
        return new Case(name, null, "/work", List.of(USER, "Idempotency-Key: " + key, "Content-Type: " + contentType), body,
                chunked, status, type, key);
    }

    static Case reuseCase(String name, String target, String body) {
        String key = "reuse-" + Math.abs(name.hashCode());
        return new Case(name, BODY, target, List.of(USER, "Idempotency-Key: " + key, "Content-Type: application/json"),
                body.getBytes(StandardCharsets.UTF_8), false, 422, "key-reused", null);
    }

    /** A header value whose bytes are UTF-8, sent raw. */
    static String utf8(String text) {
        return new String(text.getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
    }

    static Stream<Case> cases() {
        byte[] json = BODY.getBytes(StandardCharsets.UTF_8);
        byte[] oversized = ("{\"pad\":\"" + "x".repeat(2_000) + "\"}").getBytes(StandardCharsets.UTF_8);
        return Stream.of(
                new Case("missing key", null, "/work", List.of(USER, "Content-Type: application/json"), json, false, 400,
                        "key-missing", null),
                // No caller to scope the key by: refused before anything else, nothing claimed (rows unchanged).
                new Case("no authenticated caller", null, "/work", List.of("Idempotency-Key: anon-1",
                        "Content-Type: application/json"), json, false, 401, "principal-required", null),
                new Case("no authenticated caller, no key", null, "/work", List.of("Content-Type: application/json"),
                        json, false, 401, "principal-required", null),
                keyCase("empty key", "", "key-invalid"),
                keyCase("empty quoted key", "\"\"", "key-invalid"),
                keyCase("blank key", "   ", "key-invalid"),
                keyCase("256 characters", "k".repeat(256), "key-invalid"),
                keyCase("256 characters quoted", "\"" + "k".repeat(256) + "\"", "key-invalid"),
                keyCase("1000 characters", "k".repeat(1_000), "key-invalid"),
                keyCase("tab inside", "ab\tcd", "key-invalid"),
                // Tomcat's header parser refuses DEL and other control characters itself, before any filter runs: a
                // plain 400 from the container (type null here), still with nothing executed or stored.
                keyCase("DEL character", "ab\u007fcd", null),
                keyCase("control character 0x01", "ab\u0001cd", null),
                keyCase("Latin-1 byte", "caf\u00e9", "key-invalid"),
                keyCase("UTF-8 Cyrillic", utf8("\u043a\u043b\u044e\u0447"), "key-invalid"),
                keyCase("UTF-8 emoji", utf8("key-\uD83D\uDE00"), "key-invalid"),
                keyCase("UTF-8 in quotes", "\"" + utf8("\u00fcber") + "\"", "key-invalid"),
                keyCase("unterminated quote", "\"abc", "key-invalid"),
                keyCase("only a quote", "\"", "key-invalid"),
                keyCase("text after the closing quote", "\"abc\"x", "key-invalid"),
                keyCase("quote inside a quoted key", "\"a\"b\"", "key-invalid"),
                keyCase("bad escape", "\"a\\x\"", "key-invalid"),
                keyCase("escape at the end", "\"abc\\\"", "key-invalid"),
                keyCase("sf-string with a parameter", "\"abc\";p=1", "key-invalid"),
                keyCase("list of two sf-strings", "\"a\", \"b\"", "key-invalid"),
                new Case("header sent twice, same value", null, "/work",
                        List.of(USER, "Idempotency-Key: twice-1", "Idempotency-Key: twice-1", "Content-Type: application/json"),
                        json, false, 400, "key-invalid", "twice-1"),
                new Case("header sent twice, two values", null, "/work",
                        List.of(USER, "Idempotency-Key: twice-2", "Idempotency-Key: twice-3", "Content-Type: application/json"),
                        json, false, 400, "key-invalid", "twice-2"),
                bodyCase("body over the cap", "application/json", oversized, false, 413, "request-too-large"),
                bodyCase("chunked body over the cap", "application/json", oversized, true, 413, "request-too-large"),
                bodyCase("truncated JSON", "application/json", "{\"amount\":".getBytes(StandardCharsets.UTF_8), false,
                        400, "invalid-json"),
                bodyCase("JSON with trailing garbage", "application/json", "{\"a\":1} x".getBytes(StandardCharsets.UTF_8),
                        false, 400, "invalid-json"),
                bodyCase("JSON with a duplicate member", "application/json",
                        "{\"a\":1,\"a\":2}".getBytes(StandardCharsets.UTF_8), false, 400, "invalid-json"),
                bodyCase("JSON nested 300 deep", "application/json",
                        ("[".repeat(300) + "]".repeat(300)).getBytes(StandardCharsets.UTF_8), false, 400, "invalid-json"),
                // One level past idempotency.fingerprint.max-json-depth (64), from a signed-in user: rejected
                // before the claim, whoever sends it.
                new Case("JSON nested 65 deep", null, "/work", List.of("Idempotency-Key: deep-65", "X-User: mallory",
                        "Content-Type: application/json"), ("{\"a\":".repeat(64) + "[]" + "}".repeat(64))
                        .getBytes(StandardCharsets.UTF_8), false, 400, "invalid-json", null),
                bodyCase("JSON with NaN", "application/json", "{\"a\":NaN}".getBytes(StandardCharsets.UTF_8), false, 400,
                        "invalid-json"),
                bodyCase("JSON with single quotes", "application/json", "{'a':1}".getBytes(StandardCharsets.UTF_8), false,
                        400, "invalid-json"),
                bodyCase("invalid +json media type", "application/vnd.api+json", "{".getBytes(StandardCharsets.UTF_8),
                        false, 400, "invalid-json"),
                reuseCase("same key, different body", "/work", "{\"amount\":43,\"currency\":\"EUR\"}"),
                reuseCase("same key, different path", "/work/other", BODY),
                reuseCase("same key, different query", "/work?dryRun=true", BODY));
    }

    @BeforeAll
    static void start() {
        db = ReliabilityPostgres.start(2);
        JdbcIdempotencySchema.create(db.dataSource(), TABLE);
        executions = new ReliabilityWebApp.Executions();
        instances = new ReliabilityInstances();
        Map<String, Object> properties = ReliabilityInstances.databaseProperties(db, db.jdbcUrl(), 4);
        properties.put("reliability.sleep-ms", 0);
        properties.put("idempotency.max-request-size", "1KB");
        URI uri = instances.start("hostile", executions, properties);
        port = uri.getPort();
        store = JdbcIdempotencyStore.builder(db.dataSource()).tableName(TABLE).build();
    }

    @AfterAll
    static void stop() {
        System.out.printf("[reliability] hostile input: %d cases%n  %s%n", results.size(), String.join("\n  ", results));
        instances.close();
        db.close();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void rejectedWithProblemJsonAndNothingExecutedOrStored(Case hostile) throws Exception {
        if (hostile.setupBody() != null) {
            RawHttp.Response first = RawHttp.send(port, "POST", "/work", hostile.headers(),
                    hostile.setupBody().getBytes(StandardCharsets.UTF_8), false);
            assertThat(first.status()).as("setup request").isEqualTo(201);
        }
        long rowsBefore = rows();
        long executionsBefore = executions.total();

        RawHttp.Response response = RawHttp.send(port, "POST", hostile.target(), hostile.headers(), hostile.body(),
                hostile.chunked());

        results.add(String.format("%-32s -> %d %s %s", hostile.name(), response.status(),
                response.header("Content-Type"), typeOf(response.text())));
        assertThat(response.status()).as(response.text()).isEqualTo(hostile.status());
        if (hostile.type() != null) {
            assertThat(response.header("Content-Type")).startsWith("application/problem+json");
            assertThat(typeOf(response.text())).isEqualTo(PROBLEMS + hostile.type());
            assertThat(response.text()).containsPattern("\"status\"\\s*:\\s*" + hostile.status() + "\\b");
        }
        assertThat(executions.total()).as("executions").isEqualTo(executionsBefore);
        assertThat(rows()).as("stored records").isEqualTo(rowsBefore);
        if (hostile.key() != null) {
            assertThat(store.find(IdempotencyKey.of(SCOPE, hostile.key()))).as("record of " + hostile.key()).isEmpty();
        }
    }

    @Test
    void keyOnANonAnnotatedGetIsIgnored() throws Exception {
        long rowsBefore = rows();
        long executionsBefore = executions.total();

        RawHttp.Response response = RawHttp.send(port, "GET", "/things", List.of("Idempotency-Key: get-key"), null, false);

        results.add(String.format("%-32s -> %d %s (ignored: the handler ran, nothing stored)", "key on a plain GET",
                response.status(), response.header("Content-Type")));
        assertThat(response.status()).isEqualTo(200);
        assertThat(response.header("Idempotent-Replayed")).isNull();
        assertThat(executions.total()).isEqualTo(executionsBefore + 1);
        assertThat(rows()).isEqualTo(rowsBefore);
        assertThat(store.find(IdempotencyKey.of("global", "get-key"))).isEmpty();
    }

    @Test
    void sameKeyFromAnotherUserRunsIndependentlyAndLeaksNothing() throws Exception {
        List<String> alice = List.of("Idempotency-Key: shared-key", "X-User: alice", "Content-Type: application/json");
        List<String> bob = List.of("Idempotency-Key: shared-key", "X-User: bob", "Content-Type: application/json");
        byte[] body = BODY.getBytes(StandardCharsets.UTF_8);

        RawHttp.Response first = RawHttp.send(port, "POST", "/work", alice, body, false);
        RawHttp.Response other = RawHttp.send(port, "POST", "/work", bob, body, false);
        RawHttp.Response aliceAgain = RawHttp.send(port, "POST", "/work", alice, body, false);
        RawHttp.Response bobAgain = RawHttp.send(port, "POST", "/work", bob, body, false);

        results.add(String.format("%-32s -> %d then %d, not replayed (independent record), owner %s", "same key, other user",
                first.status(), other.status(), other.text().contains("\"owner\":\"bob\"") ? "bob" : "?"));
        assertThat(first.status()).isEqualTo(201);
        assertThat(other.status()).isEqualTo(201);
        assertThat(other.header("Idempotent-Replayed")).isNull();
        assertThat(other.text()).contains("\"owner\":\"bob\"").doesNotContain("alice");
        assertThat(executions.of("shared-key")).isEqualTo(2);
        assertThat(aliceAgain.header("Idempotent-Replayed")).isEqualTo("true");
        assertThat(aliceAgain.body()).isEqualTo(first.body());
        assertThat(bobAgain.body()).isEqualTo(other.body());
        assertThat(store.find(IdempotencyKey.of("principal:alice", "shared-key"))).isPresent();
        assertThat(store.find(IdempotencyKey.of("principal:bob", "shared-key"))).isPresent();
        assertThat(store.find(IdempotencyKey.of("global", "shared-key"))).isEmpty();
    }

    private static String typeOf(String problem) {
        var matcher = Pattern.compile("\"type\"\\s*:\\s*\"([^\"]*)\"").matcher(problem);
        return matcher.find() ? matcher.group(1) : null;
    }

    private static long rows() throws Exception {
        try (Connection connection = db.dataSource().getConnection(); Statement statement = connection.createStatement();
                ResultSet rs = statement.executeQuery("SELECT COUNT(*) FROM " + TABLE)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
