package dev.idempotency.spring;

/**
 * Why a handler's response cannot be replayed although the handler ran. Such a key is kept as <em>completed, not
 * replayable</em> (status and replayable headers without the body), unless the outcome policy releases it (5xx, or a
 * status in {@code idempotency.release-statuses}): the work ran, so a retry must not run it again. A retry gets the
 * problem {@link IdempotencyProblem#RESPONSE_NOT_REPLAYABLE}.
 */
public enum NotReplayableReason {

    /** The body was larger than {@code idempotency.max-response-size}; it was streamed to the client unstored. */
    TOO_LARGE("the response was larger than idempotency.max-response-size"),
    /**
     * The handler (or an exception resolver) called {@code sendError}: the container renders the error page after the
     * filter returned, so the filter never sees the body.
     */
    ERROR_SENT("the response was sent as an error page"),
    /** A streaming response: server-sent events, {@code ResponseBodyEmitter}, {@code StreamingResponseBody}. */
    STREAMED("the response was streamed"),
    /** The handler threw after part of the response had already reached the client. */
    FAILED_AFTER_COMMIT("the handler failed after the response was sent"),
    /**
     * Asynchronous work (a {@code Callable} or {@code WebAsyncTask}) finished after its request had timed out or
     * failed; the client got the timeout's response, not the work's.
     */
    WORK_OUTLIVED_REQUEST("the asynchronous work finished after its request had timed out"),
    /**
     * Asynchronous work whose end the filter cannot observe ({@code DeferredResult}, {@code CompletableFuture})
     * outlived its request, within {@code idempotency.async.work-limit} after the request ended.
     * The work may or may not have run, so the key is not released.
     */
    OUTCOME_UNKNOWN("the asynchronous work did not report its end");

    private final String description;

    NotReplayableReason(String description) {
        this.description = description;
    }

    /** A sentence fragment for log lines and problem details. */
    public String description() {
        return description;
    }
}
