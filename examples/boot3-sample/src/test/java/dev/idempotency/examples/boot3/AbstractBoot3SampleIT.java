package dev.idempotency.examples.boot3;

import static org.assertj.core.api.Assertions.assertThat;

import dev.idempotency.core.store.IdempotencyStore;
import dev.idempotency.jdbc.JdbcIdempotencyStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * The quick-start application on Spring Boot 3.5, over real HTTP on a random port, with the starter jar built for
 * every supported Boot line. The side effect of {@code POST /orders} is a row in the application's own {@code orders}
 * table, so counting rows counts executions. Subclasses choose the database.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
abstract class AbstractBoot3SampleIT {

    private static final String ALICE = "alice:alice-pass";
    private static final String BOB = "bob:bob-pass";

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    @LocalServerPort
    int port;

    @Autowired
    JdbcClient jdbc;

    @Autowired
    IdempotencyStore store;

    @Test
    void startsWithTheJdbcStoreAndBothMigrationsApplied() {
        assertThat(store).isInstanceOf(JdbcIdempotencyStore.class);
        // Quoted lower case: how Flyway names its table and columns on H2 and PostgreSQL alike.
        List<String> versions = jdbc.sql("""
                SELECT "version" FROM "flyway_schema_history"
                WHERE "success" AND "version" IS NOT NULL ORDER BY "installed_rank"
                """).query(String.class).list();
        assertThat(versions).containsExactly("0.1", "1");
    }

    @Test
    void runsOnceAndReplaysTheRetry() {
        String item = uniqueItem();
        String key = UUID.randomUUID().toString();
        String json = order(item, 2);

        HttpResponse<String> first = post(ALICE, key, json);
        HttpResponse<String> retry = post(ALICE, key, json);

        assertThat(first.statusCode()).as(first.body()).isEqualTo(201);
        assertThat(first.headers().firstValue("Location")).hasValueSatisfying(location -> assertThat(location).startsWith("/orders/"));
        assertThat(first.headers().firstValue("Idempotent-Replayed")).isEmpty();
        assertThat(first.body()).contains("\"item\":\"" + item + "\"", "\"quantity\":2");

        assertThat(retry.statusCode()).isEqualTo(201);
        assertThat(retry.headers().firstValue("Idempotent-Replayed")).hasValue("true");
        assertThat(retry.headers().firstValue("Location")).isEqualTo(first.headers().firstValue("Location"));
        assertThat(retry.body()).isEqualTo(first.body());

        assertThat(ordersOf("alice", item)).isEqualTo(1);
    }

    @Test
    void theSameKeyWithAnotherBodyGets422() {
        String item = uniqueItem();
        String key = UUID.randomUUID().toString();
        assertThat(post(ALICE, key, order(item, 1)).statusCode()).isEqualTo(201);

        HttpResponse<String> reused = post(ALICE, key, order(item, 5));

        assertThat(reused.statusCode()).isEqualTo(422);
        assertThat(reused.headers().firstValue("Content-Type")).hasValueSatisfying(type -> assertThat(type).startsWith("application/problem+json"));
        assertThat(reused.body()).contains("https://idempotency.dev/problems/key-reused");
        assertThat(ordersOf("alice", item)).isEqualTo(1);
    }

    @Test
    void keysAreScopedToTheAuthenticatedUser() {
        String item = uniqueItem();
        String key = UUID.randomUUID().toString();

        HttpResponse<String> alice = post(ALICE, key, order(item, 1));
        HttpResponse<String> bob = post(BOB, key, order(item, 1));

        assertThat(alice.statusCode()).isEqualTo(201);
        assertThat(bob.statusCode()).isEqualTo(201);
        assertThat(bob.headers().firstValue("Idempotent-Replayed")).isEmpty();
        assertThat(bob.body()).isNotEqualTo(alice.body());
        assertThat(ordersOf("alice", item)).isEqualTo(1);
        assertThat(ordersOf("bob", item)).isEqualTo(1);
    }

    @Test
    void anAnonymousPostGets401AndRunsNothing() {
        String item = uniqueItem();

        HttpResponse<String> anonymous = post(null, UUID.randomUUID().toString(), order(item, 1));

        assertThat(anonymous.statusCode()).isEqualTo(401);
        assertThat(jdbc.sql("SELECT COUNT(*) FROM orders WHERE item = ?").param(item).query(Integer.class).single()).isZero();
    }

    private int ordersOf(String customer, String item) {
        return jdbc.sql("SELECT COUNT(*) FROM orders WHERE customer = ? AND item = ?").params(customer, item)
                .query(Integer.class).single();
    }

    private static String uniqueItem() {
        return "item-" + UUID.randomUUID();
    }

    private static String order(String item, int quantity) {
        return "{\"item\":\"%s\",\"quantity\":%d}".formatted(item, quantity);
    }

    /** {@code POST /orders} with HTTP Basic credentials, or none when {@code user} is {@code null}. */
    private HttpResponse<String> post(String user, String key, String json) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/orders"))
                .timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json")
                .header("Idempotency-Key", key)
                .POST(HttpRequest.BodyPublishers.ofString(json, StandardCharsets.UTF_8));
        if (user != null) {
            request.header("Authorization", "Basic " + Base64.getEncoder().encodeToString(user.getBytes(StandardCharsets.UTF_8)));
        }
        try {
            return http.send(request.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
