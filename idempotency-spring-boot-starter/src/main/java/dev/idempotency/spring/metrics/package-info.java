/**
 * Micrometer metrics: the meters recorded for engine and filter events, and the gauges of the in-memory store. The
 * meter names are constants of the classes here, for dashboards and alerts.
 */
@NullMarked
package dev.idempotency.spring.metrics;

import org.jspecify.annotations.NullMarked;
