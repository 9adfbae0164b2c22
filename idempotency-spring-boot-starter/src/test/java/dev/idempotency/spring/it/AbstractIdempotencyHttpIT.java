package dev.idempotency.spring.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.idempotency.core.IdempotencyKey;
import dev.idempotency.core.store.IdempotencyStore;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.core.env.Environment;

/**
 * The starter's HTTP conformance over real HTTP (Tomcat) against a real store: concurrent duplicates run the handler
 * once, a replay equals the original, a server error releases the key, and scopes keep users apart. Each store runs
 * it in a subclass that says where the store lives.
 */
abstract class AbstractIdempotencyHttpIT {

    @Autowired
    protected Environment environment;

    @Autowired
    ItApplication.PaymentsController controller;

    @Autowired
    protected IdempotencyStore store;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    protected HttpResponse<byte[]> post(String path, String key, String user, String body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + environment.getProperty("local.server.port") + path))
                .timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (key != null) {
            request.header("Idempotency-Key", key);
        }
        if (user != null) {
            request.header("X-User", user);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    protected static String text(HttpResponse<byte[]> response) {
        return new String(response.body(), StandardCharsets.UTF_8);
    }

    @Test
    void fiftyConcurrentIdenticalRequestsRunTheHandlerOnce() throws Exception {
        int clients = 50;
        String key = "concurrent-" + System.nanoTime();
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        List<Future<HttpResponse<byte[]>>> futures = new ArrayList<>();
        try {
            for (int i = 0; i < clients; i++) {
                futures.add(pool.submit(() -> {
                    start.await();
                    return post("/payments", key, "alice", "{\"amount\":100,\"currency\":\"EUR\"}");
                }));
            }
            start.countDown();
            List<HttpResponse<byte[]>> responses = new ArrayList<>();
            for (Future<HttpResponse<byte[]>> future : futures) {
                responses.add(future.get(120, TimeUnit.SECONDS));
            }

            assertThat(controller.executions(key)).isEqualTo(1);
            List<HttpResponse<byte[]>> created = responses.stream().filter(r -> r.statusCode() == 201).toList();
            List<HttpResponse<byte[]>> conflicts = responses.stream().filter(r -> r.statusCode() == 409).toList();
            assertThat(created.size() + conflicts.size()).isEqualTo(clients);
            assertThat(created).isNotEmpty();
            byte[] original = created.get(0).body();
            assertThat(created).allSatisfy(r -> assertThat(r.body()).isEqualTo(original));
            assertThat(created.stream().filter(r -> r.headers().firstValue("Idempotent-Replayed").isEmpty())).hasSize(1);
            assertThat(conflicts).allSatisfy(r -> {
                assertThat(r.headers().firstValue("Content-Type")).hasValue("application/problem+json");
                assertThat(text(r)).contains("https://idempotency.dev/problems/key-in-use");
                assertThat(r.headers().firstValue("Retry-After")).isPresent();
            });

            HttpResponse<byte[]> later = post("/payments", key, "alice", "{\"currency\":\"EUR\", \"amount\":100}");
            assertThat(later.statusCode()).isEqualTo(201);
            assertThat(later.body()).isEqualTo(original);
            assertThat(controller.executions(key)).isEqualTo(1);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void replayEqualsTheOriginalResponse() throws Exception {
        String key = "replay-" + System.nanoTime();
        HttpResponse<byte[]> first = post("/payments", key, "alice", "{\"amount\":5}");
        HttpResponse<byte[]> replay = post("/payments", "\"" + key + "\"", "alice", "{ \"amount\" : 5 }");

        assertThat(first.statusCode()).isEqualTo(201);
        assertThat(first.headers().firstValue("Set-Cookie")).isPresent();
        assertThat(replay.statusCode()).isEqualTo(201);
        assertThat(replay.body()).isEqualTo(first.body());
        for (String header : List.of("Content-Type", "Location", "ETag")) {
            assertThat(replay.headers().allValues(header)).as(header).isEqualTo(first.headers().allValues(header)).isNotEmpty();
        }
        assertThat(replay.headers().firstValue("Idempotent-Replayed")).hasValue("true");
        assertThat(replay.headers().firstValue("Set-Cookie")).isEmpty();
        assertThat(controller.executions(key)).isEqualTo(1);

        HttpResponse<byte[]> reused = post("/payments", key, "alice", "{\"amount\":6}");
        assertThat(reused.statusCode()).isEqualTo(422);
        assertThat(text(reused)).contains("https://idempotency.dev/problems/key-reused");
    }

    @Test
    void serverErrorReleasesTheKey() throws Exception {
        String key = "flaky-" + System.nanoTime();
        HttpResponse<byte[]> first = post("/flaky", key, "alice", "{}");
        HttpResponse<byte[]> second = post("/flaky", key, "alice", "{}");
        assertThat(first.statusCode()).isEqualTo(502);
        assertThat(text(first)).isEqualTo("upstream failed, attempt 1");
        assertThat(second.statusCode()).isEqualTo(502);
        assertThat(text(second)).isEqualTo("upstream failed, attempt 2");
        assertThat(second.headers().firstValue("Idempotent-Replayed")).isEmpty();
        assertThat(store.find(IdempotencyKey.of("principal:alice", key))).isEmpty();
    }

    @Test
    void twoUsersWithTheSameKeyAreIndependentAndNeverSeeEachOthersResponse() throws Exception {
        String key = "shared-" + System.nanoTime();
        HttpResponse<byte[]> alice = post("/payments", key, "alice", "{\"amount\":1}");
        HttpResponse<byte[]> bob = post("/payments", key, "bob", "{\"amount\":1}");
        HttpResponse<byte[]> aliceAgain = post("/payments", key, "alice", "{\"amount\":1}");
        HttpResponse<byte[]> bobAgain = post("/payments", key, "bob", "{\"amount\":1}");

        assertThat(alice.statusCode()).isEqualTo(201);
        assertThat(bob.statusCode()).isEqualTo(201);
        assertThat(bob.headers().firstValue("Idempotent-Replayed")).isEmpty();
        assertThat(text(alice)).contains("\"owner\":\"alice\"");
        assertThat(text(bob)).contains("\"owner\":\"bob\"").doesNotContain("alice");
        assertThat(bob.body()).isNotEqualTo(alice.body());
        assertThat(aliceAgain.body()).isEqualTo(alice.body());
        assertThat(bobAgain.body()).isEqualTo(bob.body());
        assertThat(controller.executions(key)).isEqualTo(2);
    }
}
