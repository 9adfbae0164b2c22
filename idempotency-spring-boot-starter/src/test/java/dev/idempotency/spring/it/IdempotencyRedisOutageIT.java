package dev.idempotency.spring.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.idempotency.core.IdempotencyKey;
import dev.idempotency.core.store.IdempotencyStatus;
import dev.idempotency.redis.LocalRedisServer;
import java.net.http.HttpResponse;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * Redis stops ({@code SHUTDOWN NOSAVE}) under a running application and starts again: requests are answered 503
 * {@code store-unavailable} and never run their handler meanwhile, and afterwards the same keys work. The server is a
 * private one on a port of its own.
 */
@SpringBootTest(classes = ItApplication.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {"idempotency.store.type=redis", "idempotency.redis.command-timeout=1s"})
class IdempotencyRedisOutageIT extends AbstractIdempotencyHttpIT {

    private static final LocalRedisServer SERVER = LocalRedisServer.start();

    @DynamicPropertySource
    static void redis(DynamicPropertyRegistry registry) {
        registry.add("spring.data.redis.url", SERVER::url);
    }

    @AfterAll
    static void stopServer() {
        SERVER.close();
    }

    @Test
    void requestsFailClosedWhileRedisIsDownAndTheKeyWorksAfterwards() throws Exception {
        String key = "outage-" + System.nanoTime();
        assertThat(post("/payments", "before-" + key, "alice", "{\"amount\":1}").statusCode()).isEqualTo(201);

        SERVER.shutdownNoSave();
        try {
            HttpResponse<byte[]> down = post("/payments", key, "alice", "{\"amount\":1}");
            assertThat(down.statusCode()).isEqualTo(503);
            assertThat(down.headers().firstValue("Content-Type")).hasValue("application/problem+json");
            assertThat(text(down)).contains("store-unavailable");
            assertThat(controller.executions(key)).isZero();
        } finally {
            SERVER.startAgain();
        }

        HttpResponse<byte[]> after = null;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            after = post("/payments", key, "alice", "{\"amount\":1}");
            if (after.statusCode() != 503) {
                break;
            }
            Thread.sleep(100);
        }
        assertThat(after.statusCode()).isEqualTo(201);
        assertThat(controller.executions(key)).isEqualTo(1);
        assertThat(store.find(IdempotencyKey.of("principal:alice", key)))
                .hasValueSatisfying(record -> assertThat(record.status()).isEqualTo(IdempotencyStatus.COMPLETED));
        HttpResponse<byte[]> replay = post("/payments", key, "alice", "{\"amount\":1}");
        assertThat(replay.body()).isEqualTo(after.body());
        assertThat(replay.headers().firstValue("Idempotent-Replayed")).hasValue("true");
    }
}
