/**
 * The servlet side: {@link dev.idempotency.spring.web.IdempotencyFilter}, whose class Javadoc lists the steps of a
 * request and the package-private class doing each one, and the resolver that finds a request's
 * {@link dev.idempotency.spring.Idempotent} handler. Applications use the filter's constants
 * ({@link dev.idempotency.spring.web.IdempotencyFilter#KEY_ATTRIBUTE}); the rest is wired by the auto-configuration.
 */
@NullMarked
package dev.idempotency.spring.web;

import org.jspecify.annotations.NullMarked;
