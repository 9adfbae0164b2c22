package dev.idempotency.spring;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a Spring MVC handler method (or every handler method of a controller) as idempotent: a request carrying
 * an {@code Idempotency-Key} header runs the handler at most once per key and scope, and a retry gets the stored
 * response back with {@code Idempotent-Replayed: true}.
 *
 * <pre>{@code
 * @PostMapping("/payments")
 * @Idempotent(ttl = "48h")
 * PaymentResponse pay(@RequestBody PaymentRequest request) { ... }
 * }</pre>
 */
@Target({ElementType.METHOD, ElementType.TYPE})
@Retention(RetentionPolicy.RUNTIME)
@Documented
public @interface Idempotent {

    /**
     * Whether the key header is required. When {@code true} (the default) a request without it gets 400
     * ({@code key-missing}); when {@code false} it runs unprotected.
     */
    boolean required() default true;

    /**
     * How long the response is replayed, as a duration string such as {@code "10m"}, {@code "48h"} or an ISO-8601
     * duration. Empty means {@code idempotency.ttl}.
     */
    String ttl() default "";

    /** Whose keys these are; see {@link IdempotencyScope}. */
    IdempotencyScope scope() default IdempotencyScope.PRINCIPAL;

    /**
     * Name of an {@link IdempotencyScopeResolver} bean to use for this handler instead of the default one. Naming a
     * resolver here changes this handler only; the default stays the bean marked
     * {@link DefaultIdempotencyScopeResolver}. A name without such a bean fails the startup. Ignored when
     * {@link #scope()} is {@link IdempotencyScope#GLOBAL}.
     */
    String scopeResolver() default "";

    /**
     * Request headers that are part of this handler's fingerprint (case-insensitive), in addition to
     * {@code idempotency.fingerprint.headers}: the same key sent with another value of one of them (or without it)
     * is answered with 422 {@code key-reused}, never with the stored response. For a header that selects what the
     * request acts on, such as {@code X-Account-Id}.
     */
    String[] fingerprintHeaders() default {};
}
