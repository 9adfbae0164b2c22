/**
 * The store's health: {@link dev.idempotency.spring.health.StoreProbe} times a cheap read of the store and knows
 * nothing of Spring Boot's health API, so that each Boot generation needs only a thin indicator around it
 * ({@link dev.idempotency.spring.health.IdempotencyStoreHealthIndicator} for Boot 4).
 */
package dev.idempotency.spring.health;
