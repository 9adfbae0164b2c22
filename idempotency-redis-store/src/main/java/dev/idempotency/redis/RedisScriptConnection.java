package dev.idempotency.redis;

import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisScriptingCommands;
import io.lettuce.core.cluster.SlotHash;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode;
import java.util.Objects;

/**
 * What {@link RedisIdempotencyStore} needs of a Redis connection: run one of its scripts on one key, and wait for
 * replicas. Lettuce's standalone and cluster connections are adapted by {@link #standalone} and {@link #cluster};
 * implement it for anything else that reaches Redis.
 */
public interface RedisScriptConnection {

    /**
     * Runs {@code script} on {@code key} with {@code args}, by {@code EVALSHA}; when the server answers
     * {@code NOSCRIPT} (its script cache was flushed, or a failover or a new cluster node never saw the script), by
     * {@code EVAL} with the script's text, which caches it again. Every script of the store returns an array, given
     * back as a list of {@code Long}, {@code byte[]} and {@code null}.
     */
    Object run(RedisScript script, byte[] key, byte[]... args);

    /**
     * Sends {@code WAIT replicas timeout} to the node that holds {@code key}, on the connection that wrote it, and
     * returns how many replicas acknowledged.
     */
    long waitForReplicas(byte[] key, int replicas, long timeoutMillis);

    /** A few words naming the deployment, for log lines and messages. */
    String describe();

    /** Adapts a standalone (or Sentinel-managed) Lettuce connection with a byte codec. */
    static RedisScriptConnection standalone(StatefulRedisConnection<byte[], byte[]> connection) {
        Objects.requireNonNull(connection, "connection");
        return new RedisScriptConnection() {
            @Override
            public Object run(RedisScript script, byte[] key, byte[]... args) {
                return evaluate(connection.sync(), script, key, args);
            }

            @Override
            public long waitForReplicas(byte[] key, int replicas, long timeoutMillis) {
                return connection.sync().waitForReplication(replicas, timeoutMillis);
            }

            @Override
            public String describe() {
                return "standalone";
            }
        };
    }

    /** Adapts a Redis Cluster Lettuce connection with a byte codec; commands are routed by the key's slot. */
    static RedisScriptConnection cluster(StatefulRedisClusterConnection<byte[], byte[]> connection) {
        Objects.requireNonNull(connection, "connection");
        return new RedisScriptConnection() {
            @Override
            public Object run(RedisScript script, byte[] key, byte[]... args) {
                return evaluate(connection.sync(), script, key, args);
            }

            @Override
            public long waitForReplicas(byte[] key, int replicas, long timeoutMillis) {
                // WAIT counts the replicas that caught up with this client's writes on one node, so it must go to
                // the key's primary, on the node connection the cluster connection routed the write through.
                RedisClusterNode node = connection.getPartitions().getMasterBySlot(SlotHash.getSlot(key));
                if (node == null) {
                    throw new IllegalStateException("no cluster node serves the slot of the key");
                }
                return connection.getConnection(node.getNodeId()).sync().waitForReplication(replicas, timeoutMillis);
            }

            @Override
            public String describe() {
                return "cluster";
            }
        };
    }

    private static Object evaluate(RedisScriptingCommands<byte[], byte[]> commands, RedisScript script, byte[] key,
            byte[]... args) {
        byte[][] keys = {key};
        try {
            return commands.evalsha(script.sha1(), ScriptOutputType.MULTI, keys, args);
        } catch (RedisNoScriptException e) {
            return commands.eval(script.source(), ScriptOutputType.MULTI, keys, args);
        }
    }
}
