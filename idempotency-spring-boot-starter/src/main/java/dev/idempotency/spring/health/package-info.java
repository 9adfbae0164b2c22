/**
 * The store's health: {@link dev.idempotency.spring.health.StoreProbe} times a cheap read of the store and knows
 * nothing of Spring Boot's health API, so that each Boot generation needs only a thin indicator around it
 * ({@link dev.idempotency.spring.health.IdempotencyStoreHealthIndicator} for Boot 4, its twin in
 * {@link dev.idempotency.spring.health.boot3} for Boot 3).
 */
@NullMarked
package dev.idempotency.spring.health;

import org.jspecify.annotations.NullMarked;
