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
import dev.idempotency.spring.IdempotencyScope;
import dev.idempotency.spring.IdempotencyScopeResolver;
import dev.idempotency.spring.IdempotencyWebListener;
import dev.idempotency.spring.NotReplayableReason;
import dev.idempotency.spring.PrincipalScopeResolver;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.lang.reflect.Method;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
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
 * <p>For each request:
 * <ol>
 *   <li>Ask the application's handler mappings which handler method will serve it. Only a handler annotated with
 *       {@link Idempotent} is protected (or, with {@code intercept-all-with-header}, any request that carries the
 *       header and uses one of the configured methods). Everything else passes through untouched.</li>
 *   <li>A handler with {@code required = false} reached without the key header runs unprotected.</li>
 *   <li>Resolve the scope: {@code global} for {@code scope = GLOBAL}, else the handler's named resolver or the
 *       default one ({@link dev.idempotency.spring.DefaultIdempotencyScopeResolver}; the caller's identity by
 *       default). No identity is 401 {@code principal-required} with {@code idempotency.anonymous=reject} (the
 *       default), or the {@code global} scope with {@code global}. Nothing is claimed.</li>
 *   <li>Read the key header: missing on a required handler is 400 {@code key-missing}; sent twice, malformed,
 *       empty, too long or not printable ASCII is 400 {@code key-invalid}. Nothing is claimed.</li>
 *   <li>Fingerprint the request (method, route, handler method, path, query, scope, media type, configured
 *       headers, canonical body), reading the body once up to {@code max-request-size}: 413 above it, 400 for JSON that
 *       does not parse or nests deeper than {@code fingerprint.max-json-depth}. Nothing is claimed.</li>
 *   <li>Hand the request to the {@link IdempotencyEngine}. If it runs the handler, the response body is held back
 *       (up to {@code max-response-size}) so it can be stored before the client sees it. A {@link HandlerRun} settles
 *       the claim once the work is over: the outcome policy releases the key for 5xx, the configured release statuses
 *       and exceptions thrown before anything reached the client; every other response is stored, replayable when its
 *       body was captured, otherwise as <em>completed, not replayable</em> (too large, streamed, sent as an error page,
 *       failed after commit). An asynchronous request is settled by the asynchronous dispatch that writes its work's
 *       result, or, when the request timed out first, when the work really ends. Until then the claim's lease is
 *       renewed, so a retry gets 409.</li>
 *   <li>A completed key with the same fingerprint replays the stored status, allowlisted headers and body with
 *       {@code Idempotent-Replayed: true} ({@code response-not-replayable} when the body could not be stored); a different fingerprint is 422 {@code key-reused}; a request still
 *       running is 409 {@code key-in-use} with {@code Retry-After}, after an optional wait.</li>
 *   <li>If the store fails during the claim the handler does not run and the answer is 503
 *       {@code store-unavailable}, unless {@code fail-open} runs it unprotected.</li>
 * </ol>
 */
public class IdempotencyFilter extends OncePerRequestFilter implements Ordered {

    /** Marks a replayed response, as Stripe does. */
    public static final String REPLAYED_HEADER = ResponseReplayer.REPLAYED_HEADER;

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
    private final IdempotencyScopeResolver scopeResolver;
    private final Function<String, IdempotencyScopeResolver> namedScopeResolvers;
    private final List<IdempotencyWebListener> listeners;
    private final IdempotencyKeyHeader keyHeader;
    private final RequestFingerprinter fingerprinter;
    private final ResponseReplayer replayer;
    private final HandlerDurations durations = new HandlerDurations();
    private final StackTraceThrottle storeFailures = new StackTraceThrottle(Duration.ofMinutes(1));
    private final Set<String> methods;
    private final OutcomePolicy<HttpResult> outcomePolicy;
    /**
     * Applies the handler's CORS configuration up front, so replays and the filter's own problem responses carry
     * the same CORS headers as a response of the handler (Spring MVC's CORS interceptor leaves a response that
     * already has them alone).
     */
    private final CorsProcessor corsProcessor = new DefaultCorsProcessor();
    private final Set<Method> warnedNoPrincipal = ConcurrentHashMap.newKeySet();
    /**
     * Runs the safety limits of asynchronous requests, one delayed task per request (cancelled when the request ends)
     * on one daemon thread shared by all of them, which exits when no request needs it.
     */
    private final ScheduledThreadPoolExecutor asyncLimits = asyncLimitScheduler();

    public IdempotencyFilter(IdempotencyEngine engine, IdempotencyProperties properties,
            IdempotentHandlerResolver handlerResolver, IdempotencyScopeResolver scopeResolver,
            Function<String, IdempotencyScopeResolver> namedScopeResolvers, List<IdempotencyWebListener> listeners) {
        this.engine = engine;
        this.properties = properties;
        this.handlerResolver = handlerResolver;
        this.scopeResolver = scopeResolver;
        this.namedScopeResolvers = namedScopeResolvers;
        this.listeners = List.copyOf(listeners);
        this.keyHeader = new IdempotencyKeyHeader(new IdempotencyKeyValidator(properties.getMaxKeyLength()));
        this.fingerprinter = new RequestFingerprinter(properties.getMaxRequestSize().toBytes(), properties.getFingerprint());
        this.replayer = new ResponseReplayer(properties.getReplayHeaders());
        this.methods = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);
        this.methods.addAll(properties.getMethods());
        Set<Integer> releaseStatuses = Set.copyOf(properties.getReleaseStatuses());
        boolean storeServerErrors = properties.isStoreServerErrors();
        // Work that ran is never released because its response cannot be replayed: only failures the client may retry
        // are (5xx, the release statuses). Work that finished after its request ended has no response to judge.
        this.outcomePolicy = result -> result.notReplayable() == NotReplayableReason.WORK_OUTLIVED_REQUEST
                || result.notReplayable() == NotReplayableReason.OUTCOME_UNKNOWN
                || ((storeServerErrors || result.status() < 500) && !releaseStatuses.contains(result.status()));
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
            asyncDispatch(request, response, chain);
            return;
        }
        IdempotentHandlerResolver.Resolution resolution = handlerResolver.resolve(request);
        Idempotent annotation = resolution.annotation();
        List<String> headerValues = Collections.list(request.getHeaders(properties.getHeaderName()));
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
        if (headerValues.isEmpty() && !annotation.required()) {
            chain.doFilter(request, response);
            return;
        }
        // The caller's identity before the key: an anonymous caller of a principal-scoped handler is told to
        // authenticate, whatever else is wrong with its request, and learns nothing about the key rules.
        String scope = resolveScope(annotation, resolution.handler(), request);
        if (scope == null) {
            notify(listener -> listener.requestRejected(IdempotencyProblem.PRINCIPAL_REQUIRED));
            if (log.isDebugEnabled()) {
                log.debug("Rejected " + request.getMethod() + " " + request.getRequestURI() + ": no authenticated principal");
            }
            problem(IdempotencyProblem.PRINCIPAL_REQUIRED, properties.getStatus().getPrincipalRequired(),
                    "This endpoint keeps idempotency keys per caller and needs an authenticated caller.", request)
                    .writeTo(response);
            return;
        }
        if (headerValues.isEmpty()) {
            notify(IdempotencyWebListener::keyMissing);
            if (log.isDebugEnabled()) {
                log.debug("Rejected " + request.getMethod() + " " + request.getRequestURI() + ": no idempotency key");
            }
            problem(IdempotencyProblem.KEY_MISSING, properties.getStatus().getKeyMissing(),
                    "This endpoint requires an " + properties.getHeaderName() + " header.", request)
                    .writeTo(response);
            return;
        }
        String key;
        try {
            if (headerValues.size() > 1) {
                throw new InvalidIdempotencyKeyException(InvalidIdempotencyKeyException.Reason.MALFORMED,
                        "The " + properties.getHeaderName() + " header was sent " + headerValues.size() + " times; send it once.");
            }
            key = keyHeader.parse(headerValues.get(0));
        } catch (InvalidIdempotencyKeyException e) {
            notify(listener -> listener.keyInvalid(e.reason()));
            if (log.isDebugEnabled()) {
                log.debug("Rejected " + request.getMethod() + " " + request.getRequestURI() + ": invalid idempotency key (" + e.reason() + ")");
            }
            problem(IdempotencyProblem.KEY_INVALID, properties.getStatus().getKeyInvalid(), e.getMessage(), request)
                    .with("reason", e.reason().name())
                    .writeTo(response);
            return;
        }
        RequestFingerprinter.Fingerprinted fingerprinted;
        try {
            fingerprinted = fingerprinter.fingerprint(request, resolution, scope);
        } catch (RequestRejectedException e) {
            notify(listener -> listener.requestRejected(e.problem()));
            if (log.isDebugEnabled()) {
                log.debug("Rejected " + scope + "/" + key + ": " + e.problem().slug());
            }
            int status = switch (e.problem()) {
                case REQUEST_TOO_LARGE -> properties.getStatus().getRequestTooLarge();
                case INVALID_MULTIPART -> properties.getStatus().getInvalidMultipart();
                default -> properties.getStatus().getInvalidJson();
            };
            problem(e.problem(), status, e.getMessage(), request).writeTo(response);
            return;
        }
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
        try {
            claim = engine.begin(idempotentRequest, HttpResult.CODEC, outcomePolicy);
        } catch (IdempotencyStoreException e) {
            // Thrown only when nothing is known about the key: the one case fail-open may run the handler.
            storeUnavailable(key, e, wrappedRequest, request, response, chain);
            return;
        } catch (IdempotencyEngineClosedException e) {
            // The application is stopping: refused even with fail-open, which is for store outages only.
            log.info("Refused " + key + ": the application is shutting down");
            notify(listener -> listener.storeUnavailable(false));
            problem(IdempotencyProblem.STORE_UNAVAILABLE, properties.getStatus().getStoreUnavailable(),
                    "The server is shutting down, so the request was not processed. Retry with the same key.", request)
                    .writeTo(response);
            return;
        }
        if (claim instanceof ActiveClaim<HttpResult> active) {
            wrappedRequest.setAttribute(KEY_ATTRIBUTE, active.key());
            runHandler(key, active, handler, wrappedRequest, request, response, chain);
        } else if (claim instanceof IdempotencyOutcome.Replayed<HttpResult> replayed) {
            if (log.isDebugEnabled()) {
                log.debug("Replaying the stored response for " + key);
            }
            HttpResult stored = replayed.result();
            if (stored.replayable()) {
                replayer.replay(stored, response);
            } else {
                replayer.replayNotReplayable(stored, problem(IdempotencyProblem.RESPONSE_NOT_REPLAYABLE,
                        properties.getStatus().getResponseNotReplayable(), "The request with this idempotency key was "
                        + "processed (status " + stored.status() + "), but its response cannot be replayed: "
                        + stored.notReplayable().description() + ". Do not retry it; send a new key for a new request.",
                        request), response);
            }
        } else if (claim instanceof IdempotencyOutcome.InProgress<HttpResult> inProgress) {
            if (log.isDebugEnabled()) {
                log.debug("Rejected " + key + ": a request with this key is still running");
            }
            long seconds = retryAfterSeconds(handler, inProgress.retryAfter());
            response.setHeader("Retry-After", Long.toString(seconds));
            problem(IdempotencyProblem.KEY_IN_USE, properties.getStatus().getKeyInUse(),
                    "A request with this idempotency key is still being processed. Retry after " + seconds + " seconds.", request)
                    .writeTo(response);
        } else if (claim instanceof IdempotencyOutcome.FingerprintMismatch<HttpResult>) {
            log.info("Rejected " + key + ": the key was used before for a different request");
            problem(IdempotencyProblem.KEY_REUSED, properties.getStatus().getKeyReused(),
                    "This idempotency key was already used for a different request (method, path or body). Use a new key.", request)
                    .writeTo(response);
        }
    }

    /**
     * Runs the handler on this thread while {@code claim} holds the key. The {@link HandlerRun} settles the claim
     * when the handler returns or throws, or, for an asynchronous request, when its work's result is dispatched or its
     * work ends; see its Javadoc for every path.
     */
    private void runHandler(IdempotencyKey key, ActiveClaim<HttpResult> claim, Method handler, HttpServletRequest wrappedRequest,
            HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws IOException, ServletException {
        if (log.isDebugEnabled()) {
            log.debug("Executing " + request.getMethod() + " " + request.getRequestURI() + " for " + key);
        }
        CapturingResponse capture = new CapturingResponse(response,
                (int) Math.min(Integer.MAX_VALUE, properties.getMaxResponseSize().toBytes()));
        HandlerRun run = new HandlerRun(key, claim, capture, replayer, (executed, elapsed) -> {
            if (executed.result().replayable() || executed.result().notReplayable() != NotReplayableReason.OUTCOME_UNKNOWN) {
                durations.record(handler, elapsed);
            }
            reportExecuted(key, executed);
        });
        wrappedRequest.setAttribute(HandlerRun.ATTRIBUTE, run);
        try {
            chain.doFilter(wrappedRequest, capture);
        } catch (IOException | ServletException | RuntimeException | Error e) {
            run.handlerFailed(e); // settled before the error propagates
            throw e;
        }
        try {
            if (!wrappedRequest.isAsyncStarted()) {
                run.handlerReturned();
                return;
            }
            AsyncContext asyncContext = wrappedRequest.getAsyncContext();
            Duration limit = properties.getAsync().getWorkLimit().plusMillis(Math.max(0, asyncContext.getTimeout()));
            run.asyncStarted(wrappedRequest, handler, limit, asyncLimits);
        } catch (IOException | RuntimeException | Error e) {
            run.handlerFailed(e);
            throw e;
        }
    }

    /** The asynchronous dispatch of a protected request: its {@link HandlerRun} takes over. */
    private void asyncDispatch(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws IOException, ServletException {
        if (request.getAttribute(HandlerRun.ATTRIBUTE) instanceof HandlerRun run) {
            run.asyncDispatch(request, response, chain);
        } else {
            chain.doFilter(request, response);
        }
    }

    private void reportExecuted(IdempotencyKey key, IdempotencyOutcome.Executed<HttpResult> executed) {
        HttpResult result = executed.result();
        if (!result.replayable()) {
            NotReplayableReason reason = result.notReplayable();
            notify(listener -> listener.responseNotStored(key, reason));
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

    @Override
    public void destroy() {
        // Pending safety limits are dropped: the AsyncContexts still running settle their claims when they end.
        asyncLimits.shutdownNow();
        super.destroy();
    }

    private void storeUnavailable(IdempotencyKey key, IdempotencyStoreException error, HttpServletRequest wrappedRequest,
            HttpServletRequest request, HttpServletResponse response, FilterChain chain) throws IOException, ServletException {
        boolean failOpen = properties.isFailOpen();
        notify(listener -> listener.storeUnavailable(failOpen));
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
        problem(IdempotencyProblem.STORE_UNAVAILABLE, properties.getStatus().getStoreUnavailable(),
                "The request could not be checked for duplicates, so it was not processed. Retry with the same key.", request)
                .writeTo(response);
    }

    private String resolveScope(Idempotent annotation, Method handler, HttpServletRequest request) {
        if (annotation != null && annotation.scope() == IdempotencyScope.GLOBAL) {
            return PrincipalScopeResolver.GLOBAL_SCOPE;
        }
        IdempotencyScopeResolver resolver = scopeResolver;
        if (annotation != null && !annotation.scopeResolver().isEmpty()) {
            resolver = namedScopeResolvers.apply(annotation.scopeResolver());
        }
        String scope = resolver.resolveScope(request);
        if (scope == null) {
            boolean global = properties.getAnonymous() == IdempotencyProperties.AnonymousPolicy.GLOBAL;
            if (handler != null && warnedNoPrincipal.add(handler)) {
                String method = handler.getDeclaringClass().getName() + "." + handler.getName() + "()";
                String advice = "If the endpoint needs authentication, authenticate before the idempotency filter "
                        + "(idempotency.filter-order is " + properties.getFilterOrder() + "; Spring Security's chain runs "
                        + "at -100); if it is anonymous on purpose, use @Idempotent(scope = GLOBAL). Logged once per "
                        + "handler method.";
                if (global) {
                    log.warn("@Idempotent " + method + " uses the principal scope, but a request reached it without an "
                            + "authenticated principal, so its keys are in the shared 'global' scope "
                            + "(idempotency.anonymous=global): clients can replay each other's responses. " + advice);
                } else {
                    log.info("@Idempotent " + method + " uses the principal scope, but a request reached it without an "
                            + "authenticated principal: answered " + properties.getStatus().getPrincipalRequired()
                            + " principal-required. " + advice);
                }
            }
            return global ? PrincipalScopeResolver.GLOBAL_SCOPE : null;
        }
        if (scope.isEmpty() || scope.length() > IdempotencyKey.MAX_SCOPE_LENGTH) {
            throw new IllegalStateException(resolver.getClass().getName() + " returned the scope '" + scope
                    + "'; a scope must have 1 to " + IdempotencyKey.MAX_SCOPE_LENGTH + " characters, or be null for "
                    + "a request without an identity");
        }
        return scope;
    }

    /**
     * The {@code Retry-After} of a 409: {@code in-flight.retry-after} when set, else how long this handler typically
     * runs (the 90th percentile of its recent runs), capped by the time left on the running request's lease, which is
     * also the answer before the handler's first run; at least one second.
     */
    private long retryAfterSeconds(Method handler, Duration leaseLeft) {
        Duration hint = properties.getInFlight().getRetryAfter();
        if (hint == null) {
            hint = durations.typical(handler).filter(typical -> typical.compareTo(leaseLeft) < 0).orElse(leaseLeft);
        }
        return Math.max(1, (hint.toMillis() + 999) / 1000);
    }

    private Duration inFlightWait() {
        IdempotencyProperties.InFlight inFlight = properties.getInFlight();
        return inFlight.getBehavior() == IdempotencyProperties.InFlightBehavior.WAIT ? inFlight.getWaitTimeout() : Duration.ZERO;
    }

    private static ProblemResponse problem(IdempotencyProblem problem, int status, String detail, HttpServletRequest request) {
        return new ProblemResponse(problem, status, detail, request.getRequestURI());
    }

    private void notify(Consumer<IdempotencyWebListener> event) {
        for (IdempotencyWebListener listener : listeners) {
            try {
                event.accept(listener);
            } catch (RuntimeException e) {
                log.warn("An IdempotencyWebListener failed", e);
            }
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
