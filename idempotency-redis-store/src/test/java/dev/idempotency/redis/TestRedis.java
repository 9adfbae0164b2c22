package dev.idempotency.redis;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import java.time.Duration;
import java.util.UUID;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;

/**
 * The Redis server the integration tests share, found in this order: {@code $IDEMPOTENCY_TEST_REDIS_URL} (a Redis
 * URI such as {@code redis://127.0.0.1:6379}), a Testcontainers container when a Docker engine answers, the server
 * at {@code redis://127.0.0.1:6379}. If none answers the tests fail, never skip. The server may be shared, so each
 * run keeps its records under a key prefix of its own ({@link #keyPrefix()}).
 */
public final class TestRedis implements AutoCloseable {

    /** The environment variable that names the server. */
    public static final String URL_VARIABLE = "IDEMPOTENCY_TEST_REDIS_URL";
    static final String LOCAL_URL = "redis://127.0.0.1:6379";

    private final String keyPrefix = "idempotency-test-" + UUID.randomUUID().toString().substring(0, 8) + ":";
    private final GenericContainer<?> container;
    private final String url;
    private final String source;
    private final RedisClient client;
    private final StatefulRedisConnection<byte[], byte[]> connection;

    private TestRedis(String url, String source, GenericContainer<?> container) {
        this.url = url;
        this.source = source;
        this.container = container;
        RedisURI uri = RedisURI.create(url);
        uri.setTimeout(Duration.ofSeconds(30));
        this.client = RedisClient.create(uri);
        client.setOptions(ClientOptions.builder()
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                .build());
        try {
            this.connection = client.connect(ByteArrayCodec.INSTANCE);
        } catch (RuntimeException e) {
            client.shutdown();
            if (container != null) {
                container.stop();
            }
            throw new IllegalStateException("No Redis server for the integration tests: could not connect to " + source
                    + " (" + url + "): " + e.getMessage() + ". Provide one by setting " + URL_VARIABLE + " (for example"
                    + " redis://host:6379), by running a Docker engine for Testcontainers, or by running redis-server at "
                    + LOCAL_URL + " (Debian: apt-get install redis-server).", e);
        }
    }

    /** Locates a server and connects to it. */
    public static TestRedis locate() {
        String envUrl = System.getenv(URL_VARIABLE);
        if (envUrl != null && !envUrl.isBlank()) {
            return new TestRedis(envUrl, "$" + URL_VARIABLE, null);
        }
        if (dockerAvailable()) {
            GenericContainer<?> container = new GenericContainer<>("redis:7-alpine").withExposedPorts(6379);
            container.start();
            return new TestRedis("redis://" + container.getHost() + ":" + container.getMappedPort(6379),
                    "the Testcontainers container", container);
        }
        return new TestRedis(LOCAL_URL, "the local server", null);
    }

    public StatefulRedisConnection<byte[], byte[]> connection() {
        return connection;
    }

    /** The URI of the server, for clients of the tests' own. */
    public String url() {
        return url;
    }

    public RedisURI uri() {
        return RedisURI.create(url);
    }

    /** A key prefix no other run uses. */
    public String keyPrefix() {
        return keyPrefix;
    }

    /** Where the server was found, for messages. */
    public String source() {
        return source;
    }

    private static boolean dockerAvailable() {
        try {
            return DockerClientFactory.instance().isDockerAvailable();
        } catch (RuntimeException | LinkageError e) {
            return false;
        }
    }

    @Override
    public void close() {
        connection.close();
        client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        if (container != null) {
            container.stop();
        }
    }
}
