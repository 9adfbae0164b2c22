/**
 * The store's health for Spring Boot 3, whose health API is {@code org.springframework.boot.actuate.health} in
 * {@code spring-boot-actuator}; Spring Boot 4 moved it to {@code spring-boot-health}, served by the classes of
 * {@link dev.idempotency.spring.health}. Both wrap the same {@link dev.idempotency.spring.health.StoreProbe}, and the
 * starter configures whichever the application's Boot line has.
 */
@NullMarked
package dev.idempotency.spring.health.boot3;

import org.jspecify.annotations.NullMarked;
