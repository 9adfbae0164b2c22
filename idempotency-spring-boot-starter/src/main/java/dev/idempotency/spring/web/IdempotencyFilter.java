package dev.idempotency.spring.web;

import dev.idempotency.core.ActiveClaim;
import dev.idempotency.core.IdempotencyClaim;
import dev.idempotency.core.IdempotencyEngine;
import dev.idempotency.core.IdempotencyKey;
import dev.idempotency.core.IdempotencyKeyValidator;
import dev.idempotency.core.IdempotencyOutcome;
import dev.idempotency.core.IdempotentRequest;
import dev.idempotency.core.InvalidIdempotencyKeyException;
import dev.idempotency.core.OutcomePolicy;
import dev.idempotency.core.store.IdempotencyStoreException;
import dev.idempotency.spring.Idempotent;
import dev.idempotency.spring.IdempotencyProblem;
import dev.idempotency.spring.IdempotencyProperties;
import dev.idempotency.spring.IdempotencyScope;
import dev.idempotency.spring.IdempotencyScopeResolver;
import dev.idempotency.spring.IdempotencyWebListener;
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
 *   <li>Read the key header: missing on a required handler is 400 {@code key-missing}; sent twice, malformed,
 *       empty, too long or not printable ASCII is 400 {@code key-invalid}. Nothing is claimed.</li>
 *   <li>Resolve the scope (the principal by default) and fingerprint the request (method, route, handler method,
 *       path, query, scope, media type, configured headers, canonical body), reading the body once up to
 *       {@code max-request-size}: 413 above it, 400 for JSON that does not parse or nests deeper than
 *       {@code fingerprint.max-json-depth}. Nothing is claimed.</li>
 *   <li>Hand the request to the {@link IdempotencyEngine}. If it runs the handler, the response body is held back
 *       (up to {@code max-response-size}) so it can be stored before the client sees it; the outcome policy stores
 *       responses below 500 and releases the key for 5xx, the configured release statuses, and responses that
 *       were too large, streamed, asynchronous or sent as errors. Exceptions release the key and propagate. The
 *       claim ({@link IdempotencyEngine#begin}) and the handler both run on the servlet thread; the claim is an
 *       {@link ActiveClaim} handle, settled when the handler returns, or, for an asynchronous request, when its
 *       {@code AsyncContext} completes, errs or times out (released at the latest one minute after the async timeout,
 *       or one hour after the handler returned when it has none). Until then its lease is renewed, so a retry gets
 *       409.</li>
 *   <li>A completed key with the same fingerprint replays the stored status, allowlisted headers and body with
 *       {@code Idempotent-Replayed: true}; a different fingerprint is 422 {@code key-reused}; a request still
 *       running is 409 {@code key-in-use} with {@code Retry-After}, after an optional wait.</li>
 *   <li>If the store fails during the claim the handler does not run and the answer is 503
 *       {@code store-unavailable}, unless {@code fail-open} runs it unprotected.</li>
 * </ol>
 */
public class IdempotencyFilter extends OncePerRequestFilter implements Ordered {

    /** Marks a replayed response, as Stripe does. */
    public static final String REPLAYED_HEADER = "Idempotent-Replayed";

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

    /** Extra time an asynchronous request gets past its AsyncContext timeout before its key is released anyway. */
    private static final Duration ASYNC_GRACE = Duration.ofMinutes(1);
    /** How long the key of an asynchronous request without a timeout stays claimed at most. */
    private static final Duration ASYNC_LIMIT_WITHOUT_TIMEOUT = Duration.ofHours(1);

    /** Never stored or replayed, whatever {@code replay-headers} says: they carry credentials or framing. */
    private static final Set<String> NEVER_REPLAYED = caseInsensitive(List.of("Set-Cookie", "Set-Cookie2", "Authorization",
            "Proxy-Authorization", "WWW-Authenticate", "Proxy-Authenticate", "Content-Length", "Transfer-Encoding",
            "Connection", "Keep-Alive", "Upgrade", "Trailer", "Date", "Server", REPLAYED_HEADER));

    /**
     * Never stored or replayed either: CORS headers depend on the retry's own {@code Origin} and are computed for
     * each response from the handler's CORS configuration.
     */
    private static final String NEVER_REPLAYED_PREFIX = "Access-Control-";

    private final IdempotencyEngine engine;
    private final IdempotencyProperties properties;
    private final IdempotentHandlerResolver handlerResolver;
    private final IdempotencyScopeResolver scopeResolver;
    private final Function<String, IdempotencyScopeResolver> namedScopeResolvers;
    private final List<IdempotencyWebListener> listeners;
    private final IdempotencyKeyHeader keyHeader;
    private final RequestFingerprinter fingerprinter;
    private final List<String> replayHeaders;
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
        this.replayHeaders = properties.getReplayHeaders().stream()
                .filter(name -> !NEVER_REPLAYED.contains(name))
                .filter(name -> !name.regionMatches(true, 0, NEVER_REPLAYED_PREFIX, 0, NEVER_REPLAYED_PREFIX.length()))
                .toList();
        this.methods = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);
        this.methods.addAll(properties.getMethods());
        Set<Integer> releaseStatuses = Set.copyOf(properties.getReleaseStatuses());
        boolean storeServerErrors = properties.isStoreServerErrors();
        this.outcomePolicy = result -> result.storable()
                && (storeServerErrors || result.status() < 500)
                && !releaseStatuses.contains(result.status());
    }

    @Override
    public int getOrder() {
        return properties.getFilterOrder();
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
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
        if (headerValues.isEmpty()) {
            if (annotation.required()) {
                notify(IdempotencyWebListener::keyMissing);
                if (log.isDebugEnabled()) {
                    log.debug("Rejected " + request.getMethod() + " " + request.getRequestURI() + ": no idempotency key");
                }
                problem(IdempotencyProblem.KEY_MISSING, properties.getStatus().getKeyMissing(),
                        "This endpoint requires an " + properties.getHeaderName() + " header.", request)
                        .writeTo(response);
                return;
            }
            chain.doFilter(request, response);
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
        String scope = resolveScope(annotation, resolution.handler(), request);
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
        execute(idempotentRequest, fingerprinted.request(), request, response, chain);
    }

    private void execute(IdempotentRequest idempotentRequest, HttpServletRequest wrappedRequest,
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
        }
        if (claim instanceof ActiveClaim<HttpResult> active) {
            wrappedRequest.setAttribute(KEY_ATTRIBUTE, active.key());
            runHandler(key, active, wrappedRequest, request, response, chain);
        } else if (claim instanceof IdempotencyOutcome.Replayed<HttpResult> replayed) {
            if (log.isDebugEnabled()) {
                log.debug("Replaying the stored response for " + key);
            }
            replay(replayed.result(), response);
        } else if (claim instanceof IdempotencyOutcome.InProgress<HttpResult> inProgress) {
            if (log.isDebugEnabled()) {
                log.debug("Rejected " + key + ": a request with this key is still running");
            }
            long seconds = Math.max(1, (inProgress.retryAfter().toMillis() + 999) / 1000);
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
     * Runs the handler on this thread while {@code claim} holds the key. A synchronous result settles the claim at
     * once; an asynchronous request settles it when its AsyncContext completes, errs or times out, or when the safety
     * limit runs out, whichever comes first. Until then the key stays claimed (its lease renewed by the engine's
     * heartbeat), so a retry gets 409.
     */
    private void runHandler(IdempotencyKey key, ActiveClaim<HttpResult> claim, HttpServletRequest wrappedRequest,
            HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws IOException, ServletException {
        if (log.isDebugEnabled()) {
            log.debug("Executing " + request.getMethod() + " " + request.getRequestURI() + " for " + key);
        }
        CapturingResponse capture;
        try {
            capture = new CapturingResponse(response, (int) Math.min(Integer.MAX_VALUE, properties.getMaxResponseSize().toBytes()));
            chain.doFilter(wrappedRequest, capture);
        } catch (IOException | ServletException | RuntimeException | Error e) {
            claim.abandon(e); // the key is released before the error propagates
            throw e;
        }
        if (!wrappedRequest.isAsyncStarted()) {
            HttpResult result;
            try {
                result = capture(wrappedRequest, capture);
            } catch (IOException | RuntimeException | Error e) {
                claim.abandon(e);
                throw e;
            }
            reportExecuted(key, claim.finish(result));
            capture.copyBodyToResponse();
            return;
        }
        AsyncContext asyncContext;
        try {
            capture.streamThrough("asynchronous or streaming response");
            asyncContext = wrappedRequest.getAsyncContext();
        } catch (IOException | RuntimeException | Error e) {
            claim.abandon(e);
            throw e;
        }
        long timeout = asyncContext.getTimeout();
        Duration limit = timeout > 0 ? Duration.ofMillis(timeout).plus(ASYNC_GRACE) : ASYNC_LIMIT_WITHOUT_TIMEOUT;
        AsyncSettlement settlement = new AsyncSettlement(key, claim, wrappedRequest, capture);
        asyncContext.addListener(settlement);
        settlement.scheduleLimit(limit);
    }

    /**
     * Settles the claim of an asynchronous request once the request is over: when its AsyncContext completes, errs or
     * times out, or, should the container never report that, when the safety limit runs out.
     */
    private final class AsyncSettlement implements AsyncListener {

        private final IdempotencyKey key;
        private final ActiveClaim<HttpResult> claim;
        private final HttpServletRequest request;
        private final CapturingResponse capture;
        private final AtomicBoolean settled = new AtomicBoolean();
        private volatile ScheduledFuture<?> limitTask;

        AsyncSettlement(IdempotencyKey key, ActiveClaim<HttpResult> claim, HttpServletRequest request, CapturingResponse capture) {
            this.key = key;
            this.claim = claim;
            this.request = request;
            this.capture = capture;
        }

        void scheduleLimit(Duration limit) {
            try {
                limitTask = asyncLimits.schedule(() -> settle(new HttpResult(capture.getStatus(), Map.of(), new byte[0],
                        "asynchronous request still running after " + limit)), limit.toMillis(), TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException e) {
                // The filter is being destroyed: the AsyncContext's end still settles the claim.
                if (log.isDebugEnabled()) {
                    log.debug("No safety limit for the asynchronous request " + key + ": the filter is shut down");
                }
                return;
            }
            if (settled.get()) {
                limitTask.cancel(false);
            }
        }

        @Override
        public void onComplete(AsyncEvent event) {
            settleWithResponse();
        }

        @Override
        public void onTimeout(AsyncEvent event) {
            settleWithResponse();
        }

        @Override
        public void onError(AsyncEvent event) {
            settleWithResponse();
        }

        @Override
        public void onStartAsync(AsyncEvent event) {
            // Asynchronous processing started again (a further dispatch): keep listening to the new cycle.
            event.getAsyncContext().addListener(this);
        }

        private void settleWithResponse() {
            if (settled.get()) {
                return;
            }
            HttpResult result;
            try {
                result = capture(request, capture);
            } catch (IOException | RuntimeException e) {
                result = new HttpResult(500, Map.of(), new byte[0], "asynchronous or streaming response");
            }
            settle(result);
        }

        private void settle(HttpResult result) {
            if (!settled.compareAndSet(false, true)) {
                return;
            }
            ScheduledFuture<?> limit = limitTask;
            if (limit != null) {
                limit.cancel(false);
            }
            try {
                reportExecuted(key, claim.finish(result));
            } catch (RuntimeException | Error e) {
                log.warn("The asynchronous request for " + key + " failed; the key is released", e);
            }
        }
    }

    private void reportExecuted(IdempotencyKey key, IdempotencyOutcome.Executed<HttpResult> executed) {
        HttpResult result = executed.result();
        if (!result.storable()) {
            String reason = result.unstorableReason();
            notify(listener -> listener.responseNotStored(key, reason));
            if (reason.equals("error sent")) {
                if (log.isDebugEnabled()) {
                    log.debug("Not storing the response for " + key + ": the handler sent an error; the key is released");
                }
            } else {
                log.warn("Not storing the response for " + key + " (" + reason + "); the key is released and a retry runs again");
            }
        } else {
            if (log.isDebugEnabled()) {
                log.debug("Executed " + key + ": status " + result.status() + ", " + executed.completion());
            }
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
        if (failOpen) {
            log.warn("The idempotency store failed; running " + key + " unprotected because idempotency.fail-open is on", error);
            chain.doFilter(wrappedRequest, response);
            return;
        }
        log.error("The idempotency store failed; refusing " + key + " without running it", error);
        problem(IdempotencyProblem.STORE_UNAVAILABLE, properties.getStatus().getStoreUnavailable(),
                "The request could not be checked for duplicates, so it was not processed. Retry with the same key.", request)
                .writeTo(response);
    }

    private HttpResult capture(HttpServletRequest request, CapturingResponse capture) throws IOException {
        String unstorable = capture.unstorableReason();
        if (unstorable != null) {
            return new HttpResult(capture.getStatus(), Map.of(), new byte[0], unstorable);
        }
        return new HttpResult(capture.getStatus(), replayableHeaders(capture), capture.body(), null);
    }

    private Map<String, List<String>> replayableHeaders(HttpServletResponse response) {
        Map<String, List<String>> headers = new LinkedHashMap<>();
        for (String name : replayHeaders) {
            List<String> values;
            if (name.equalsIgnoreCase("Content-Type")) {
                String contentType = response.getContentType();
                values = contentType == null ? List.of() : List.of(contentType);
            } else {
                values = new ArrayList<>(response.getHeaders(name));
            }
            if (!values.isEmpty()) {
                headers.put(name, values);
            }
        }
        return headers;
    }

    private void replay(HttpResult stored, HttpServletResponse response) throws IOException {
        response.setStatus(stored.status());
        Set<String> allowed = caseInsensitive(replayHeaders);
        stored.headers().forEach((name, values) -> {
            if (!allowed.contains(name) || values.isEmpty()) {
                return;
            }
            if (name.equalsIgnoreCase("Content-Type")) {
                response.setContentType(values.get(0));
                return;
            }
            response.setHeader(name, values.get(0));
            values.stream().skip(1).forEach(value -> response.addHeader(name, value));
        });
        response.setHeader(REPLAYED_HEADER, "true");
        byte[] body = stored.body();
        response.setContentLength(body.length);
        if (body.length > 0) {
            response.getOutputStream().write(body);
        }
        response.flushBuffer();
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
        if (annotation != null && handler != null && resolver instanceof PrincipalScopeResolver
                && PrincipalScopeResolver.GLOBAL_SCOPE.equals(scope) && warnedNoPrincipal.add(handler)) {
            log.warn("@Idempotent " + handler.getDeclaringClass().getName() + "." + handler.getName() + "() uses the "
                    + "principal scope, but a request reached it without an authenticated principal, so its keys are in "
                    + "the shared 'global' scope: clients can replay each other's responses. If the endpoint needs "
                    + "authentication, authenticate before the idempotency filter (idempotency.filter-order is "
                    + properties.getFilterOrder() + "; Spring Security's chain runs at -100); if it is anonymous on "
                    + "purpose, use @Idempotent(scope = GLOBAL). Logged once per handler method.");
        }
        if (scope == null || scope.isEmpty() || scope.length() > IdempotencyKey.MAX_SCOPE_LENGTH) {
            throw new IllegalStateException(resolver.getClass().getName() + " returned the scope '" + scope
                    + "'; a scope must have 1 to " + IdempotencyKey.MAX_SCOPE_LENGTH + " characters");
        }
        return scope;
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

    private static Set<String> caseInsensitive(List<String> names) {
        Set<String> set = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);
        set.addAll(names);
        return set;
    }
}
