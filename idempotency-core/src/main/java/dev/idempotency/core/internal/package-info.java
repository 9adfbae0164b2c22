/**
 * The engine's machinery, not API: public only so that the engine and the project's other modules can reach it. It
 * may change in any release. Here are the lease heartbeat and its threads, the settling of a claim with its retries,
 * the store instrumented for the listener, and the guarded dispatch of events to listeners.
 */
@NullMarked
package dev.idempotency.core.internal;

import org.jspecify.annotations.NullMarked;
