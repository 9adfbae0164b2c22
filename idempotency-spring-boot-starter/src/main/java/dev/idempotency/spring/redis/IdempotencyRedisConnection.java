package dev.idempotency.spring.redis;

import dev.idempotency.redis.RedisScriptConnection;
import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import java.time.Duration;
import java.util.Objects;

/**
 * The Redis store's own connection: opened with a byte codec, so response bodies are stored as the bytes they are, on
 * a Lettuce client that already carries the application's settings (URI, credentials, TLS, client options). It has a
 * command timeout of its own, so a request fails closed within it while Redis cannot be reached, whatever the
 * application's other Redis commands allow. Closed with the application context; the client is not, since its
 * owner (Boot's connection factory, or the application) closes it.
 */
public final class IdempotencyRedisConnection implements AutoCloseable {

    private final StatefulConnection<byte[], byte[]> connection;
    private final RedisScriptConnection scripts;

    private IdempotencyRedisConnection(StatefulConnection<byte[], byte[]> connection, RedisScriptConnection scripts) {
        this.connection = connection;
        this.scripts = scripts;
    }

    /**
     * Connects with {@code client}'s default URI (standalone or Sentinel) or initial cluster URIs.
     *
     * @param commandTimeout how long one store command may take
     */
    public static IdempotencyRedisConnection open(AbstractRedisClient client, Duration commandTimeout) {
        Objects.requireNonNull(client, "client");
        Objects.requireNonNull(commandTimeout, "commandTimeout");
        if (client instanceof RedisClusterClient cluster) {
            StatefulRedisClusterConnection<byte[], byte[]> connection = cluster.connect(ByteArrayCodec.INSTANCE);
            connection.setTimeout(commandTimeout);
            return new IdempotencyRedisConnection(connection, RedisScriptConnection.cluster(connection));
        }
        if (client instanceof RedisClient standalone) {
            StatefulRedisConnection<byte[], byte[]> connection = standalone.connect(ByteArrayCodec.INSTANCE);
            connection.setTimeout(commandTimeout);
            return new IdempotencyRedisConnection(connection, RedisScriptConnection.standalone(connection));
        }
        throw new IllegalArgumentException("the Redis store needs a Lettuce RedisClient or RedisClusterClient, got "
                + client.getClass().getName());
    }

    /** What the store runs its scripts on. */
    public RedisScriptConnection scripts() {
        return scripts;
    }

    @Override
    public void close() {
        connection.close();
    }
}
