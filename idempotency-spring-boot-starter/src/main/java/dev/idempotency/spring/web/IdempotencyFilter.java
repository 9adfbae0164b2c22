package dev.idempotency.spring.web;

import dev.idempotency.core.ActiveClaim;
import dev.idempotency.core.IdempotencyClaim;
import dev.idempotency.core.IdempotencyEngine;
import dev.idempotency.core.IdempotencyEngineClosedException;
import dev.idempotency.core.IdempotencyKey;
import dev.idempotency.core.IdempotencyKeyValidator;
import dev.idempotency.core.IdempotencyOutcome;
import dev.idempotency.core.IdempotentRequest;
import dev.idempotency.core.InvalidIdempotencyKeyException;
import dev.idempotency.core.OutcomePolicy;
import dev.idempotency.core.internal.StackTraceThrottle;
import dev.idempotency.core.store.IdempotencyStoreException;
import dev.idempotency.spring.Idempotent;
import dev.idempotency.spring.IdempotencyProblem;
import dev.idempotency.spring.IdempotencyProperties;
import dev.idempotency.spring.IdempotencyScopeResolver;
import dev.idempotency.spring.IdempotencyWebListener;
import dev.idempotency.spring.observation.IdempotencyObservations;
import dev.idempotency.spring.observation.IdempotencyObservations.ClaimObservation;
import dev.idempotency.spring.observation.IdempotencyObservations.ClaimOutcome;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.lang.reflect.Method;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.springframework.core.Ordered;
import org.springframework.web.cors.CorsProcessor;
import org.springframework.web.cors.DefaultCorsProcessor;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * The {@code Idempotency-Key} servlet filter: runs a protected request's handler at most once per key and scope,
 * and answers retries with the stored response.
 *
 * <p>For each request (the class doing each step in brackets):
 * <ol>
 *   <li>Ask the application's handler mappings which handler method will serve it ({@code IdempotentHandlerResolver}).
 *       Only a handler annotated with {@link Idempotent} is protected (or, with {@code intercept-all-with-header}, any
 *       request that carries the header and uses one of the configured methods). Everything else passes through
 *       untouched.</li>
 *   <li>A handler with {@code required = false} reached without the key header runs unprotected.</li>
 *   <li>Resolve the scope ({@code ScopeSelector}): {@code global} for {@code scope = GLOBAL}, else the handler's named
 *       resolver or the default one ({@link dev.idempotency.spring.DefaultIdempotencyScopeResolver}; the caller's
 *       identity by default). No identity is 401 {@code principal-required} with {@code idempotency.anonymous=reject}
 *       (the default), or the {@code global} scope with {@code global}. Nothing is claimed.</li>
 *   <li>Read the key header ({@code IdempotencyKeyHeader}): missing on a required handler is 400 {@code key-missing};
 *       sent twice, malformed, empty, too long or not printable ASCII is 400 {@code key-invalid}. Nothing is
 *       claimed.</li>
 *   <li>Fingerprint the request ({@code RequestFingerprinter}: method, route, handler method, path, query, scope, media
 *       type, configured headers, canonical body), reading the body once up to {@code max-request-size}: 413 above it,
 *       400 for JSON that does not parse or nests deeper than {@code fingerprint.max-json-depth}. Nothing is
 *       claimed.</li>
 *   <li>Hand the request to the {@link IdempotencyEngine}. If it runs the handler ({@code HandlerRunner}), the
 *       response body is held back (up to {@code max-response-size}) so it can be stored before the client sees it. A
 *       {@code HandlerRun} settles the claim once the work is over: the outcome policy releases the key for 5xx, the
 *       configured release statuses and exceptions thrown before anything reached the client; every other response is
 *       stored, replayable when its body was captured, otherwise as <em>completed, not replayable</em> (too large,
 *       streamed, sent as an error page, failed after commit). An asynchronous request is settled by the asynchronous
 *       dispatch that writes its work's result, or, when the request timed out first, when the work really ends. Until
 *       then the claim's lease is renewed, so a retry gets 409.</li>
 *   <li>A completed key with the same fingerprint replays the stored status, allowlisted headers and body with
 *       {@code Idempotent-Replayed: true} ({@code ResponseReplayer}; {@code response-not-replayable} when the body could
 *       not be stored); a different fingerprint is 422 {@code key-reused}; a request still running is 409
 *       {@code key-in-use} with {@code Retry-After} ({@code RetryAfter}), after an optional wait.</li>
 *   <li>If the store fails during the claim the handler does not run and the answer is 503
 *       {@code store-unavailable}, unless {@code fail-open} runs it unprotected.</li>
 * </ol>
 * Every problem answer is written by {@code ProblemAnswers}, with the status configured for it under
 * {@code idempotency.status}.
 */
public class IdempotencyFilter extends OncePerRequestFilter implements Ordered {

    /** Marks a replayed response, as Stripe does. */
    static final String REPLAYED_HEADER = ResponseReplayer.REPLAYED_HEADER;

    /**
     * Request attribute holding the {@link IdempotencyKey} (scope and key) that the filter claimed for the handler
     * now running. Set only when the handler runs, never for a replay or a rejected request. A handler derives the
     * keys for its calls to foreign systems from it, so that a run after a crash sends the same ones:
     * <pre>{@code
     * IdempotencyKey key = (IdempotencyKey) request.getAttribute(IdempotencyFilter.KEY_ATTRIBUTE);
     * gateway.charge(key.derive("charge"), amount);
     * }</pre>
     */
    public static final String KEY_ATTRIBUTE = IdempotencyFilter.class.getName() + ".KEY";

    private static final Log log = LogFactory.getLog(IdempotencyFilter.class);

    private final IdempotencyEngine engine;
    private final IdempotencyProperties properties;
    private final IdempotentHandlerResolver handlerResolver;
    private final WebListeners listeners;
    private final Set<String> methods;
    /**
     * Applies the handler's CORS configuration up front, so replays and the filter's own problem responses carry
     * the same CORS headers as a response of the handler (Spring MVC's CORS interceptor leaves a response that
     * already has them alone).
     */
    private final CorsProcessor corsProcessor = new DefaultCorsProcessor();
    private final ScopeSelector scopes;
    private final IdempotencyKeyHeader keyHeader;
    private final RequestFingerprinter fingerprinter;
    private final OutcomePolicy<HttpResult> outcomePolicy;
    private final ResponseReplayer replayer;
    private final RetryAfter retryAfter;
    private final ProblemAnswers problems;
    private final StackTraceThrottle storeFailures = new StackTraceThrottle(Duration.ofMinutes(1));
    private final HandlerRunner runner;
    private final IdempotencyObservations observations;

    public IdempotencyFilter(IdempotencyEngine engine, IdempotencyProperties properties,
            IdempotentHandlerResolver handlerResolver, IdempotencyScopeResolver scopeResolver,
            Function<String, IdempotencyScopeResolver> namedScopeResolvers, List<IdempotencyWebListener> listeners) {
        this(engine, properties, handlerResolver, scopeResolver, namedScopeResolvers, listeners,
                IdempotencyObservations.noop());
    }

    /**
     * @param observations the observations of each claim, handler run and completion ({@link IdempotencyObservations})
     */
    public IdempotencyFilter(IdempotencyEngine engine, IdempotencyProperties properties,
            IdempotentHandlerResolver handlerResolver, IdempotencyScopeResolver scopeResolver,
            Function<String, IdempotencyScopeResolver> namedScopeResolvers, List<IdempotencyWebListener> listeners,
            IdempotencyObservations observations) {
        this.engine = engine;
        this.observations = observations;
        this.properties = properties;
        this.handlerResolver = handlerResolver;
        this.listeners = new WebListeners(listeners);
        this.methods = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);
        this.methods.addAll(properties.getMethods());
        this.scopes = new ScopeSelector(properties, scopeResolver, namedScopeResolvers);
        this.keyHeader = new IdempotencyKeyHeader(properties.getHeaderName(),
                new IdempotencyKeyValidator(properties.getMaxKeyLength()));
        this.fingerprinter = new RequestFingerprinter(properties.getMaxRequestSize().toBytes(), properties.getFingerprint());
        this.outcomePolicy = HttpResult.outcomePolicy(properties.getReleaseStatuses(), properties.isStoreServerErrors());
        this.replayer = new ResponseReplayer(properties.getReplayHeaders());
        this.retryAfter = new RetryAfter(properties.getInFlight());
        this.problems = new ProblemAnswers(properties);
        this.runner = new HandlerRunner(properties, replayer, retryAfter, this.listeners);
    }

    /** The asynchronous dispatch writes the work's result, which settles the claim (see {@link HandlerRun}). */
    @Override
    protected boolean shouldNotFilterAsyncDispatch() {
        return false;
    }

    @Override
    public int getOrder() {
        return properties.getFilterOrder();
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        if (isAsyncDispatch(request)) {
            // The dispatch that writes an asynchronous result settles the claim before it writes (see HandlerRun).
            try (IdempotencyEngine.HandOff writing = engine.handOff()) {
                runner.asyncDispatch(request, response, chain);
            }
            return;
        }
        // 1. Which handler serves the request, and whether it is protected.
        IdempotentHandlerResolver.Resolution resolution = handlerResolver.resolve(request);
        Idempotent annotation = resolution.annotation();
        List<String> headerValues = keyHeader.values(request);
        boolean byHeader = annotation == null && properties.isInterceptAllWithHeader() && !headerValues.isEmpty()
                && methods.contains(request.getMethod());
        if (annotation == null && !byHeader) {
            chain.doFilter(request, response);
            return;
        }
        if (resolution.cors() != null && !corsProcessor.processRequest(resolution.cors(), request, response)) {
            // A cross-origin request Spring MVC would refuse (403) before its handler: nothing is claimed.
            return;
        }
        // 2. An optional key that was not sent.
        if (headerValues.isEmpty() && !annotation.required()) {
            chain.doFilter(request, response);
            return;
        }
        // 3. The caller's identity before the key: an anonymous caller of a principal-scoped handler is told to
        // authenticate, whatever else is wrong with its request, and learns nothing about the key rules.
        String scope = scopes.scope(annotation, resolution.handler(), request);
        if (scope == null) {
            listeners.notify(listener -> listener.requestRejected(IdempotencyProblem.PRINCIPAL_REQUIRED));
            debugRejected(request, "no authenticated principal");
            problems.principalRequired(request, response);
            return;
        }
        // 4. The key.
        if (headerValues.isEmpty()) {
            listeners.notify(IdempotencyWebListener::keyMissing);
            debugRejected(request, "no idempotency key");
            problems.keyMissing(request, response);
            return;
        }
        String key;
        try {
            key = keyHeader.key(headerValues);
        } catch (InvalidIdempotencyKeyException e) {
            listeners.notify(listener -> listener.keyInvalid(e.reason()));
            debugRejected(request, "invalid idempotency key (" + e.reason() + ")");
            problems.keyInvalid(e, request, response);
            return;
        }
        // 5. The fingerprint.
        RequestFingerprinter.Fingerprinted fingerprinted;
        try {
            fingerprinted = fingerprinter.fingerprint(request, resolution, scope);
        } catch (RequestRejectedException e) {
            listeners.notify(listener -> listener.requestRejected(e.problem()));
            if (log.isDebugEnabled()) {
                log.debug("Rejected " + scope + "/" + key + ": " + e.problem().slug());
            }
            problems.rejected(e, request, response);
            return;
        }
        // 6 to 8. The claim, and then the handler, a replay or a rejection.
        IdempotentRequest idempotentRequest = new IdempotentRequest(IdempotencyKey.of(scope, key),
                fingerprinted.fingerprint(),
                resolution.ttl() != null ? resolution.ttl() : properties.getTtl(), inFlightWait());
        execute(idempotentRequest, resolution.handler(), fingerprinted.request(), request, response, chain);
    }

    private void execute(IdempotentRequest idempotentRequest, Method handler, HttpServletRequest wrappedRequest,
            HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws IOException, ServletException {
        IdempotencyKey key = idempotentRequest.key();
        IdempotencyClaim<HttpResult> claim;
        ClaimObservation observation = observations.claimStarted(key);
        try {
            claim = engine.begin(idempotentRequest, HttpResult.CODEC, outcomePolicy);
        } catch (IdempotencyStoreException e) {
            observation.failed(ClaimOutcome.STORE_ERROR, e);
            // 8. Thrown only when nothing is known about the key: the one case fail-open may run the handler.
            storeUnavailable(key, e, wrappedRequest, request, response, chain);
            return;
        } catch (IdempotencyEngineClosedException e) {
            observation.failed(ClaimOutcome.SHUTTING_DOWN, e);
            // The application is stopping: refused even with fail-open, which is for store outages only.
            log.info("Refused " + key + ": the application is shutting down");
            listeners.notify(listener -> listener.storeUnavailable(false));
            problems.shuttingDown(request, response);
            return;
        }
        if (claim instanceof ActiveClaim<HttpResult> active) { // 6.
            wrappedRequest.setAttribute(KEY_ATTRIBUTE, active.key());
            // The run stores the response before the client gets it: a graceful stop waits for both.
            try (IdempotencyEngine.HandOff writing = engine.handOff()) {
                runner.run(active, observation.acquired(active.isTakeover() ? ClaimOutcome.TAKEOVER : ClaimOutcome.ACQUIRED),
                        handler, wrappedRequest, response, chain);
            }
        } else if (claim instanceof IdempotencyOutcome.Replayed<HttpResult> replayed) { // 7.
            observation.ended(ClaimOutcome.REPLAYED);
            if (log.isDebugEnabled()) {
                log.debug("Replaying the stored response for " + key);
            }
            HttpResult stored = replayed.result();
            if (stored.replayable()) {
                replayer.replay(stored, response);
            } else {
                replayer.replayNotReplayable(stored, problems.responseNotReplayable(stored, request), response);
            }
        } else if (claim instanceof IdempotencyOutcome.InProgress<HttpResult> inProgress) {
            observation.ended(ClaimOutcome.IN_PROGRESS);
            if (log.isDebugEnabled()) {
                log.debug("Rejected " + key + ": a request with this key is still running");
            }
            problems.keyInUse(retryAfter.seconds(handler, inProgress.retryAfter()), request, response);
        } else if (claim instanceof IdempotencyOutcome.FingerprintMismatch<HttpResult>) {
            observation.ended(ClaimOutcome.MISMATCH);
            log.info("Rejected " + key + ": the key was used before for a different request");
            problems.keyReused(request, response);
        }
    }

    @Override
    public void destroy() {
        runner.shutdown();
        super.destroy();
    }

    private void storeUnavailable(IdempotencyKey key, IdempotencyStoreException error, HttpServletRequest wrappedRequest,
            HttpServletRequest request, HttpServletResponse response, FilterChain chain) throws IOException, ServletException {
        boolean failOpen = properties.isFailOpen();
        listeners.notify(listener -> listener.storeUnavailable(failOpen));
        // An outage fails every request: one line each, the stack trace at most once a minute.
        Throwable stackTrace = storeFailures.stackTraceDue() ? error : null;
        if (failOpen) {
            log.warn("The idempotency store failed; running " + key + " unprotected because idempotency.fail-open is on: "
                    + StackTraceThrottle.summary(error), stackTrace);
            chain.doFilter(wrappedRequest, response);
            return;
        }
        log.error("The idempotency store failed; refusing " + key + " without running it: " + StackTraceThrottle.summary(error),
                stackTrace);
        problems.storeUnavailable(request, response);
    }

    private Duration inFlightWait() {
        IdempotencyProperties.InFlight inFlight = properties.getInFlight();
        return inFlight.getBehavior() == IdempotencyProperties.InFlightBehavior.WAIT ? inFlight.getWaitTimeout() : Duration.ZERO;
    }

    private static void debugRejected(HttpServletRequest request, String why) {
        if (log.isDebugEnabled()) {
            log.debug("Rejected " + request.getMethod() + " " + request.getRequestURI() + ": " + why);
        }
    }
}
