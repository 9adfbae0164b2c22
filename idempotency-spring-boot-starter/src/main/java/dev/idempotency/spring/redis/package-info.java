/**
 * The Redis store's Spring side: the store's own Lettuce connection, opened on the client Boot's
 * {@code spring.data.redis.*} settings configured.
 */
@NullMarked
package dev.idempotency.spring.redis;

import org.jspecify.annotations.NullMarked;
