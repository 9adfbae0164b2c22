package dev.idempotency.spring;

import dev.idempotency.spring.method.IdempotencyInProgressException;
import dev.idempotency.spring.method.IdempotencyKeyReusedException;
import dev.idempotency.spring.method.IdempotentMethodContext;
import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Runs a method at most once per idempotency key. It has two uses, told apart by {@link #key()}.
 *
 * <p><b>On a Spring MVC handler method</b> (or on a controller, for every handler method of it), without a
 * {@code key}: a request carrying an {@code Idempotency-Key} header runs the handler at most once per key and scope,
 * and a retry gets the stored response back with {@code Idempotent-Replayed: true}.
 *
 * <pre>{@code
 * @PostMapping("/payments")
 * @Idempotent(ttl = "48h")
 * PaymentResponse pay(@RequestBody PaymentRequest request) { ... }
 * }</pre>
 *
 * <p><b>On any other Spring bean method</b> (a {@code @RabbitListener}, {@code @KafkaListener}, {@code @JmsListener},
 * {@code @Scheduled} or plain service method), with a {@code key} expression over the method's arguments: the starter
 * proxies the bean (Spring AOP, no weaving) and runs the method at most once per key and {@link #keyScope()}.
 *
 * <pre>{@code
 * @Idempotent(key = "#event.id", keyScope = "orders")
 * public Shipment ship(OrderPlaced event) { ... }
 * }</pre>
 *
 * A duplicate of a completed call does not run the method: a {@code void} method returns, any other returns the
 * stored return value, serialized with the application's JSON mapper. A duplicate of a call still running throws
 * {@link IdempotencyInProgressException} (or waits, see {@link #inFlightWait()}), so a message listener container
 * redelivers it later. An exception from the method releases the key, so a redelivery runs it again. While it runs,
 * the method reaches its claim (checkpoints, derived keys) through {@link IdempotentMethodContext#current()}.
 *
 * <p>The annotation is checked when the bean is created, and a misuse fails the startup: a handler method given a
 * {@code key}, a bean method without one, an unparsable expression or duration, a method that returns a
 * {@code Future} or a reactive type (its work would finish after the method returned), or a web-only attribute on a
 * bean method and a bean-only attribute on a handler method. As with any Spring AOP advice, a call from within the
 * same bean ({@code this.ship(event)}) does not go through the proxy and is not protected.
 */
@Target({ElementType.METHOD, ElementType.TYPE})
@Retention(RetentionPolicy.RUNTIME)
@Documented
public @interface Idempotent {

    /**
     * For a bean method (not a handler method): a SpEL expression giving the idempotency key from the method's
     * arguments, such as {@code "#event.id"}, {@code "#message.messageProperties.messageId"} or {@code "#p0"}. The
     * arguments are variables by name ({@code -parameters}, which Spring Boot's build plugins set) and as
     * {@code #p0}, {@code #a0}; {@code #root.target} is the bean and {@code @name} any other bean. The value's
     * {@code toString()} is the key; a {@code null} or empty value, or one longer than 255 characters, throws
     * {@link IllegalArgumentException} and the method does not run.
     */
    String key() default "";

    /**
     * For a bean method: the scope the key lives in, so equal keys of two kinds of work never meet. A literal, such as
     * {@code "queue:orders"}, or a template with SpEL in {@code #{...}}, such as {@code "webhook:#{#provider}"}.
     * Empty means the method's identity, its declaring class and name, such as
     * {@code "com.example.OrderListener.ship"}: renaming the method then changes the scope, so name it when keys
     * must outlive a refactoring.
     */
    String keyScope() default "";

    /**
     * For a bean method: a SpEL expression giving what the call asks for, such as {@code "#event"} or
     * {@code "#event.amount"}. A later call with the same key and a different fingerprint is not a duplicate but a
     * key reused for other content: it throws {@link IdempotencyKeyReusedException} and neither runs the method nor
     * returns the stored value. A string or byte array is used as it is; any other value is serialized with the
     * application's JSON mapper (or by {@code toString()} without one). Empty (the default) means the key alone
     * decides.
     */
    String fingerprint() default "";

    /**
     * For a bean method: how long a call waits while another call with the same key runs, as a duration string such
     * as {@code "30s"}. When the other call completes in time this one returns its result without running; when it
     * fails, or its lease runs out after a crash, this one runs. Empty (the default) waits not at all: the call
     * throws {@link IdempotencyInProgressException} at once, which a listener container answers by redelivering the
     * message later. If the wait ends with the key still held, the exception is thrown too.
     */
    String inFlightWait() default "";

    /**
     * For a handler method: whether the key header is required. When {@code true} (the default) a request without it gets 400
     * ({@code key-missing}); when {@code false} it runs unprotected.
     */
    boolean required() default true;

    /**
     * How long the response (or return value) is replayed, as a duration string such as {@code "10m"}, {@code "48h"} or an ISO-8601
     * duration. Empty means {@code idempotency.ttl}.
     */
    String ttl() default "";

    /** For a handler method: whose keys these are; see {@link IdempotencyScope}. */
    IdempotencyScope scope() default IdempotencyScope.PRINCIPAL;

    /**
     * For a handler method: the name of an {@link IdempotencyScopeResolver} bean to use for this handler instead of the default one. Naming a
     * resolver here changes this handler only; the default stays the bean marked
     * {@link DefaultIdempotencyScopeResolver}. A name without such a bean fails the startup. Ignored when
     * {@link #scope()} is {@link IdempotencyScope#GLOBAL}.
     */
    String scopeResolver() default "";

    /**
     * For a handler method: request headers that are part of this handler's fingerprint (case-insensitive), in addition to
     * {@code idempotency.fingerprint.headers}: the same key sent with another value of one of them (or without it)
     * is answered with 422 {@code key-reused}, never with the stored response. For a header that selects what the
     * request acts on, such as {@code X-Account-Id}.
     */
    String[] fingerprintHeaders() default {};
}
