package dev.idempotency.examples.payments;

import static org.assertj.core.api.Assertions.assertThat;

import com.jayway.jsonpath.JsonPath;
import dev.idempotency.core.IdempotencyKey;
import dev.idempotency.core.RequestFingerprint;
import dev.idempotency.core.store.ClaimRequest;
import dev.idempotency.core.store.ClaimResult;
import dev.idempotency.core.store.IdempotencyStore;
import dev.idempotency.core.store.OwnerToken;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * The operator's side over real HTTP with Spring Security on: {@code /actuator/idempotency} and the health details
 * answer the {@code admin} user only, and an operator reads a payment's record and releases a key left stuck by a
 * crash.
 */
// A context of its own: Spring's test framework stops (pauses) a cached context between test classes, and the
// engine, once stopped, refuses every claim, so a context shared with PaymentsH2IT would answer it 503.
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = "management.endpoint.idempotency.show-response=false")
class OperationsEndpointsIT {

    private static final String ADMIN = "admin:admin-pass";
    private static final String ALICE = PaymentsApi.ALICE;
    private static final String JSON = PaymentsApi.body(990, "EUR", "operations");

    @LocalServerPort
    int port;

    @Autowired
    IdempotencyStore store;

    @Autowired
    JdbcClient jdbc;

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    private HttpResponse<String> send(String user, String method, String path, String json) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(30))
                .method(method, json == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(json));
        if (json != null) {
            request.header("Content-Type", "application/json");
        }
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

    private static String record(String key) {
        return "/actuator/idempotency?scope=principal:alice&key=" + key;
    }

    private static String release(String key, String ownerToken) {
        return "{\"scope\":\"principal:alice\",\"key\":\"" + key + "\",\"ownerToken\":\"" + ownerToken + "\"}";
    }

    private HttpResponse<String> pay(String key) {
        return new PaymentsApi(port).pay(ALICE, key, JSON);
    }

    private int paymentsWithKey(String key) {
        return jdbc.sql("SELECT COUNT(*) FROM payment WHERE owner = ? AND idempotency_key = ?")
                .params("alice", key).query(Integer.class).single();
    }

    @Test
    void theEndpointAnswersTheAdminOnly() {
        assertThat(send(null, "GET", "/actuator/idempotency/counts", null).statusCode()).isEqualTo(401);
        assertThat(send(ALICE, "GET", "/actuator/idempotency/counts", null).statusCode()).isEqualTo(403);
        assertThat(send(ALICE, "GET", record("any"), null).statusCode()).isEqualTo(403);
        assertThat(send(ALICE, "POST", "/actuator/idempotency", release("any", "x")).statusCode()).isEqualTo(403);
        assertThat(send(ALICE, "DELETE", record("any") + "&ownerToken=x", null).statusCode()).isEqualTo(403);

        HttpResponse<String> counts = send(ADMIN, "GET", "/actuator/idempotency/counts", null);
        assertThat(counts.statusCode()).isEqualTo(200);
        assertThat((Boolean) JsonPath.read(counts.body(), "$.supported")).isTrue();
    }

    @Test
    void healthDetailsAreForTheAdminOnly() {
        HttpResponse<String> anonymous = send(null, "GET", "/actuator/health", null);
        assertThat(anonymous.statusCode()).isEqualTo(200);
        assertThat((String) JsonPath.read(anonymous.body(), "$.status")).isEqualTo("UP");
        assertThat(anonymous.body()).doesNotContain("components");
        assertThat(send(ALICE, "GET", "/actuator/health", null).body()).doesNotContain("components");

        HttpResponse<String> admin = send(ADMIN, "GET", "/actuator/health", null);
        assertThat((String) JsonPath.read(admin.body(), "$.components.idempotency.status")).isEqualTo("UP");
    }

    @Test
    void theAdminReadsThePaymentsRecord() {
        String key = "ops-" + UUID.randomUUID();
        HttpResponse<String> payment = pay(key);
        assertThat(payment.statusCode()).isEqualTo(201);

        HttpResponse<String> record = send(ADMIN, "GET", record(key), null);

        assertThat(record.statusCode()).isEqualTo(200);
        assertThat((String) JsonPath.read(record.body(), "$.status")).isEqualTo("COMPLETED");
        assertThat((String) JsonPath.read(record.body(), "$.scope")).isEqualTo("principal:alice");
        assertThat((Integer) JsonPath.read(record.body(), "$.response.status")).isEqualTo(201);
        assertThat((Integer) JsonPath.read(record.body(), "$.response.size"))
                .isEqualTo(payment.body().getBytes(StandardCharsets.UTF_8).length);
        // The recovery point names the payment row (that is what it is for); the stored response stays hidden.
        assertThat((String) JsonPath.read(record.body(), "$.recoveryPoint.phase")).isEqualTo("charged");
        assertThat((Object) JsonPath.read(record.body(), "$.response.body")).as("the stored body").isNull();
        assertThat((Object) JsonPath.read(record.body(), "$.response.headers")).as("the stored headers").isNull();
        assertThat(record.body()).as("nothing of the stored body").doesNotContain("\"description\"");
        assertThat(send(ADMIN, "GET", record("never-" + key), null).statusCode())
                .isEqualTo(404);
    }

    @Test
    void theAdminReleasesAKeyLeftStuckByACrashAndTheRetryRuns() {
        // The payment the crashed request was making: same caller and body, so the same fingerprint.
        String probeKey = "ops-probe-" + UUID.randomUUID();
        pay(probeKey);
        String fingerprint = JsonPath.read(
                send(ADMIN, "GET", record(probeKey), null).body(), "$.fingerprint");
        // The crash: a claim whose worker died, with a long lease nobody renews or settles.
        String key = "ops-stuck-" + UUID.randomUUID();
        ClaimResult crashed = store.claim(new ClaimRequest(IdempotencyKey.of("principal:alice", key),
                new RequestFingerprint(fingerprint), OwnerToken.random(), Duration.ofHours(1), Duration.ofHours(24)));
        assertThat(crashed).isInstanceOf(ClaimResult.Acquired.class);
        assertThat(pay(key).statusCode()).as("the client's retry while the key is stuck").isEqualTo(409);

        String record = send(ADMIN, "GET", record(key), null).body();
        assertThat((String) JsonPath.read(record, "$.status")).isEqualTo("IN_PROGRESS");
        assertThat((Boolean) JsonPath.read(record, "$.leaseExpired")).isFalse();
        String ownerToken = JsonPath.read(record, "$.ownerToken");

        assertThat(send(ALICE, "POST", "/actuator/idempotency", release(key, ownerToken)).statusCode()).isEqualTo(403);
        HttpResponse<String> released = send(ADMIN, "POST", "/actuator/idempotency", release(key, ownerToken));
        assertThat(released.statusCode()).isEqualTo(200);
        assertThat((String) JsonPath.read(released.body(), "$.outcome")).isEqualTo("released");

        HttpResponse<String> retry = pay(key);
        assertThat(retry.statusCode()).isEqualTo(201);
        assertThat(paymentsWithKey(key)).isEqualTo(1);
        assertThat(send(ADMIN, "POST", "/actuator/idempotency", release(key, ownerToken)).statusCode())
                .as("the old owner token never hits the retry's record").isEqualTo(409);
    }

    @Test
    void theAdminDeletesACompletedRecordWithItsOwnerToken() {
        String key = "ops-delete-" + UUID.randomUUID();
        pay(key);
        String ownerToken = JsonPath.read(
                send(ADMIN, "GET", record(key), null).body(), "$.ownerToken");

        assertThat(send(ADMIN, "DELETE", record(key) + "&ownerToken=" + OwnerToken.random(), null).statusCode()).isEqualTo(409);
        HttpResponse<String> deleted = send(ADMIN, "DELETE",
                record(key) + "&ownerToken=" + ownerToken, null);
        assertThat(deleted.statusCode()).isEqualTo(200);
        assertThat(send(ADMIN, "GET", record(key), null).statusCode()).isEqualTo(404);
    }
}
