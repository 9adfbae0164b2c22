/**
 * Stops the idempotency engine with the application context, after the web server's graceful shutdown and before the
 * server itself stops, so that requests still running settle their keys.
 */
@NullMarked
package dev.idempotency.spring.lifecycle;

import org.jspecify.annotations.NullMarked;
