/**
 * Tracing and log correlation: the Micrometer observations of each protected request's claim, handler run and
 * completion, and the key hash and claim outcome the filter puts into the logging MDC while the handler runs. The
 * observation and tag names are constants of {@link dev.idempotency.spring.observation.IdempotencyObservations}.
 */
@NullMarked
package dev.idempotency.spring.observation;

import org.jspecify.annotations.NullMarked;
