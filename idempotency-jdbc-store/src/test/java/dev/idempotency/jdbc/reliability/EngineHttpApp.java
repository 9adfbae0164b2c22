package dev.idempotency.jdbc.reliability;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.idempotency.core.IdempotencyEngine;
import dev.idempotency.core.IdempotencyKey;
import dev.idempotency.core.IdempotencyOutcome;
import dev.idempotency.core.IdempotentRequest;
import dev.idempotency.core.RequestFingerprint;
import dev.idempotency.core.ResultCodecs;
import dev.idempotency.core.WorkContext;
import dev.idempotency.core.store.ClaimRequest;
import dev.idempotency.core.store.ClaimResult;
import dev.idempotency.core.store.ForwardingIdempotencyStore;
import dev.idempotency.core.store.IdempotencyStore;
import dev.idempotency.core.store.IdempotencyStoreException;
import dev.idempotency.core.store.StoredResponse;
import dev.idempotency.jdbc.JdbcIdempotencyStore;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import javax.sql.DataSource;

/**
 * A small HTTP application on the engine and the JDBC store, without a framework so that it starts in well under a
 * second: the crash scenario runs it as a separate JVM ({@link #main}) and kills it, the outage scenario runs it in
 * process. {@code POST /work} with an {@code Idempotency-Key} header runs one unit of work per key:
 *
 * <ol>
 *   <li>{@code after-claim}: the claim is committed and the work has started, nothing else happened;</li>
 *   <li>an attempt row is written to {@code effect_attempts} (counts every run, including re-runs);</li>
 *   <li>{@code in-handler}: the work is running, the side effect is not done;</li>
 *   <li>the side effect: a row in {@code side_effects} whose UNIQUE key is {@code key.derive("effect")}, inserted
 *       with {@code ON CONFLICT DO NOTHING}, so a re-run after a takeover is deduplicated (the attempt row records
 *       whether it was absorbed);</li>
 *   <li>{@code after-effect}: the side effect is committed, the result is not stored;</li>
 *   <li>the engine stores the result;</li>
 *   <li>{@code after-completion}: the result is stored, the response is not sent.</li>
 * </ol>
 *
 * With {@code ?block=<phase>} the request stops at that phase for good: the app prints {@code PHASE <phase> <key>}
 * and parks the thread (the heartbeat keeps the lease alive, as in a live but slow process) until the process is
 * killed. {@code ?sleep=<ms>} makes the work take that long; the in-process outage scenario turns the database side
 * effect off and records executions in memory instead.
 *
 * <p>Answers: 200 with the result, {@code Idempotent-Replayed: true} on a replay, 409 while another request holds
 * the key, 422 on a payload mismatch, 503 problem+json when the store cannot be reached (fail closed), 500 when the
 * work failed.
 */
public final class EngineHttpApp implements AutoCloseable {

    public static final String MARKER = "PHASE ";
    public static final String READY = "READY ";
    static final List<String> PHASES = List.of("after-claim", "in-handler", "after-effect", "after-completion");

    /** One run of the work, as seen in process. */
    public record Execution(String key, String owner, IdempotencyOutcome.Completion completion) {}

    private final IdempotencyEngine engine;
    private final DataSource dataSource;
    private final boolean databaseEffects;
    private final HttpServer server;
    private final ExecutorService executor = Executors.newCachedThreadPool(runnable -> {
        Thread thread = new Thread(runnable, "engine-http-app");
        thread.setDaemon(true);
        return thread;
    });
    private final Set<String> acquiredOwners = ConcurrentHashMap.newKeySet();
    private final ConcurrentLinkedQueue<Execution> executions = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<Execution> workStarts = new ConcurrentLinkedQueue<>();

    public EngineHttpApp(DataSource dataSource, String table, Duration lease, boolean databaseEffects) throws IOException {
        this.dataSource = dataSource;
        this.databaseEffects = databaseEffects;
        IdempotencyStore store = new ClaimRecordingStore(
                JdbcIdempotencyStore.builder(dataSource).tableName(table).build(), acquiredOwners);
        this.engine = IdempotencyEngine.builder(store).lease(lease).build();
        this.server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 200);
        server.createContext("/work", this::handle);
        server.setExecutor(executor);
        server.start();
    }

    public int port() {
        return server.getAddress().getPort();
    }

    public URI uri() {
        return URI.create("http://127.0.0.1:" + port() + "/work");
    }

    /** The owner tokens of every claim the store reported as acquired. */
    public Set<String> acquiredOwners() {
        return acquiredOwners;
    }

    /** Every run of the work in this process, with what became of its result. */
    public List<Execution> executions() {
        return List.copyOf(executions);
    }

    /** Every start of the work in this process, with the owner token of the claim it ran under. */
    public List<Execution> workStarts() {
        return List.copyOf(workStarts);
    }

    /** The tables of the database side effect: the deduplicated effect and every attempt. */
    public static void createEffectTables(DataSource dataSource) throws SQLException {
        try (Connection connection = dataSource.getConnection(); var statement = connection.createStatement()) {
            statement.execute("CREATE TABLE side_effects (downstream_key VARCHAR(100) PRIMARY KEY, "
                    + "idem_key VARCHAR(255) NOT NULL, created_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp())");
            statement.execute("CREATE TABLE effect_attempts (id BIGSERIAL PRIMARY KEY, idem_key VARCHAR(255) NOT NULL, "
                    + "owner_token VARCHAR(64) NOT NULL, takeover BOOLEAN NOT NULL, absorbed BOOLEAN)");
        }
    }

    private void handle(HttpExchange http) throws IOException {
        try (http) {
            if (!"POST".equals(http.getRequestMethod())) {
                send(http, 405, problem(405, "method-not-allowed", "POST only"), false);
                return;
            }
            String key = http.getRequestHeaders().getFirst("Idempotency-Key");
            if (key == null || key.isBlank()) {
                send(http, 400, problem(400, "key-missing", "Idempotency-Key is required"), false);
                return;
            }
            Map<String, String> query = query(http.getRequestURI().getRawQuery());
            String block = query.getOrDefault("block", "");
            long sleepMillis = Long.parseLong(query.getOrDefault("sleep", "0"));
            byte[] body = http.getRequestBody().readAllBytes();
            IdempotencyKey idempotencyKey = IdempotencyKey.of("reliability", key);
            IdempotentRequest request = IdempotentRequest.of(idempotencyKey,
                    RequestFingerprint.of("POST", "/work", new String(body, StandardCharsets.UTF_8)));
            IdempotencyOutcome<StoredResponse> outcome;
            try {
                outcome = engine.execute(request, ResultCodecs.storedResponse(),
                        context -> work(context, block, sleepMillis));
            } catch (IdempotencyStoreException e) {
                send(http, 503, problem(503, "store-unavailable", "the idempotency store cannot be reached"), false);
                return;
            } catch (RuntimeException e) {
                send(http, 500, problem(500, "work-failed", String.valueOf(e.getMessage())), false);
                return;
            }
            if (outcome instanceof IdempotencyOutcome.Executed<StoredResponse> executed) {
                executions.add(new Execution(key, lastOwner.get(), executed.completion()));
                try {
                    blockAt("after-completion", block, key);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
                send(http, executed.result().status(), executed.result().body(), false);
            } else if (outcome instanceof IdempotencyOutcome.Replayed<StoredResponse> replayed) {
                send(http, replayed.result().status(), replayed.result().body(), true);
            } else if (outcome instanceof IdempotencyOutcome.InProgress<StoredResponse>) {
                send(http, 409, problem(409, "in-progress", "a request with this key is in progress"), false);
            } else {
                send(http, 422, problem(422, "fingerprint-mismatch", "the key was used for another payload"), false);
            }
        }
    }

    private final ThreadLocal<String> lastOwner = new ThreadLocal<>();

    private StoredResponse work(WorkContext context, String block, long sleepMillis) throws Exception {
        String key = context.key().key();
        lastOwner.set(context.ownerToken().value());
        workStarts.add(new Execution(key, context.ownerToken().value(), null));
        blockAt("after-claim", block, key);
        String downstreamKey = context.key().derive("effect");
        if (databaseEffects) {
            try (Connection connection = dataSource.getConnection()) {
                long attempt;
                try (PreparedStatement insert = connection.prepareStatement(
                        "INSERT INTO effect_attempts (idem_key, owner_token, takeover) VALUES (?, ?, ?) RETURNING id")) {
                    insert.setString(1, key);
                    insert.setString(2, context.ownerToken().value());
                    insert.setBoolean(3, context.isTakeover());
                    try (var rs = insert.executeQuery()) {
                        rs.next();
                        attempt = rs.getLong(1);
                    }
                }
                blockAt("in-handler", block, key);
                boolean absorbed;
                try (PreparedStatement effect = connection.prepareStatement("INSERT INTO side_effects "
                        + "(downstream_key, idem_key) VALUES (?, ?) ON CONFLICT (downstream_key) DO NOTHING")) {
                    effect.setString(1, downstreamKey);
                    effect.setString(2, key);
                    absorbed = effect.executeUpdate() == 0;
                }
                try (PreparedStatement mark = connection.prepareStatement(
                        "UPDATE effect_attempts SET absorbed = ? WHERE id = ?")) {
                    mark.setBoolean(1, absorbed);
                    mark.setLong(2, attempt);
                    mark.executeUpdate();
                }
            }
        }
        if (sleepMillis > 0) {
            Thread.sleep(sleepMillis);
        }
        blockAt("after-effect", block, key);
        Map<String, List<String>> headers = new LinkedHashMap<>();
        headers.put("Content-Type", List.of("application/json"));
        // Deterministic per key: a re-run after a takeover answers exactly what the first run would have.
        byte[] result = ("{\"key\":\"" + key + "\",\"effect\":\"" + downstreamKey + "\"}").getBytes(StandardCharsets.UTF_8);
        return new StoredResponse(200, headers, result);
    }

    private static void blockAt(String phase, String block, String key) throws InterruptedException {
        if (phase.equals(block)) {
            System.out.println(MARKER + phase + " " + key);
            System.out.flush();
            Thread.sleep(Long.MAX_VALUE);
        }
    }

    private static void send(HttpExchange http, int status, byte[] body, boolean replayed) throws IOException {
        http.getResponseHeaders().set("Content-Type", status >= 400 ? "application/problem+json" : "application/json");
        if (replayed) {
            http.getResponseHeaders().set("Idempotent-Replayed", "true");
        }
        http.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        try (OutputStream out = http.getResponseBody()) {
            out.write(body);
        }
    }

    private static byte[] problem(int status, String type, String detail) {
        return ("{\"type\":\"https://idempotency.dev/problems/" + type + "\",\"status\":" + status + ",\"detail\":\""
                + detail + "\"}").getBytes(StandardCharsets.UTF_8);
    }

    private static Map<String, String> query(String raw) {
        Map<String, String> query = new LinkedHashMap<>();
        if (raw != null) {
            for (String pair : raw.split("&")) {
                int eq = pair.indexOf('=');
                if (eq > 0) {
                    query.put(pair.substring(0, eq), pair.substring(eq + 1));
                }
            }
        }
        return query;
    }

    @Override
    public void close() {
        server.stop(0);
        engine.close();
        executor.shutdownNow();
    }

    /**
     * Runs the app as its own process, for the crash scenario: {@code IDEM_APP_URL}, {@code IDEM_APP_USER},
     * {@code IDEM_APP_PASSWORD}, {@code IDEM_APP_TABLE} and {@code IDEM_APP_LEASE_MS} from the environment. Prints
     * {@code READY <port>} once it serves requests.
     */
    public static void main(String[] args) throws Exception {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(System.getenv("IDEM_APP_URL"));
        config.setUsername(System.getenv("IDEM_APP_USER"));
        config.setPassword(System.getenv("IDEM_APP_PASSWORD"));
        config.setMaximumPoolSize(8);
        config.setMinimumIdle(2);
        config.setPoolName("crash-app");
        HikariDataSource dataSource = new HikariDataSource(config);
        EngineHttpApp app = new EngineHttpApp(dataSource, System.getenv("IDEM_APP_TABLE"),
                Duration.ofMillis(Long.parseLong(System.getenv("IDEM_APP_LEASE_MS"))), true);
        System.out.println(READY + app.port());
        System.out.flush();
        Thread.currentThread().join();
    }

    /** Remembers the owner token of each claim the store acquired. */
    private static final class ClaimRecordingStore extends ForwardingIdempotencyStore {

        private final Set<String> acquiredOwners;

        ClaimRecordingStore(IdempotencyStore delegate, Set<String> acquiredOwners) {
            super(delegate);
            this.acquiredOwners = acquiredOwners;
        }

        @Override
        public ClaimResult claim(ClaimRequest request) {
            ClaimResult result = super.claim(request);
            if (result instanceof ClaimResult.Acquired acquired) {
                acquiredOwners.add(acquired.record().ownerToken().value());
            }
            return result;
        }
    }
}
