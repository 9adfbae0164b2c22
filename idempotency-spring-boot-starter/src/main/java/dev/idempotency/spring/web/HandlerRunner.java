package dev.idempotency.spring.web;

import dev.idempotency.core.ActiveClaim;
import dev.idempotency.core.IdempotencyKey;
import dev.idempotency.core.IdempotencyOutcome;
import dev.idempotency.spring.IdempotencyProperties;
import dev.idempotency.spring.NotReplayableReason;
import dev.idempotency.spring.observation.IdempotencyObservations.RunObservation;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.lang.reflect.Method;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

/**
 * Runs a protected handler while its {@link ActiveClaim} holds the key: the response is captured (up to
 * {@code max-response-size}), and a {@link HandlerRun} settles the claim when the handler returns or throws, or, for
 * an asynchronous request, when its work's result is dispatched or its work ends; see its Javadoc for every path.
 * Once settled, the run's duration feeds {@link RetryAfter} and an unstored response is reported to the listeners.
 */
final class HandlerRunner {

    /** The filter's logger: these lines are its decisions, and where users configure its logging. */
    private static final Log log = LogFactory.getLog(IdempotencyFilter.class);

    private final IdempotencyProperties properties;
    private final ResponseReplayer replayer;
    private final RetryAfter retryAfter;
    private final WebListeners listeners;
    /**
     * Runs the safety limits of asynchronous requests, one delayed task per request (cancelled when the request ends)
     * on one daemon thread shared by all of them, which exits when no request needs it.
     */
    private final ScheduledThreadPoolExecutor asyncLimits = asyncLimitScheduler();

    HandlerRunner(IdempotencyProperties properties, ResponseReplayer replayer, RetryAfter retryAfter, WebListeners listeners) {
        this.properties = properties;
        this.replayer = replayer;
        this.retryAfter = retryAfter;
        this.listeners = listeners;
    }

    /** Runs the handler on this thread; {@code wrappedRequest} is the request as fingerprinted. */
    void run(ActiveClaim<HttpResult> claim, RunObservation observation, Method handler, HttpServletRequest wrappedRequest,
            HttpServletResponse response, FilterChain chain) throws IOException, ServletException {
        IdempotencyKey key = claim.key();
        if (log.isDebugEnabled()) {
            log.debug("Executing " + wrappedRequest.getMethod() + " " + wrappedRequest.getRequestURI() + " for " + key);
        }
        CapturingResponse capture = new CapturingResponse(response,
                (int) Math.min(Integer.MAX_VALUE, properties.getMaxResponseSize().toBytes()));
        HandlerRun run = new HandlerRun(key, claim, observation, capture, replayer, (executed, elapsed) -> {
            if (executed.result().replayable() || executed.result().notReplayable() != NotReplayableReason.OUTCOME_UNKNOWN) {
                retryAfter.record(handler, elapsed);
            }
            reportExecuted(key, executed);
        });
        wrappedRequest.setAttribute(HandlerRun.ATTRIBUTE, run);
        try (HandlerRun.ThreadContext context = run.enterThread()) {
            chain.doFilter(wrappedRequest, capture);
        } catch (IOException | ServletException | RuntimeException | Error e) {
            if (wrappedRequest.isAsyncStarted()) {
                // The work was handed off before something further down the chain threw: never release while it runs.
                run.asyncStarted(wrappedRequest, handler, properties.getAsync().getWorkLimit(), asyncLimits);
            } else {
                run.handlerFailed(e); // settled before the error propagates
            }
            throw e;
        }
        if (!wrappedRequest.isAsyncStarted()) {
            try {
                run.handlerReturned();
            } catch (IOException | RuntimeException | Error e) {
                run.handlerFailed(e);
                throw e;
            }
            return;
        }
        run.asyncStarted(wrappedRequest, handler, properties.getAsync().getWorkLimit(), asyncLimits);
    }

    /** The asynchronous dispatch of a protected request: its {@link HandlerRun} takes over. */
    void asyncDispatch(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws IOException, ServletException {
        if (request.getAttribute(HandlerRun.ATTRIBUTE) instanceof HandlerRun run) {
            run.asyncDispatch(request, response, chain);
        } else {
            chain.doFilter(request, response);
        }
    }

    /** Pending safety limits are dropped: the AsyncContexts still running settle their claims when they end. */
    void shutdown() {
        asyncLimits.shutdownNow();
    }

    private void reportExecuted(IdempotencyKey key, IdempotencyOutcome.Executed<HttpResult> executed) {
        HttpResult result = executed.result();
        if (!result.replayable()) {
            NotReplayableReason reason = result.notReplayable();
            listeners.notify(listener -> listener.responseNotStored(key, reason));
            if (log.isInfoEnabled()) {
                log.info("The response for " + key + " cannot be replayed (" + reason.description() + "); the key is "
                        + (executed.completion() == IdempotencyOutcome.Completion.RELEASED
                                ? "released, as the outcome policy says for status " + result.status()
                                : "kept, so a retry gets response-not-replayable instead of running again"));
            }
        } else if (log.isDebugEnabled()) {
            log.debug("Executed " + key + ": status " + result.status() + ", " + executed.completion());
        }
    }

    private static ScheduledThreadPoolExecutor asyncLimitScheduler() {
        AtomicInteger count = new AtomicInteger();
        ScheduledThreadPoolExecutor scheduler = new ScheduledThreadPoolExecutor(1, runnable -> {
            Thread thread = new Thread(runnable, "idempotency-async-limit-" + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
        scheduler.setRemoveOnCancelPolicy(true);
        scheduler.setKeepAliveTime(30, TimeUnit.SECONDS);
        scheduler.allowCoreThreadTimeOut(true);
        return scheduler;
    }
}
