/**
 * The Redis store: {@link dev.idempotency.redis.RedisIdempotencyStore}, an
 * {@link dev.idempotency.core.store.IdempotencyStore} on Redis or Redis Cluster through Lettuce. Each operation is one
 * Lua script ({@link dev.idempotency.redis.RedisScript}) on one hash per record, timed by the Redis server's clock;
 * {@link dev.idempotency.redis.RedisScriptConnection} runs them on a standalone or a cluster connection.
 */
@NullMarked
package dev.idempotency.redis;

import org.jspecify.annotations.NullMarked;
