package dev.idempotency.redis;

import dev.idempotency.core.IdempotencyKey;
import dev.idempotency.core.RequestFingerprint;
import dev.idempotency.core.store.ClaimDecision;
import dev.idempotency.core.store.ClaimRequest;
import dev.idempotency.core.store.ClaimResult;
import dev.idempotency.core.store.CompleteResult;
import dev.idempotency.core.store.DeleteResult;
import dev.idempotency.core.store.IdempotencyRecord;
import dev.idempotency.core.store.IdempotencyStatus;
import dev.idempotency.core.store.IdempotencyStore;
import dev.idempotency.core.store.IdempotencyStoreException;
import dev.idempotency.core.store.InspectResult;
import dev.idempotency.core.store.OwnerToken;
import dev.idempotency.core.store.PurgeResult;
import dev.idempotency.core.store.RecoveryPoint;
import dev.idempotency.core.store.ReleaseResult;
import dev.idempotency.core.store.RenewResult;
import dev.idempotency.core.store.StatusCounts;
import dev.idempotency.core.store.StoredResponse;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * An {@link IdempotencyStore} in Redis or Redis Cluster, through Lettuce.
 *
 * <p>Each record is one Redis hash, and each operation is one Lua script run on it by {@code EVALSHA} (with the
 * script's text sent once more should the server's script cache have been flushed). A script runs atomically on
 * the server, so a claim reads and writes the record in one step with nothing in between, and every write after
 * it compares the owner token in the same step. How it keeps the store contract:
 * <ol>
 *   <li><b>One arbiter.</b> The claim script applies the rule of {@link ClaimDecision}: no record or an expired
 *       one, a fresh record; an in-progress record with an expired lease and the same fingerprint, a takeover that
 *       keeps the recovery point; anything else, the record as the answer.</li>
 *   <li><b>Fencing.</b> complete, release, renew and checkpoint change the record only while it is in progress
 *       and carries the caller's token.</li>
 *   <li><b>One clock.</b> Every script reads {@code TIME} on the Redis server; the application's clock is never
 *       used. Redis 7 replicates a script's writes, not the script, so replicas never re-read the time.</li>
 *   <li><b>Expiry by Redis.</b> Each write sets {@code PEXPIREAT} to the record's expiry, so Redis removes
 *       expired records itself; {@link #purgeExpired} has nothing to do and reports 0, and no purge job is
 *       needed. Until Redis removes a record (at most a millisecond later), the scripts treat it as absent.</li>
 *   <li><b>Cluster-safe.</b> A script touches exactly one key, named {@code <prefix>{<scope and key>}}: the braces
 *       are a hash tag, so a record stays in one slot whatever the prefix. Nothing scans the keyspace.</li>
 *   <li><b>Exact round trip.</b> Keys and values go through a byte codec; a response body is stored as the bytes
 *       it is, and headers in {@link StoredResponse#encodeHeaders()}'s binary form.</li>
 * </ol>
 * A replay is one round trip: the claim script returns the completed record with its response.
 *
 * <p>Of the operator's methods, {@link #inspect} (the find script, which also returns the server's time) and
 * {@link #deleteCompleted} (fenced by the owner token, a completed record only) are supported;
 * {@link #countByStatus} is not, since counting would need a scan of the keyspace.
 *
 * <pre>{@code
 * RedisClient client = RedisClient.create("redis://127.0.0.1:6379");
 * StatefulRedisConnection<byte[], byte[]> connection = client.connect(ByteArrayCodec.INSTANCE);
 * IdempotencyStore store = RedisIdempotencyStore.builder(connection)
 *         .keyPrefix("idempotency:")   // the default
 *         .build();
 * }</pre>
 *
 * <p>The store does not own the connection: close it, and the client, when the application stops. A Lettuce
 * connection is thread-safe and multiplexed, so one connection serves every thread. For requests to fail fast
 * while Redis is down, rather than queue until the command timeout, give the client
 * {@code ClientOptions.builder().disconnectedBehavior(DisconnectedBehavior.REJECT_COMMANDS)} and a command timeout
 * that suits the request path. Any failure to reach Redis, or a reply the store cannot read, surfaces as an
 * {@link IdempotencyStoreException} naming the operation and the key.
 *
 * <p>Redis acknowledges a write once it is in the primary's memory. With {@link Builder#waitForReplicas} each
 * write is followed by {@code WAIT} for that many replicas; see docs/stores.md for what each persistence setting
 * can lose.
 */
public final class RedisIdempotencyStore implements IdempotencyStore {

    /** The prefix record keys get unless {@link Builder#keyPrefix} says otherwise. */
    public static final String DEFAULT_KEY_PREFIX = "idempotency:";

    private static final byte[] COMPLETED = {'C'};
    private static final byte[] IN_PROGRESS = {'P'};
    private static final int OUTCOME_ACQUIRED = 0;
    private static final int OUTCOME_TAKEOVER = 1;

    private final RedisScriptConnection connection;
    private final byte[] keyPrefix;
    private final String keyPrefixText;
    private final int waitReplicas;
    private final Duration waitTimeout;

    private RedisIdempotencyStore(Builder builder) {
        this.connection = builder.connection;
        this.keyPrefixText = builder.keyPrefix;
        this.keyPrefix = builder.keyPrefix.getBytes(StandardCharsets.UTF_8);
        this.waitReplicas = builder.waitReplicas;
        this.waitTimeout = builder.waitTimeout;
    }

    /** Starts a store on a standalone (or Sentinel-managed) Redis connection with a byte codec. */
    public static Builder builder(StatefulRedisConnection<byte[], byte[]> connection) {
        return new Builder(RedisScriptConnection.standalone(connection));
    }

    /** Starts a store on a Redis Cluster connection with a byte codec. */
    public static Builder builder(StatefulRedisClusterConnection<byte[], byte[]> connection) {
        return new Builder(RedisScriptConnection.cluster(connection));
    }

    /** Starts a store on any connection that runs the store's scripts, for clients other than Lettuce's two. */
    public static Builder builder(RedisScriptConnection connection) {
        return new Builder(connection);
    }

    @Override
    public ClaimResult claim(ClaimRequest request) {
        Objects.requireNonNull(request, "request");
        IdempotencyKey key = request.key();
        byte[] redisKey = redisKey(key);
        List<Object> reply = runScript("claim", key, () -> connection.run(RedisScript.CLAIM, redisKey,
                ascii(request.fingerprint().value()), utf8(request.ownerToken().value()),
                millis(request.lease()), millis(request.ttl())));
        try {
            int outcome = (int) number(reply.get(0));
            Instant now = micros(number(reply.get(1)));
            IdempotencyRecord record = record(key, reply, 2);
            if (outcome == OUTCOME_ACQUIRED || outcome == OUTCOME_TAKEOVER) {
                awaitReplicas("claim", key, redisKey);
                return new ClaimResult.Acquired(record, outcome == OUTCOME_TAKEOVER);
            }
            // The script applied the claim rule; the rule, written once in core, must agree that this is an answer.
            if (ClaimDecision.decide(record, request, now) instanceof ClaimDecision.Answer answer) {
                return answer.result();
            }
            throw new IllegalStateException("the claim script answered with a record the claim rule would take, "
                    + "at " + now + ": " + record);
        } catch (RuntimeException e) {
            throw failure("claim", key, e);
        }
    }

    @Override
    public CompleteResult complete(IdempotencyKey key, OwnerToken owner, StoredResponse response, Duration retention) {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(owner, "owner");
        Objects.requireNonNull(response, "response");
        requirePositive(retention, "retention");
        byte[] redisKey = redisKey(key);
        List<Object> reply = runScript("complete", key, () -> connection.run(RedisScript.COMPLETE, redisKey,
                utf8(owner.value()), millis(retention), ascii(Integer.toString(response.status())),
                response.encodeHeaders(), response.body()));
        try {
            if (number(reply.get(0)) == 0) {
                return new CompleteResult.OwnershipLost();
            }
            Instant expiresAt = micros(number(reply.get(1)));
            awaitReplicas("complete", key, redisKey);
            return new CompleteResult.Completed(expiresAt);
        } catch (RuntimeException e) {
            throw failure("complete", key, e);
        }
    }

    @Override
    public ReleaseResult release(IdempotencyKey key, OwnerToken owner) {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(owner, "owner");
        byte[] redisKey = redisKey(key);
        List<Object> reply = runScript("release", key,
                () -> connection.run(RedisScript.RELEASE, redisKey, utf8(owner.value())));
        try {
            if (number(reply.get(0)) == 0) {
                return new ReleaseResult.OwnershipLost();
            }
            awaitReplicas("release", key, redisKey);
            return new ReleaseResult.Released();
        } catch (RuntimeException e) {
            throw failure("release", key, e);
        }
    }

    @Override
    public RenewResult renew(IdempotencyKey key, OwnerToken owner, Duration lease) {
        return extendLease("renew", key, owner, lease, null);
    }

    @Override
    public RenewResult checkpoint(IdempotencyKey key, OwnerToken owner, RecoveryPoint recoveryPoint, Duration lease) {
        return extendLease("checkpoint", key, owner, lease, Objects.requireNonNull(recoveryPoint, "recoveryPoint"));
    }

    private RenewResult extendLease(String operation, IdempotencyKey key, OwnerToken owner, Duration lease,
            @Nullable RecoveryPoint recoveryPoint) {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(owner, "owner");
        requirePositive(lease, "lease");
        byte[] redisKey = redisKey(key);
        List<Object> reply = runScript(operation, key, () -> recoveryPoint == null
                ? connection.run(RedisScript.RENEW, redisKey, utf8(owner.value()), millis(lease))
                : connection.run(RedisScript.RENEW, redisKey, utf8(owner.value()), millis(lease),
                        utf8(recoveryPoint.phase()), utf8(recoveryPoint.payload())));
        try {
            if (number(reply.get(0)) == 0) {
                return new RenewResult.OwnershipLost();
            }
            Instant leaseExpiresAt = micros(number(reply.get(1)));
            awaitReplicas(operation, key, redisKey);
            return new RenewResult.Renewed(leaseExpiresAt);
        } catch (RuntimeException e) {
            throw failure(operation, key, e);
        }
    }

    @Override
    public Optional<IdempotencyRecord> find(IdempotencyKey key) {
        Objects.requireNonNull(key, "key");
        byte[] redisKey = redisKey(key);
        List<Object> reply = runScript("find", key, () -> connection.run(RedisScript.FIND, redisKey));
        try {
            return number(reply.get(0)) == 0 ? Optional.empty() : Optional.of(record(key, reply, 2));
        } catch (RuntimeException e) {
            throw failure("find", key, e);
        }
    }

    /** Reads the record with the Redis server's time, in the one script {@link #find} runs. */
    @Override
    public InspectResult inspect(IdempotencyKey key) {
        Objects.requireNonNull(key, "key");
        byte[] redisKey = redisKey(key);
        List<Object> reply = runScript("inspect", key, () -> connection.run(RedisScript.FIND, redisKey));
        try {
            if (number(reply.get(0)) == 0) {
                return new InspectResult.NotFound();
            }
            return new InspectResult.Found(record(key, reply, 2), micros(number(reply.get(1))));
        } catch (RuntimeException e) {
            throw failure("inspect", key, e);
        }
    }

    /**
     * Deletes the record in one script, only while it is completed, carries {@code owner} and has not expired by the
     * Redis server's clock.
     */
    @Override
    public DeleteResult deleteCompleted(IdempotencyKey key, OwnerToken owner) {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(owner, "owner");
        byte[] redisKey = redisKey(key);
        List<Object> reply = runScript("delete", key,
                () -> connection.run(RedisScript.DELETE_COMPLETED, redisKey, utf8(owner.value())));
        try {
            if (number(reply.get(0)) == 0) {
                return new DeleteResult.NotDeleted();
            }
            awaitReplicas("delete", key, redisKey);
            return new DeleteResult.Deleted();
        } catch (RuntimeException e) {
            throw failure("delete", key, e);
        }
    }

    /**
     * Unsupported: counting records by status would need a scan of the keyspace (on every node of a cluster), which
     * the store never does; each of its operations touches the one key of one record.
     */
    @Override
    public StatusCounts countByStatus() {
        return new StatusCounts.Unsupported();
    }

    /**
     * Reports 0: Redis removes a record itself when its TTL passes (every write sets {@code PEXPIREAT}), so there
     * is never anything left to purge, and nothing here scans the keyspace.
     */
    @Override
    public PurgeResult purgeExpired(int batchSize) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batchSize must be positive, got " + batchSize);
        }
        return new PurgeResult(0, batchSize);
    }

    /** The Redis key of a record: the prefix, then the record's identity inside a hash tag. */
    byte[] redisKey(IdempotencyKey key) {
        Objects.requireNonNull(key, "key");
        // The scope's length makes the identity unambiguous: ("a:b", "c") and ("a", "b:c") are different keys.
        byte[] identity = utf8(key.scope().length() + ":" + key.scope() + ":" + key.key());
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(keyPrefix.length + identity.length + 2);
        bytes.writeBytes(keyPrefix);
        bytes.write('{');
        bytes.writeBytes(identity);
        bytes.write('}');
        return bytes.toByteArray();
    }

    /**
     * Waits for the configured number of replicas to acknowledge the write just made on the key's node. Fewer
     * within the timeout is a failure: the write stands on the primary, but a failover now could lose it, and the
     * caller asked not to go on in that case.
     */
    private void awaitReplicas(String operation, IdempotencyKey key, byte[] redisKey) {
        if (waitReplicas == 0) {
            return;
        }
        long acknowledged = run(operation, key,
                () -> connection.waitForReplicas(redisKey, waitReplicas, waitTimeout.toMillis()));
        if (acknowledged < waitReplicas) {
            throw new IdempotencyStoreException("idempotency store could not " + operation + " " + key + " in "
                    + this + ": only " + acknowledged + " of " + waitReplicas + " replicas acknowledged the write "
                    + "within " + waitTimeout.toMillis() + " ms; it is on the primary but a failover may lose it");
        }
    }

    private IdempotencyRecord record(IdempotencyKey key, List<Object> reply, int from) {
        byte[] fingerprint = bytes(reply, from);
        byte[] status = bytes(reply, from + 1);
        byte[] owner = bytes(reply, from + 2);
        byte[] lease = bytes(reply, from + 3);
        byte[] created = bytes(reply, from + 4);
        byte[] expires = bytes(reply, from + 5);
        byte[] responseStatus = bytes(reply, from + 6);
        byte[] responseHeaders = bytes(reply, from + 7);
        byte[] responseBody = bytes(reply, from + 8);
        byte[] phase = bytes(reply, from + 9);
        byte[] payload = bytes(reply, from + 10);
        if (fingerprint == null || status == null || owner == null || created == null || expires == null) {
            throw new IllegalStateException("the record lacks a field it must have");
        }
        IdempotencyStatus recordStatus;
        if (Arrays.equals(status, COMPLETED)) {
            recordStatus = IdempotencyStatus.COMPLETED;
        } else if (Arrays.equals(status, IN_PROGRESS)) {
            recordStatus = IdempotencyStatus.IN_PROGRESS;
        } else {
            throw new IllegalStateException("unknown record status '" + text(status) + "'");
        }
        StoredResponse response = null;
        if (recordStatus == IdempotencyStatus.COMPLETED) {
            response = new StoredResponse(Integer.parseInt(text(responseStatus)),
                    StoredResponse.decodeHeaders(responseHeaders), responseBody == null ? new byte[0] : responseBody);
        }
        return new IdempotencyRecord(key, new RequestFingerprint(text(fingerprint)), recordStatus,
                new OwnerToken(text(owner)), lease == null ? null : micros(Long.parseLong(text(lease))), response,
                phase == null ? null : new RecoveryPoint(text(phase), payload == null ? "" : text(payload)),
                micros(Long.parseLong(text(created))), micros(Long.parseLong(text(expires))));
    }

    private List<Object> runScript(String operation, IdempotencyKey key, Supplier<Object> script) {
        return run(operation, key, () -> list(script.get()));
    }

    private <T> T run(String operation, IdempotencyKey key, Supplier<T> command) {
        try {
            return command.get();
        } catch (RuntimeException e) {
            throw failure(operation, key, e);
        }
    }

    private IdempotencyStoreException failure(String operation, IdempotencyKey key, RuntimeException e) {
        if (e instanceof IdempotencyStoreException storeException) {
            return storeException;
        }
        return new IdempotencyStoreException(
                "idempotency store could not " + operation + " " + key + " in " + this + ": " + e, e);
    }

    @SuppressWarnings("unchecked")
    private static List<Object> list(Object reply) {
        if (reply instanceof List<?> list) {
            return (List<Object>) list;
        }
        throw new IllegalStateException("expected a list as the script's reply, got " + reply);
    }

    private static byte[] bytes(List<Object> reply, int index) {
        Object value = reply.get(index);
        if (value == null || value instanceof byte[]) {
            return (byte[]) value;
        }
        throw new IllegalStateException("expected bytes at position " + index + " of the reply, got " + value);
    }

    private static long number(Object value) {
        if (value instanceof Long number) {
            return number;
        }
        throw new IllegalStateException("expected a number in the reply, got " + value);
    }

    private static Instant micros(long micros) {
        return Instant.ofEpochSecond(Math.floorDiv(micros, 1_000_000L), Math.floorMod(micros, 1_000_000L) * 1_000L);
    }

    /** A duration as whole milliseconds, at least 1, so a positive duration never becomes an instant expiry. */
    private static byte[] millis(Duration duration) {
        long millis;
        try {
            millis = Math.max(1, duration.toMillis());
        } catch (ArithmeticException e) {
            millis = Long.MAX_VALUE;
        }
        // Lua numbers are doubles and the scripts work in microseconds: cap at about 285 years.
        return ascii(Long.toString(Math.min(millis, 9_000_000_000_000L)));
    }

    private static byte[] ascii(String value) {
        return value.getBytes(StandardCharsets.US_ASCII);
    }

    private static byte[] utf8(String value) {
        return value.getBytes(StandardCharsets.UTF_8);
    }

    private static String text(byte[] value) {
        return new String(value, StandardCharsets.UTF_8);
    }

    private static void requirePositive(Duration duration, String name) {
        Objects.requireNonNull(duration, name);
        if (duration.isNegative() || duration.isZero()) {
            throw new IllegalArgumentException(name + " must be positive, got " + duration);
        }
    }

    /** Names the deployment, the key prefix and the replicas awaited: what a startup log line should say. */
    @Override
    public String toString() {
        return "Redis store (" + connection.describe() + ", key prefix " + keyPrefixText
                + (waitReplicas == 0 ? "" : ", waits for " + waitReplicas + " replicas") + ")";
    }

    /** Configures a {@link RedisIdempotencyStore}. */
    public static final class Builder {

        private final RedisScriptConnection connection;
        private String keyPrefix = DEFAULT_KEY_PREFIX;
        private int waitReplicas;
        private Duration waitTimeout = Duration.ofSeconds(1);

        private Builder(RedisScriptConnection connection) {
            this.connection = Objects.requireNonNull(connection, "connection");
        }

        /**
         * What every record key starts with, to keep the store's keys apart from the application's own. It must not
         * contain braces: the store puts each record's identity in a hash tag of its own, and a brace in the prefix
         * would make Redis Cluster hash the prefix instead, putting every record into one slot. Defaults to
         * {@value RedisIdempotencyStore#DEFAULT_KEY_PREFIX}.
         */
        public Builder keyPrefix(String keyPrefix) {
            Objects.requireNonNull(keyPrefix, "keyPrefix");
            if (keyPrefix.indexOf('{') >= 0 || keyPrefix.indexOf('}') >= 0) {
                throw new IllegalArgumentException("a key prefix must not contain '{' or '}', got '" + keyPrefix + "'");
            }
            this.keyPrefix = keyPrefix;
            return this;
        }

        /**
         * After each write (a claim that acquires, complete, release, renew, checkpoint, deleteCompleted), waits with {@code WAIT}
         * until this many replicas acknowledged it, and fails with an {@link IdempotencyStoreException} when fewer
         * do within {@code timeout}. {@code WAIT} blocks the connection it runs on for up to the timeout, so this
         * costs throughput. 0, the default, waits for none.
         */
        public Builder waitForReplicas(int replicas, Duration timeout) {
            if (replicas < 0) {
                throw new IllegalArgumentException("replicas must not be negative, got " + replicas);
            }
            requirePositive(timeout, "timeout");
            this.waitReplicas = replicas;
            this.waitTimeout = timeout;
            return this;
        }

        public RedisIdempotencyStore build() {
            return new RedisIdempotencyStore(this);
        }
    }
}
