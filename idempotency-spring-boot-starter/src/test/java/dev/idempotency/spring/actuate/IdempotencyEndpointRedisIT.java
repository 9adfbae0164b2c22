package dev.idempotency.spring.actuate;

import static org.assertj.core.api.Assertions.assertThat;

import com.jayway.jsonpath.JsonPath;
import dev.idempotency.core.IdempotencyKey;
import dev.idempotency.core.RequestFingerprint;
import dev.idempotency.core.store.ClaimRequest;
import dev.idempotency.core.store.ClaimResult;
import dev.idempotency.core.store.IdempotencyStore;
import dev.idempotency.core.store.OwnerToken;
import dev.idempotency.redis.RedisIdempotencyStore;
import dev.idempotency.redis.TestRedis;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The {@code idempotency} actuator endpoint over a record kept in Redis (found as {@link TestRedis} says): it reads the
 * record on the Redis server's clock and deletes a completed one, and reports that the store cannot count.
 */
@SpringBootTest(classes = IdempotencyEndpointIT.App.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {"idempotency.store.type=redis", "management.endpoints.web.exposure.include=idempotency",
                "management.endpoint.idempotency.access=unrestricted"})
class IdempotencyEndpointRedisIT {

    private static final TestRedis REDIS = TestRedis.locate();

    @DynamicPropertySource
    static void redis(DynamicPropertyRegistry registry) {
        registry.add("spring.data.redis.url", REDIS::url);
        registry.add("idempotency.redis.key-prefix", REDIS::keyPrefix);
    }

    @AfterAll
    static void disconnect() {
        REDIS.close();
    }

    private final HttpClient http = HttpClient.newHttpClient();

    @LocalServerPort
    int port;

    @Autowired
    IdempotencyStore store;

    @Autowired
    IdempotencyEndpointIT.Orders orders;

    @Test
    void readsAnInProgressRecordOnTheRedisClockAndDeletesACompletedOne() throws Exception {
        assertThat(store).isInstanceOf(RedisIdempotencyStore.class);
        IdempotencyKey stuck = IdempotencyKey.of("global", "redis-stuck");
        ClaimResult claim = store.claim(new ClaimRequest(stuck, RequestFingerprint.of("x"), OwnerToken.random(),
                Duration.ofHours(1), Duration.ofHours(2)));
        assertThat(claim).isInstanceOf(ClaimResult.Acquired.class);

        String inProgress = send("GET", recordPath("redis-stuck")).body();
        assertThat((String) JsonPath.read(inProgress, "$.status")).isEqualTo("IN_PROGRESS");
        assertThat((Boolean) JsonPath.read(inProgress, "$.leaseExpired")).isFalse();
        assertThat((Object) JsonPath.read(inProgress, "$.storeTime")).as("the store's clock, which inspect reads").isNotNull();

        assertThat(order("redis-done").statusCode()).isEqualTo(201);
        String ownerToken = JsonPath.read(send("GET", recordPath("redis-done")).body(), "$.ownerToken");
        assertThat(send("DELETE", recordPath("redis-done") + "&ownerToken=" + OwnerToken.random()).statusCode())
                .isEqualTo(409);
        HttpResponse<String> deleted = send("DELETE", recordPath("redis-done") + "&ownerToken=" + ownerToken);
        assertThat(deleted.statusCode()).isEqualTo(200);
        assertThat((String) JsonPath.read(deleted.body(), "$.outcome")).isEqualTo("deleted");
        assertThat(send("GET", recordPath("redis-done")).statusCode()).isEqualTo(404);
        int before = orders.runs.get();
        assertThat(order("redis-done").statusCode()).isEqualTo(201);
        assertThat(orders.runs).as("the next request runs instead of replaying").hasValue(before + 1);
    }

    @Test
    void countsAreUnsupported() throws Exception {
        String counts = send("GET", "/actuator/idempotency/counts").body();

        assertThat((Boolean) JsonPath.read(counts, "$.supported")).isFalse();
    }

    private HttpResponse<String> send(String method, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .method(method, HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> order(String key) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/orders"))
                .header("Idempotency-Key", key).POST(HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static String recordPath(String key) {
        return "/actuator/idempotency?scope=global&key=" + URLEncoder.encode(key, StandardCharsets.UTF_8);
    }
}
