package dev.idempotency.spring.web;

import dev.idempotency.core.ActiveClaim;
import dev.idempotency.core.IdempotencyContext;
import dev.idempotency.core.IdempotencyKey;
import dev.idempotency.core.IdempotencyOutcome;
import dev.idempotency.spring.NotReplayableReason;
import dev.idempotency.spring.observation.IdempotencyObservations.CompletionOutcome;
import dev.idempotency.spring.observation.IdempotencyObservations.RunObservation;
import dev.idempotency.spring.observation.LogContext;
import io.micrometer.observation.Observation;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.lang.reflect.Method;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.springframework.web.context.request.async.AsyncRequestTimeoutException;
import org.springframework.web.context.request.async.WebAsyncUtils;
import org.springframework.web.util.WebUtils;

/**
 * One run of a protected handler under its claim: the captured response, and the one place that turns what the
 * handler did into the claim's settlement. Every path settles the claim exactly once:
 * <ul>
 *   <li><b>Synchronous handler:</b> when it returns, the captured response is stored (or, when it cannot be replayed,
 *       kept as completed, not replayable) or the key released, as the outcome policy says; then the body goes to the
 *       client.</li>
 *   <li><b>Exception:</b> thrown before any byte reached the client, the key is released; thrown after, the work
 *       has visibly run, so the key is kept as not replayable ({@link NotReplayableReason#FAILED_AFTER_COMMIT}).</li>
 *   <li><b>Asynchronous result</b> ({@code Callable}, {@code WebAsyncTask}, {@code DeferredResult},
 *       {@code CompletableFuture}): the response keeps being captured; the asynchronous dispatch that writes the work's
 *       result settles the claim like a synchronous return, so the result is stored and replayed.</li>
 *   <li><b>Asynchronous request that ended before its work</b> (timeout, container error): the client gets the
 *       timeout's response, but the claim stays held, its lease renewed, until the work really ends. A
 *       {@code Callable}'s end is reported by {@link AsyncWorkInterceptor}: returning keeps the key as not replayable
 *       ({@link NotReplayableReason#WORK_OUTLIVED_REQUEST}), and so does a failure caused by the interrupt Spring sends a
 *       timed-out task; a failure of the work's own releases it. Work whose end Spring does not report
 *       ({@code DeferredResult}, {@code CompletableFuture}) holds the key until the work limit, counted from the end of
 *       the request, then keeps it as not replayable ({@link NotReplayableReason#OUTCOME_UNKNOWN}): it may have run, so
 *       it is never released. While the request is open, its key is held however long that takes.</li>
 *   <li><b>Failure after the hand-off:</b> once asynchronous processing started, a failure further down the chain never
 *       releases the key; the end of the request or of the work settles it.</li>
 *   <li><b>Streaming handler</b> (SSE, {@code ResponseBodyEmitter}, {@code StreamingResponseBody}): the body streams to
 *       the client as it is written; when the asynchronous request ends, the key is kept as not replayable
 *       ({@link NotReplayableReason#STREAMED}).</li>
 * </ul>
 * While a run is unsettled its claim's heartbeat renews the lease, so a retry gets 409.
 */
final class HandlerRun implements AsyncListener {

    /** Request attribute holding the run, for the asynchronous dispatch and for {@link AsyncWorkInterceptor}. */
    static final String ATTRIBUTE = HandlerRun.class.getName();

    private static final Log log = LogFactory.getLog(HandlerRun.class);

    private final IdempotencyKey key;
    private final ActiveClaim<HttpResult> claim;
    private final RunObservation observation;
    private final CapturingResponse capture;
    private final ResponseReplayer replayer;
    private final Settled report;
    private final long startNanos = System.nanoTime();
    /** Guarded by {@code this}. */
    private boolean settled;
    /** Guarded by {@code this}: the asynchronous request ended (timeout, error) while its work still ran. */
    private boolean requestEnded;
    /**
     * Guarded by {@code this}: the answer of a request that ended before its work went to the client, and
     * {@link #sentStatus} is its status. Until then a work end waits: a timeout is signalled before its dispatch
     * renders the 503, and a work interrupted by that timeout can end in between.
     */
    private boolean responseSent;
    /** Guarded by {@code this}: what the asynchronous work ended with, once it did ({@code null} while it runs). */
    private WorkEnd workEnd;
    /** Guarded by {@code this}: a {@code Callable}'s task started; or it never will, because its request is over. */
    private boolean workStarted;
    private boolean workCancelled;
    private volatile boolean streaming;
    /** Guarded by {@code this}: armed once, when the request ended before its work. */
    private ScheduledFuture<?> limitTask;
    private volatile Duration workLimit;
    private volatile ScheduledExecutorService limitScheduler;
    /**
     * The status the client got, as last seen on a container thread. Once the request is over the container recycles
     * the response, so settlements on other threads (the work's end, the work limit) use this instead.
     */
    private volatile int sentStatus;

    private record WorkEnd(Object result) {}

    /** Told once the claim was settled with a result, with how long the run took. */
    @FunctionalInterface
    interface Settled {
        void settled(IdempotencyOutcome.Executed<HttpResult> executed, Duration elapsed);
    }

    HandlerRun(IdempotencyKey key, ActiveClaim<HttpResult> claim, RunObservation observation, CapturingResponse capture,
            ResponseReplayer replayer, Settled report) {
        this.key = key;
        this.claim = claim;
        this.observation = observation;
        this.capture = capture;
        this.replayer = replayer;
        this.report = report;
    }

    IdempotencyKey key() {
        return key;
    }

    /**
     * Makes this run the current observation and puts its key hash and claim outcome into the MDC, on the calling
     * thread, until the returned context is closed: around each part of the handler, on whichever thread runs it.
     */
    ThreadContext enterThread() {
        Observation.Scope scope = observation.openScope();
        LogContext logContext = LogContext.put(observation.keyHash(), observation.outcome().tagValue());
        return new ThreadContext(observation, scope, logContext);
    }

    /** What {@link #enterThread} put on a thread, removed again by {@link #close}. */
    record ThreadContext(RunObservation observation, Observation.Scope scope, LogContext logContext) implements AutoCloseable {
        @Override
        public void close() {
            logContext.close();
            observation.closeScope(scope);
        }
    }

    /** What the handler may know and do about its key; see {@link IdempotencyContextArgumentResolver}. */
    IdempotencyContext context() {
        return claim;
    }

    /** The handler returned on the servlet thread without starting asynchronous processing. */
    void handlerReturned() throws IOException {
        settle(captured());
        capture.copyBodyToResponse();
    }

    /** The handler (or the asynchronous dispatch) threw: releases the key, unless the client already got bytes. */
    void handlerFailed(Throwable failure) {
        if (capture.isStreaming() || capture.getResponse().isCommitted()) {
            settle(HttpResult.notReplayable(capture.getStatus(), replayer.replayableHeaders(capture),
                    NotReplayableReason.FAILED_AFTER_COMMIT));
            return;
        }
        release(failure);
    }

    /**
     * The handler started asynchronous processing (the work is handed off: from now on a failure never releases the
     * key before the work's end is known). Streaming handlers stream from now on; everything else keeps being
     * captured for the asynchronous dispatch.
     *
     * @param workLimit how long the run may stay unsettled once its request ended before its work; then the key is
     *     kept as not replayable. While the request is open, the key is held as long as it is.
     */
    void asyncStarted(HttpServletRequest request, Method handler, Duration workLimit, ScheduledExecutorService scheduler)
            throws IOException {
        this.workLimit = workLimit;
        this.limitScheduler = scheduler;
        sentStatus = capture.getStatus();
        request.getAsyncContext().addListener(this);
        if (StreamingHandlers.isStreaming(handler, capture.getContentType())) {
            streaming = true;
            capture.streamThrough(NotReplayableReason.STREAMED);
        }
    }

    /**
     * Runs the asynchronous dispatch through the rest of the chain and settles the run when it wrote the work's
     * result. A dispatch that renders a timeout or a container error only passes its response to the client: the
     * work still runs, and its end settles the run.
     */
    void asyncDispatch(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws IOException, ServletException {
        boolean requestOutlived = WebAsyncUtils.getAsyncManager(request).getConcurrentResult() instanceof AsyncRequestTimeoutException;
        synchronized (this) {
            requestOutlived |= requestEnded;
        }
        if (requestOutlived && !streaming) {
            timeoutDispatch(request, response, chain);
            return;
        }
        try (ThreadContext context = enterThread()) {
            chain.doFilter(request, response);
        } catch (IOException | ServletException | RuntimeException | Error e) {
            if (!streaming && !request.isAsyncStarted()) {
                handlerFailed(e);
            }
            throw e;
        }
        if (request.isAsyncStarted()) {
            return; // another asynchronous cycle; its dispatch or end settles the run
        }
        if (streaming) {
            capture.copyBodyToResponse();
            return; // settled when the asynchronous request ends
        }
        if (WebUtils.getNativeResponse(response, CapturingResponse.class) != capture) {
            // The dispatch wrote around the capture (startAsync without the filter's response): its body is unknown.
            settle(HttpResult.notReplayable(capture.getStatus(), replayer.replayableHeaders(capture),
                    NotReplayableReason.OUTCOME_UNKNOWN));
            return;
        }
        handlerReturned();
    }

    /**
     * The dispatch of a request that ended before its work (a timeout, a container error): its response goes to the
     * client, and the run waits for the work's end, however this dispatch ends.
     */
    private void timeoutDispatch(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws IOException, ServletException {
        boolean failed = true;
        try {
            chain.doFilter(request, response);
            failed = false;
        } finally {
            if (!request.isAsyncStarted()) {
                // An exception that escapes the dispatch is answered with 500 by the container, after the filter.
                sentStatus = failed ? 500 : capture.getStatus();
                if (!failed) {
                    capture.copyBodyToResponse();
                }
                requestEnded();
            }
        }
    }

    /**
     * Reported by {@link AsyncWorkInterceptor} on the thread that ran a {@code Callable}, when it returned or threw.
     * Settles the run only if its request already ended; otherwise the asynchronous dispatch of the result does.
     */
    /**
     * Reported by {@link AsyncWorkInterceptor} just before a {@code Callable} runs: {@code false} when its request
     * ended first and the key was released because the work never started; the task must then not run.
     */
    synchronized boolean workStarting() {
        if (workCancelled) {
            return false;
        }
        workStarted = true;
        return true;
    }

    /**
     * Reported by {@link AsyncWorkInterceptor} when a {@code Callable}'s request completes. A task that has not started
     * by then (a saturated executor; Spring cancels a timed-out task that has not started) did nothing, so its key is
     * released rather than held for the work limit and then kept; {@link #workStarting} stops it if it starts anyway.
     */
    void requestCompletedForCallable() {
        synchronized (this) {
            if (workStarted || settled || !requestEnded || streaming) {
                return;
            }
            workCancelled = true;
        }
        release(new IllegalStateException("the asynchronous task of " + key + " never started before its request ended"));
    }

    void workEnded(Object resultOrFailure) {
        boolean settleNow;
        synchronized (this) {
            workEnd = new WorkEnd(resultOrFailure);
            settleNow = responseSent && !settled;
        }
        if (settleNow) {
            settleAfterWork(resultOrFailure);
        }
    }

    @Override
    public void onTimeout(AsyncEvent event) {
        if (!streaming) {
            markRequestEnded();
        }
    }

    @Override
    public void onError(AsyncEvent event) {
        onTimeout(event);
    }

    @Override
    public void onComplete(AsyncEvent event) {
        if (streaming) {
            settle(HttpResult.notReplayable(capture.getStatus(), replayer.replayableHeaders(capture), NotReplayableReason.STREAMED));
            return;
        }
        boolean unobserved;
        synchronized (this) {
            unobserved = !settled && !requestEnded;
        }
        if (!unobserved) {
            synchronized (this) {
                if (!responseSent) {
                    // Ended without a dispatch through the filter after its timeout or error: its status is this one.
                    sentStatus = capture.getStatus();
                }
            }
            requestEnded(); // the work may still run: from now on the work limit applies
        } else {
            // The request completed without an asynchronous dispatch through the filter: what the client got is unknown.
            settle(HttpResult.notReplayable(capture.getStatus(), Map.of(), NotReplayableReason.OUTCOME_UNKNOWN));
        }
    }

    @Override
    public void onStartAsync(AsyncEvent event) {
        // Asynchronous processing started again (a further dispatch): keep listening to the new cycle.
        event.getAsyncContext().addListener(this);
    }

    /** The client has the answer of a request that ended before its work, with {@link #sentStatus}. */
    private void requestEnded() {
        markRequestEnded();
        WorkEnd ended;
        synchronized (this) {
            responseSent = true;
            ended = settled ? null : workEnd;
        }
        if (ended != null) {
            settleAfterWork(ended.result());
        }
    }

    /**
     * The request ended before its work: from now on the work limit runs. Armed once, and only now, because while the
     * request is open its key is rightly held, however long that takes.
     */
    private void markRequestEnded() {
        synchronized (this) {
            requestEnded = true;
            if (settled || limitTask != null || limitScheduler == null) {
                return;
            }
            try {
                limitTask = limitScheduler.schedule(this::limitReached, workLimit.toMillis(), TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException e) {
                // The filter is being destroyed: the end of the work still settles the run.
                if (log.isDebugEnabled()) {
                    log.debug("No work limit for the asynchronous request " + key + ": the filter is shut down");
                }
            }
        }
    }

    /**
     * The work ended after its request: returning keeps the key as not replayable; a failure of its own releases it.
     * A failure caused by an interrupt does not: Spring interrupts a timed-out {@code Callable}, which says nothing
     * about what the work had done by then.
     */
    private void settleAfterWork(Object resultOrFailure) {
        if (resultOrFailure instanceof Throwable failure && !interrupted(failure)) {
            release(failure);
            return;
        }
        settle(HttpResult.notReplayable(sentStatus, Map.of(), NotReplayableReason.WORK_OUTLIVED_REQUEST));
    }

    private static boolean interrupted(Throwable failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause() == cause ? null : cause.getCause()) {
            if (cause instanceof InterruptedException || cause instanceof java.io.InterruptedIOException
                    || cause instanceof java.nio.channels.ClosedByInterruptException) {
                return true;
            }
        }
        return false;
    }

    /** Releases the key after a failure that sent the client nothing of the work's result. */
    private void release(Throwable failure) {
        if (!startSettling()) {
            return;
        }
        observation.abandon(claim, failure);
    }

    private void limitReached() {
        log.warn("The asynchronous work of " + key + " did not report its end within idempotency.async.work-limit; "
                + "the key is kept as completed without a replayable response, so a retry does not run it again");
        settle(HttpResult.notReplayable(sentStatus, Map.of(), NotReplayableReason.OUTCOME_UNKNOWN));
    }

    /** Marks the run settled and cancels its work limit; false when another path settled it first. */
    private boolean startSettling() {
        synchronized (this) {
            if (settled) {
                return false;
            }
            settled = true;
        }
        cancelLimit();
        return true;
    }

    private void settle(HttpResult result) {
        if (!startSettling()) {
            return;
        }
        Observation completion = observation.completionStarted();
        IdempotencyOutcome.Executed<HttpResult> executed;
        try {
            executed = claim.finish(result);
        } catch (RuntimeException | Error e) {
            observation.settlingFailed(completion, e);
            log.warn("Settling the claim on " + key + " failed", e);
            return;
        }
        observation.settled(completion, completionOutcome(executed));
        try {
            report.settled(executed, Duration.ofNanos(System.nanoTime() - startNanos));
        } catch (RuntimeException | Error e) {
            log.warn("Reporting the settled claim on " + key + " failed", e);
        }
    }

    private void cancelLimit() {
        ScheduledFuture<?> limit;
        synchronized (this) {
            limit = limitTask;
        }
        if (limit != null) {
            limit.cancel(false);
        }
    }

    private static CompletionOutcome completionOutcome(IdempotencyOutcome.Executed<HttpResult> executed) {
        return CompletionOutcome.of(executed.completion(), executed.result().replayable());
    }

    /** The response of what the handler returned, as captured. */
    private HttpResult captured() {
        NotReplayableReason reason = capture.notReplayableReason();
        if (reason != null) {
            return HttpResult.notReplayable(capture.getStatus(), replayer.replayableHeaders(capture), reason);
        }
        return new HttpResult(capture.getStatus(), replayer.replayableHeaders(capture), capture.body(), null);
    }
}
