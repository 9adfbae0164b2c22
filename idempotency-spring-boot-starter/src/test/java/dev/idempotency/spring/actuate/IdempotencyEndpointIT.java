package dev.idempotency.spring.actuate;

import static org.assertj.core.api.Assertions.assertThat;

import com.jayway.jsonpath.JsonPath;
import dev.idempotency.core.IdempotencyKey;
import dev.idempotency.core.RequestFingerprint;
import dev.idempotency.core.store.ClaimRequest;
import dev.idempotency.core.store.ClaimResult;
import dev.idempotency.core.store.IdempotencyStore;
import dev.idempotency.core.store.OwnerToken;
import dev.idempotency.spring.Idempotent;
import dev.idempotency.spring.IdempotencyScope;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Import;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * Each operation of the {@code idempotency} actuator endpoint, and the store's health in the readiness group, over
 * real HTTP (Tomcat) without security. The example application runs the same operations with Spring Security on.
 */
@SpringBootTest(classes = IdempotencyEndpointIT.App.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {"idempotency.store.type=memory", "idempotency.purge.enabled=false",
                "management.endpoints.web.exposure.include=health,idempotency",
                "management.endpoint.idempotency.access=unrestricted",
                "management.endpoint.health.show-details=always", "management.endpoint.health.probes.enabled=true",
                "management.endpoint.health.group.readiness.include=readinessState",
                "management.endpoint.health.group.readiness.show-details=always",
                "idempotency.health.readiness-group=true"})
class IdempotencyEndpointIT {

    @SpringBootConfiguration
    @EnableAutoConfiguration
    @Import(Orders.class)
    static class App {}

    @RestController
    static class Orders {
        final AtomicInteger runs = new AtomicInteger();

        @PostMapping("/orders")
        @Idempotent(scope = IdempotencyScope.GLOBAL)
        ResponseEntity<String> create() {
            return ResponseEntity.status(HttpStatus.CREATED).header("X-Secret", "s3cret")
                    .body("{\"order\":" + runs.incrementAndGet() + ",\"card\":\"4242\"}");
        }
    }

    private final HttpClient http = HttpClient.newHttpClient();

    @LocalServerPort
    int port;

    @Autowired
    IdempotencyStore store;

    @Autowired
    Orders orders;

    private HttpResponse<String> send(String method, String path, String body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) {
            request.header("Content-Type", "application/json");
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String recordPath(String scope, String key) {
        return "/actuator/idempotency?scope=" + encode(scope) + "&key=" + encode(key);
    }

    private static String encode(String value) {
        return java.net.URLEncoder.encode(value, java.nio.charset.StandardCharsets.UTF_8);
    }

    private static String releaseBody(String scope, String key, Object ownerToken) {
        return "{\"scope\":\"" + scope + "\",\"key\":\"" + key + "\",\"ownerToken\":\"" + ownerToken + "\"}";
    }

    private HttpResponse<String> order(String key) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/orders"))
                .header("Idempotency-Key", key).POST(HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void readsACompletedRecordWithoutItsBodyOrHeaders() throws Exception {
        assertThat(order("read-1").statusCode()).isEqualTo(201);

        HttpResponse<String> record = send("GET", recordPath("global", "read-1"), null);

        assertThat(record.statusCode()).isEqualTo(200);
        String json = record.body();
        assertThat((String) JsonPath.read(json, "$.status")).isEqualTo("COMPLETED");
        assertThat((String) JsonPath.read(json, "$.keyHash")).isEqualTo(
                dev.idempotency.spring.observation.IdempotencyObservations.keyHash(IdempotencyKey.of("global", "read-1")));
        assertThat((String) JsonPath.read(json, "$.fingerprint")).hasSize(64);
        assertThat((Integer) JsonPath.read(json, "$.response.status")).isEqualTo(201);
        assertThat((Integer) JsonPath.read(json, "$.response.size")).isEqualTo("{\"order\":1,\"card\":\"4242\"}".length());
        assertThat((Object) JsonPath.read(json, "$.leaseExpired")).isNull();
        assertThat(json).doesNotContain("4242").doesNotContain("s3cret");
        assertThat(send("GET", recordPath("global", "never-sent"), null).statusCode()).isEqualTo(404);
    }

    @Test
    void aKeyMayContainSlashesAndReservedCharacters() throws Exception {
        order("tenant/7/order?1&x=%2F");

        HttpResponse<String> record = send("GET", recordPath("global", "tenant/7/order?1&x=%2F"), null);

        assertThat(record.statusCode()).isEqualTo(200);
        assertThat((String) JsonPath.read(record.body(), "$.key")).isEqualTo("tenant/7/order?1&x=%2F");
    }

    @Test
    void releasesAStuckKeyWithItsOwnerTokenOnly() throws Exception {
        // The same request under another key has the same fingerprint (the key is not part of it).
        order("fingerprint-probe");
        String fingerprint = JsonPath.read(send("GET", recordPath("global", "fingerprint-probe"), null).body(),
                "$.fingerprint");
        // A worker that claimed the key and hung, its heartbeat still renewing: the lease runs for another hour.
        IdempotencyKey key = IdempotencyKey.of("global", "stuck-1");
        ClaimResult claim = store.claim(new ClaimRequest(key, new RequestFingerprint(fingerprint), OwnerToken.random(),
                Duration.ofHours(1), Duration.ofHours(2)));
        assertThat(claim).isInstanceOf(ClaimResult.Acquired.class);
        assertThat(order("stuck-1").statusCode()).as("a retry of a stuck key").isEqualTo(409);

        String record = send("GET", recordPath("global", "stuck-1"), null).body();
        assertThat((String) JsonPath.read(record, "$.status")).isEqualTo("IN_PROGRESS");
        assertThat((Boolean) JsonPath.read(record, "$.leaseExpired")).isFalse();
        String ownerToken = JsonPath.read(record, "$.ownerToken");

        HttpResponse<String> wrongToken = send("POST", "/actuator/idempotency", releaseBody("global", "stuck-1", OwnerToken.random()));
        assertThat(wrongToken.statusCode()).isEqualTo(409);
        assertThat(send("GET", recordPath("global", "stuck-1"), null).statusCode()).isEqualTo(200);

        HttpResponse<String> released = send("POST", "/actuator/idempotency", releaseBody("global", "stuck-1", ownerToken));
        assertThat(released.statusCode()).isEqualTo(200);
        assertThat((String) JsonPath.read(released.body(), "$.outcome")).isEqualTo("released");
        assertThat(send("GET", recordPath("global", "stuck-1"), null).statusCode()).isEqualTo(404);

        int before = orders.runs.get();
        assertThat(order("stuck-1").statusCode()).as("the retry runs afresh").isEqualTo(201);
        assertThat(orders.runs).hasValue(before + 1);
        assertThat(send("POST", "/actuator/idempotency", releaseBody("global", "stuck-1", ownerToken))
                .statusCode()).as("the old token cannot release the new record").isEqualTo(409);
    }

    @Test
    void deletesACompletedRecordWithItsOwnerTokenOnly() throws Exception {
        order("delete-1");
        String ownerToken = JsonPath.read(send("GET", recordPath("global", "delete-1"), null).body(), "$.ownerToken");

        assertThat(send("DELETE", recordPath("global", "delete-1") + "&ownerToken=" + OwnerToken.random(), null)
                .statusCode()).isEqualTo(409);
        HttpResponse<String> deleted = send("DELETE", recordPath("global", "delete-1") + "&ownerToken=" + ownerToken, null);
        assertThat(deleted.statusCode()).isEqualTo(200);
        assertThat((String) JsonPath.read(deleted.body(), "$.outcome")).isEqualTo("deleted");

        int before = orders.runs.get();
        assertThat(order("delete-1").statusCode()).isEqualTo(201);
        assertThat(orders.runs).as("the next request runs instead of replaying").hasValue(before + 1);
    }

    @Test
    void aWriteWithoutAnOwnerTokenIsABadRequest() throws Exception {
        order("bad-1");

        assertThat(send("DELETE", recordPath("global", "bad-1"), null).statusCode()).isEqualTo(400);
        assertThat(send("POST", "/actuator/idempotency", "{\"scope\":\"global\",\"key\":\"bad-1\"}").statusCode()).isEqualTo(400);
        assertThat(send("DELETE", recordPath("global", "bad-1") + "&ownerToken=", null).statusCode()).isEqualTo(400);
    }

    @Test
    void countsRecordsByStatus() throws Exception {
        order("count-1");

        String counts = send("GET", "/actuator/idempotency/counts", null).body();

        assertThat((Boolean) JsonPath.read(counts, "$.supported")).isTrue();
        assertThat(((Number) JsonPath.read(counts, "$.completed")).longValue()).isPositive();
        assertThat(((Number) JsonPath.read(counts, "$.inProgress")).longValue()).isNotNegative();
    }

    @Test
    void theStoresHealthIsInTheHealthEndpointAndTheReadinessGroupButNotLiveness() throws Exception {
        HttpResponse<String> health = send("GET", "/actuator/health", null);
        assertThat((String) JsonPath.read(health.body(), "$.components.idempotency.status")).isEqualTo("UP");

        HttpResponse<String> readiness = send("GET", "/actuator/health/readiness", null);
        assertThat(readiness.statusCode()).isEqualTo(200);
        // The group includes readinessState only; idempotency.health.readiness-group adds the store.
        assertThat((String) JsonPath.read(readiness.body(), "$.components.readinessState.status")).isEqualTo("UP");
        assertThat((String) JsonPath.read(readiness.body(), "$.components.idempotency.status")).isEqualTo("UP");

        String liveness = send("GET", "/actuator/health/liveness", null).body();
        assertThat(liveness).doesNotContain("idempotency");
    }
}
