package dev.idempotency.spring.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;

import dev.idempotency.core.IdempotencyKey;
import dev.idempotency.core.store.IdempotencyRecord;
import dev.idempotency.core.store.IdempotencyStatus;
import dev.idempotency.core.store.memory.InMemoryIdempotencyStore;
import dev.idempotency.spring.Idempotent;
import dev.idempotency.spring.IdempotencyScope;
import dev.idempotency.spring.PrincipalScopeResolver;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Import;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * Closing the application while an idempotent request runs, over real HTTP on Tomcat: the running request completes
 * and its response is stored, and a request that arrives meanwhile is refused with 503 instead of running unguarded
 * or finding the server gone.
 */
class GracefulShutdownIT {

    @Test
    void aRequestRunningWhenTheContextClosesCompletesAndIsStoredWhileNewOnesGet503() throws Exception {
        ConfigurableApplicationContext context = new SpringApplicationBuilder(ShutdownApp.class).properties(
                "server.port=0", "server.shutdown=immediate", "spring.lifecycle.timeout-per-shutdown-phase=30s",
                "idempotency.store.type=memory", "idempotency.purge.enabled=false", "spring.main.banner-mode=off",
                "logging.level.root=WARN").run();
        URI base = URI.create("http://127.0.0.1:" + context.getEnvironment().getProperty("local.server.port"));
        InMemoryIdempotencyStore store = context.getBean(InMemoryIdempotencyStore.class);
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        SlowController.entered = new CountDownLatch(1);
        SlowController.proceed = new CountDownLatch(1);
        try {
            CompletableFuture<HttpResponse<String>> inFlight = client.sendAsync(post(base, "/slow", "in-flight"),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(SlowController.entered.await(10, TimeUnit.SECONDS)).isTrue();

            CompletableFuture<Void> closed = CompletableFuture.runAsync(context::close);
            HttpResponse<String> refused = firstRefusal(client, base);

            assertThat(refused.statusCode()).isEqualTo(503);
            assertThat(refused.body()).contains("https://idempotency.dev/problems/store-unavailable", "shutting down");
            assertThat(closed).isNotDone();

            SlowController.proceed.countDown();
            HttpResponse<String> completed = inFlight.get(20, TimeUnit.SECONDS);
            closed.get(30, TimeUnit.SECONDS);

            assertThat(completed.statusCode()).isEqualTo(201);
            assertThat(completed.body()).isEqualTo("slow work done #1");
            IdempotencyRecord record = store.find(IdempotencyKey.of(PrincipalScopeResolver.GLOBAL_SCOPE, "in-flight")).orElseThrow();
            assertThat(record.status()).isEqualTo(IdempotencyStatus.COMPLETED);
            assertThat(record.response().status()).isEqualTo(201);
            assertThat(new String(record.response().body(), StandardCharsets.UTF_8)).isEqualTo("slow work done #1");
            assertThat(SlowController.slowRuns).hasValue(1);
        } finally {
            SlowController.proceed.countDown();
            context.close();
        }
    }

    /** Sends new requests until one is not executed; requests that reached the handler before the shutdown ran normally. */
    private static HttpResponse<String> firstRefusal(HttpClient client, URI base) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        for (int i = 0; ; i++) {
            HttpResponse<String> response;
            try {
                response = client.send(post(base, "/fast", "probe-" + i), HttpResponse.BodyHandlers.ofString());
            } catch (IOException e) {
                throw new AssertionError("the server stopped answering while a request was still running", e);
            }
            if (response.statusCode() != 200 || System.nanoTime() > deadline) {
                return response;
            }
            Thread.sleep(20);
        }
    }

    private static HttpRequest post(URI base, String path, String key) {
        return HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(30))
                .header("Idempotency-Key", key).POST(HttpRequest.BodyPublishers.noBody()).build();
    }

    @SpringBootConfiguration
    @EnableAutoConfiguration
    @Import(SlowController.class)
    static class ShutdownApp {}

    @RestController
    static class SlowController {

        static volatile CountDownLatch entered = new CountDownLatch(1);
        static volatile CountDownLatch proceed = new CountDownLatch(1);
        static final AtomicInteger slowRuns = new AtomicInteger();

        @PostMapping("/slow")
        @Idempotent(scope = IdempotencyScope.GLOBAL)
        ResponseEntity<String> slow() throws InterruptedException {
            int run = slowRuns.incrementAndGet();
            entered.countDown();
            proceed.await(30, TimeUnit.SECONDS);
            return ResponseEntity.status(HttpStatus.CREATED).body("slow work done #" + run);
        }

        @PostMapping("/fast")
        @Idempotent(scope = IdempotencyScope.GLOBAL)
        String fast() {
            return "fast";
        }
    }
}
