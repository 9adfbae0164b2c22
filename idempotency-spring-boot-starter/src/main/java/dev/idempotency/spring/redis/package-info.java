/**
 * The Redis store's Spring side: the store's own Lettuce connection, opened on the client Boot's
 * {@code spring.data.redis.*} settings configured.
 */
package dev.idempotency.spring.redis;
