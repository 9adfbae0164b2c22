package dev.idempotency.examples.payments;

import static dev.idempotency.examples.payments.PaymentsApi.ALICE;
import static dev.idempotency.examples.payments.PaymentsApi.body;
import static org.assertj.core.api.Assertions.assertThat;

import com.jayway.jsonpath.JsonPath;
import dev.idempotency.examples.crashtest.CrashingPaymentsApp;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@code POST /payments} killed with SIGKILL at every boundary of its atomic phases, {@value #CRASHES_PER_BOUNDARY}
 * times each, then retried with the same key. Every crash runs in a JVM of its own ({@link CrashingPaymentsApp}); the
 * retry of a crashed request runs in the next JVM, which is also where the next crash happens, and the last JVM runs
 * an uncrashed payment to compare with. For every key: exactly one payment row and one gateway charge, a retry that
 * answers 201 with the payment as its rows show it (as an uncrashed run answers), and a log line that it resumed from
 * the recovery point that committed before the crash.
 *
 * <p>Runs twice: with the idempotency records in the JDBC store, where a recovery point commits with its phase's rows,
 * and in the Redis store ({@code redis} profile), where it is written just before that commit, so a crash before a
 * commit resumes from the recovery point written for it and the rows decide what runs again. The payments are on
 * PostgreSQL in both, found as {@link PaymentsPostgresIT} finds it, in a schema of its own, since the database must
 * outlive the processes; Redis as {@link PaymentsRedisIT} finds it, under a key prefix of this run's own. The lease is
 * 2 seconds, shorter than a JVM takes to start, so a retry takes the crashed run's key over at once.
 */
class PaymentsCrashIT {

    private static final int CRASHES_PER_BOUNDARY = 2;
    private static final String URL = env("IDEMPOTENCY_TEST_POSTGRES_URL", "jdbc:postgresql://127.0.0.1:5432/test");
    private static final String USER = env("IDEMPOTENCY_TEST_POSTGRES_USER", "postgres");
    private static final String PASSWORD = env("IDEMPOTENCY_TEST_POSTGRES_PASSWORD", "");
    private static final String REDIS_URL = env("IDEMPOTENCY_TEST_REDIS_URL", "redis://127.0.0.1:6379");
    private static final String RUN_ID = UUID.randomUUID().toString().replace("-", "").substring(0, 12).toLowerCase(Locale.ROOT);

    /** Where the idempotency records are kept, and what a retry resumes from after a crash at each boundary. */
    enum Store {
        /** The recovery point commits with its phase's rows. */
        JDBC(List.of("--spring.profiles.active=postgres"), null, "created"),
        /** The recovery point is in Redis before its phase's commit, so a crash before the commit still has it. */
        REDIS(List.of("--spring.profiles.active=postgres,redis", "--spring.data.redis.url=" + REDIS_URL,
                "--idempotency.redis.key-prefix=payments-crash-" + RUN_ID + ":"), "created", "charged");

        final List<String> arguments;
        /** Each boundary, and the recovery point a retry must resume from after a crash there ({@code null}: none). */
        final Map<String, String> boundaries = new LinkedHashMap<>();

        /** The payments' schema: one per store, since each store's run migrates its own set of tables. */
        String schema() {
            return "payments_crash_" + RUN_ID + "_" + name().toLowerCase(Locale.ROOT);
        }

        Store(List<String> arguments, String resumedAfterCrashBeforeCommit1, String resumedAfterCrashBeforeCommit2) {
            this.arguments = arguments;
            boundaries.put("before-commit-1", resumedAfterCrashBeforeCommit1);
            boundaries.put("after-commit-1", "created");
            boundaries.put("after-gateway", "created");
            boundaries.put("before-commit-2", resumedAfterCrashBeforeCommit2);
            boundaries.put("after-commit-2", "charged");
        }
    }

    private record Crash(String boundary, String key, String body) {}

    @BeforeAll
    static void createSchema() throws SQLException {
        for (Store store : Store.values()) {
            execute("CREATE SCHEMA " + store.schema());
        }
    }

    @AfterAll
    static void dropSchema() throws SQLException {
        for (Store store : Store.values()) {
            execute("DROP SCHEMA IF EXISTS " + store.schema() + " CASCADE");
        }
    }

    @ParameterizedTest
    @EnumSource(Store.class)
    void aPaymentKilledAtAnyPhaseBoundaryIsFinishedByItsRetryWithOnePaymentAndOneCharge(Store store) throws Exception {
        List<Crash> crashes = new ArrayList<>();
        for (String boundary : store.boundaries.keySet()) {
            for (int i = 1; i <= CRASHES_PER_BOUNDARY; i++) {
                crashes.add(new Crash(boundary, "crash-" + boundary + "-" + i + "-" + UUID.randomUUID(),
                        body(1000 + crashes.size(), "EUR", "crash at " + boundary)));
            }
        }
        Crash previous = null;
        for (int i = 0; i <= crashes.size(); i++) {
            Crash crash = i < crashes.size() ? crashes.get(i) : null;
            Child child = Child.start(store.name().toLowerCase(Locale.ROOT) + "-crash-" + i, crash, store);
            try {
                PaymentsApi api = child.awaitStarted();
                if (previous != null) {
                    assertRetryFinishes(api, child, previous, store);
                }
                if (crash != null) {
                    CompletableFuture.runAsync(() -> api.pay(ALICE, crash.key(), crash.body()));
                    child.awaitCrashPoint(crash.key(), crash.boundary());
                } else {
                    assertUncrashedRunAnswersLikeTheRetries(api);
                }
            } finally {
                child.kill();
            }
            previous = crash;
        }
        for (Crash crash : crashes) {
            assertThat(count(store, "SELECT COUNT(*) FROM payment WHERE idempotency_key = ?", crash.key()))
                    .as("payments for %s", crash.key()).isEqualTo(1);
            assertThat(count(store, "SELECT COUNT(*) FROM gateway_charge c JOIN payment p ON c.reference = p.id"
                    + " WHERE p.idempotency_key = ?", crash.key())).as("charges for %s", crash.key()).isEqualTo(1);
        }
        assertThat(count(store, "SELECT COUNT(*) FROM gateway_charge", null)).isEqualTo(crashes.size() + 1);
    }

    private static void assertRetryFinishes(PaymentsApi api, Child child, Crash crash, Store store) throws Exception {
        HttpResponse<String> retry = payUntilNotInProgress(api, crash);
        assertThat(retry.statusCode()).as("retry of %s: %s", crash.key(), retry.body()).isEqualTo(201);
        assertThat(retry.headers().firstValue("Idempotent-Replayed")).isEmpty();
        assertAnswerIsBuiltFromTheRows(api, retry);
        assertThat(JsonPath.<String>read(retry.body(), "$.status")).isEqualTo("SUCCEEDED");

        String resumedFrom = store.boundaries.get(crash.boundary());
        List<String> resumeLines = child.lines().stream()
                .filter(line -> line.contains("Payment for key " + crash.key() + ": resuming from recovery point"))
                .toList();
        if (resumedFrom == null) {
            assertThat(resumeLines).as("nothing committed before %s", crash.boundary()).isEmpty();
        } else {
            assertThat(resumeLines).as("retry after %s", crash.boundary()).singleElement()
                    .satisfies(line -> assertThat(line).endsWith("resuming from recovery point '" + resumedFrom + "'"));
        }

        HttpResponse<String> replay = api.pay(ALICE, crash.key(), crash.body());
        assertThat(replay.headers().firstValue("Idempotent-Replayed")).hasValue("true");
        assertThat(replay.body()).isEqualTo(retry.body());
    }

    private static void assertUncrashedRunAnswersLikeTheRetries(PaymentsApi api) {
        HttpResponse<String> uncrashed = api.pay(ALICE, "uncrashed-" + UUID.randomUUID(), body(999, "EUR", "no crash"));
        assertThat(uncrashed.statusCode()).isEqualTo(201);
        assertAnswerIsBuiltFromTheRows(api, uncrashed);
        assertThat(JsonPath.<String>read(uncrashed.body(), "$.status")).isEqualTo("SUCCEEDED");
    }

    /** The answer is the payment as {@code GET /payments/{id}} reads it from its row, at the Location it names. */
    private static void assertAnswerIsBuiltFromTheRows(PaymentsApi api, HttpResponse<String> answer) {
        String id = JsonPath.read(answer.body(), "$.id");
        assertThat(answer.headers().firstValue("Location")).hasValue("/payments/" + id);
        assertThat(api.get(ALICE, "/payments/" + id).body()).isEqualTo(answer.body());
    }

    /** The retry; a key still leased by the killed JVM (if that JVM started faster than the lease) answers 409 first. */
    private static HttpResponse<String> payUntilNotInProgress(PaymentsApi api, Crash crash) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            HttpResponse<String> response = api.pay(ALICE, crash.key(), crash.body());
            if (response.statusCode() != 409 || System.nanoTime() > deadline) {
                return response;
            }
            Thread.sleep(250);
        }
    }

    /** The payments service in a JVM of its own, on this test's schema; its stdout is kept for the assertions. */
    private static final class Child {

        private final String name;
        private final Process process;
        private final int port;
        private final List<String> lines = new CopyOnWriteArrayList<>();
        private final CompletableFuture<Void> started = new CompletableFuture<>();
        private final Map<String, CompletableFuture<String>> crashPoints = new ConcurrentHashMap<>();

        private Child(String name, Process process, int port) {
            this.name = name;
            this.process = process;
            this.port = port;
            Thread reader = new Thread(this::readOutput, "stdout-" + name);
            reader.setDaemon(true);
            reader.start();
        }

        static Child start(String name, Crash crash, Store store) throws IOException {
            int port = freePort();
            String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
            Path logs = Path.of("target", "crash");
            Files.createDirectories(logs);
            // Flags for a fast start: each JVM lives a few seconds, so C1 only and a small serial heap.
            List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xss512k", "-Xmx256m", "-Xshare:auto",
                    "-cp", classPath, CrashingPaymentsApp.class.getName(),
                    "--server.port=" + port,
                    "--spring.datasource.url=" + URL + (URL.contains("?") ? "&" : "?") + "currentSchema=" + store.schema(),
                    "--spring.datasource.username=" + USER,
                    "--spring.datasource.password=" + PASSWORD,
                    "--idempotency.lease=2s",
                    "--spring.main.banner-mode=off"));
            command.addAll(store.arguments);
            ProcessBuilder builder = new ProcessBuilder(command);
            if (crash != null) {
                builder.environment().put("CRASH_KEY", crash.key());
                builder.environment().put("CRASH_AT", crash.boundary());
            }
            builder.redirectError(logs.resolve(name + ".err").toFile());
            builder.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
            return new Child(name, builder.start(), port);
        }

        private void readOutput() {
            try (BufferedReader reader = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = reader.readLine()) != null) {
                    lines.add(line);
                    // "Started CrashingPaymentsApp in 4.2 seconds": logged once the web server listens.
                    if (line.contains("Started CrashingPaymentsApp in ")) {
                        started.complete(null);
                    } else if (line.startsWith(CrashingPaymentsApp.CRASH_POINT)) {
                        String[] parts = line.substring(CrashingPaymentsApp.CRASH_POINT.length()).trim().split(" ", 2);
                        crashPoint(parts[0]).complete(parts[1]);
                    }
                }
            } catch (IOException e) {
                // the process died; waiters time out with a message
            }
            started.completeExceptionally(new IllegalStateException(name + " exited before it started:\n" + String.join("\n", lines)));
        }

        PaymentsApi awaitStarted() throws Exception {
            try {
                started.get(120, TimeUnit.SECONDS);
            } catch (TimeoutException e) {
                throw new IllegalStateException(name + " did not start within 120 seconds; its output:\n"
                        + String.join("\n", lines), e);
            }
            return new PaymentsApi(port);
        }

        void awaitCrashPoint(String key, String boundary) throws Exception {
            assertThat(crashPoint(key).get(60, TimeUnit.SECONDS)).isEqualTo(boundary);
        }

        private CompletableFuture<String> crashPoint(String key) {
            return crashPoints.computeIfAbsent(key, k -> new CompletableFuture<>());
        }

        List<String> lines() {
            return lines;
        }

        /** SIGKILL on Linux: no shutdown hooks, no finally blocks, connections cut by the kernel. */
        void kill() throws InterruptedException {
            process.destroyForcibly();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException(name + " did not die");
            }
        }

        private static int freePort() throws IOException {
            try (ServerSocket socket = new ServerSocket(0)) {
                return socket.getLocalPort();
            }
        }
    }

    private static int count(Store store, String sql, String key) throws SQLException {
        try (Connection connection = connect(store); PreparedStatement statement = connection.prepareStatement(sql)) {
            if (key != null) {
                statement.setString(1, key);
            }
            try (ResultSet rows = statement.executeQuery()) {
                rows.next();
                return rows.getInt(1);
            }
        }
    }

    private static void execute(String sql) throws SQLException {
        try (Connection connection = DriverManager.getConnection(URL, USER, PASSWORD);
                Statement statement = connection.createStatement()) {
            statement.execute(sql);
        } catch (SQLException e) {
            throw new SQLException("PostgreSQL at " + URL + " (user " + USER + ") failed: " + e.getMessage()
                    + ". Start it or set IDEMPOTENCY_TEST_POSTGRES_URL, _USER and _PASSWORD.", e);
        }
    }

    private static Connection connect(Store store) throws SQLException {
        Connection connection = DriverManager.getConnection(URL, USER, PASSWORD);
        connection.setSchema(store.schema());
        return connection;
    }

    private static String env(String name, String fallback) {
        String value = System.getenv(name);
        return value == null || value.isBlank() ? fallback : value;
    }
}
