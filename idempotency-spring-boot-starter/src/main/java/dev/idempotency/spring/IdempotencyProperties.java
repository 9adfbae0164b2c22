package dev.idempotency.spring;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.util.unit.DataSize;

/**
 * Settings of the idempotency starter, bound from {@code idempotency.*}. Every field documents its default; the
 * configuration processor turns these comments into IDE metadata.
 */
@ConfigurationProperties(prefix = "idempotency")
public class IdempotencyProperties {

    /** Whether the idempotency auto-configuration is active at all. */
    private boolean enabled = true;

    /** Name of the request header that carries the client's idempotency key. */
    private String headerName = "Idempotency-Key";

    /**
     * How long a completed response is replayed (and a key stays in use) unless {@code @Idempotent(ttl)} says
     * otherwise. Stripe keeps keys for at least 24 hours.
     */
    private Duration ttl = Duration.ofHours(24);

    /**
     * How long a claim holds without a heartbeat. After a crash, retries get 409 for at most this long before one of
     * them takes the key over.
     */
    private Duration lease = Duration.ofSeconds(30);

    /** How often running work renews its lease. Defaults to a third of the lease when unset. */
    private @Nullable Duration heartbeatInterval;

    /**
     * How long one lease renewal may take, waiting for a pooled connection included. A renewal still running then is
     * interrupted (HikariCP stops waiting for a connection), counted as a failed renewal, and the next heartbeat sends
     * a fresh one, so that one renewal cannot sit in a saturated pool's queue for the whole lease. Must be shorter
     * than the lease. Defaults to half the heartbeat interval when unset.
     */
    private @Nullable Duration renewalTimeout;

    /**
     * HTTP methods intercepted when {@code intercept-all-with-header} is on. Handler methods annotated with
     * {@code @Idempotent} are intercepted whatever their HTTP method.
     */
    private Set<String> methods = new LinkedHashSet<>(List.of("POST", "PATCH"));

    /**
     * Whether every request that carries the key header and uses one of {@code methods} is protected, even when its
     * handler has no {@code @Idempotent} annotation.
     */
    private boolean interceptAllWithHeader = false;

    /** Longest key accepted, between 1 and 255 (the width of the key column in the shipped schemas). */
    private int maxKeyLength = 255;

    /** Largest request body read for the fingerprint; a larger protected request is answered with 413. */
    private DataSize maxRequestSize = DataSize.ofMegabytes(1);

    /**
     * Largest response body stored for replay. A larger response is streamed to the client once it passes this
     * size, is not stored, and its key is released.
     */
    private DataSize maxResponseSize = DataSize.ofMegabytes(1);

    /**
     * Response headers stored with a response and sent again on replay (case-insensitive). Set-Cookie and
     * authentication headers are never stored, even when listed here.
     */
    private List<String> replayHeaders = new ArrayList<>(List.of("Content-Type", "Content-Language", "Content-Location",
            "Location", "Cache-Control", "Expires", "ETag", "Last-Modified", "Link", "Vary"));

    /** Whether responses with a 5xx status are stored and replayed; by default they release the key for a retry. */
    private boolean storeServerErrors = false;

    /**
     * Further statuses that release the key instead of being stored, so that the client may retry. Stripe does not
     * store authentication and rate-limit failures.
     */
    private Set<Integer> releaseStatuses = new LinkedHashSet<>(List.of(401, 403, 408, 429));

    /**
     * Whether a request runs unprotected (with a warning) when the store cannot be reached. By default it is answered
     * with 503 and the handler does not run.
     */
    private boolean failOpen = false;

    /**
     * Order of the servlet filter. The default runs it just after Spring Security's filter chain (order -100), so
     * that the authenticated principal is known.
     */
    private int filterOrder = -90;

    // ---- Callers without an identity ----

    /**
     * What a principal-scoped handler does with a request whose scope resolver finds no identity (an anonymous
     * caller): {@code reject} answers 401 {@code principal-required} and claims nothing; {@code global} puts its key in
     * the one scope shared by every anonymous caller, who may then replay each other's responses, and logs a WARN
     * once per handler. Handlers meant for anonymous callers say {@code @Idempotent(scope = GLOBAL)} instead.
     */
    private AnonymousPolicy anonymous = AnonymousPolicy.REJECT;

    public AnonymousPolicy getAnonymous() {
        return anonymous;
    }

    public void setAnonymous(AnonymousPolicy anonymous) {
        this.anonymous = anonymous;
    }

    /** What a principal-scoped handler does with a caller that has no identity. */
    public enum AnonymousPolicy {
        /** Answer 401 {@code principal-required}; nothing is claimed and the handler does not run. */
        REJECT,
        /** Use the shared global scope, as {@code @Idempotent(scope = GLOBAL)} would, with a WARN once per handler. */
        GLOBAL
    }

    // ---- End of callers without an identity ----

    private final InFlight inFlight = new InFlight();

    private final Status status = new Status();

    private final Async async = new Async();

    private final Store store = new Store();

    private final Jdbc jdbc = new Jdbc();

    private final Redis redis = new Redis();

    private final Purge purge = new Purge();

    private final Memory memory = new Memory();

    /** The in-memory store. */
    public Memory getMemory() {
        return memory;
    }

    private final Fingerprint fingerprint = new Fingerprint();

    public boolean isEnabled() {
        return enabled;
    }

    public void setEnabled(boolean enabled) {
        this.enabled = enabled;
    }

    public String getHeaderName() {
        return headerName;
    }

    public void setHeaderName(String headerName) {
        this.headerName = headerName;
    }

    public Duration getTtl() {
        return ttl;
    }

    public void setTtl(Duration ttl) {
        this.ttl = ttl;
    }

    public Duration getLease() {
        return lease;
    }

    public void setLease(Duration lease) {
        this.lease = lease;
    }

    public @Nullable Duration getHeartbeatInterval() {
        return heartbeatInterval;
    }

    public void setHeartbeatInterval(@Nullable Duration heartbeatInterval) {
        this.heartbeatInterval = heartbeatInterval;
    }

    public @Nullable Duration getRenewalTimeout() {
        return renewalTimeout;
    }

    public void setRenewalTimeout(@Nullable Duration renewalTimeout) {
        this.renewalTimeout = renewalTimeout;
    }

    public Set<String> getMethods() {
        return methods;
    }

    public void setMethods(Set<String> methods) {
        this.methods = methods;
    }

    public boolean isInterceptAllWithHeader() {
        return interceptAllWithHeader;
    }

    public void setInterceptAllWithHeader(boolean interceptAllWithHeader) {
        this.interceptAllWithHeader = interceptAllWithHeader;
    }

    public int getMaxKeyLength() {
        return maxKeyLength;
    }

    public void setMaxKeyLength(int maxKeyLength) {
        this.maxKeyLength = maxKeyLength;
    }

    public DataSize getMaxRequestSize() {
        return maxRequestSize;
    }

    public void setMaxRequestSize(DataSize maxRequestSize) {
        this.maxRequestSize = maxRequestSize;
    }

    public DataSize getMaxResponseSize() {
        return maxResponseSize;
    }

    public void setMaxResponseSize(DataSize maxResponseSize) {
        this.maxResponseSize = maxResponseSize;
    }

    public List<String> getReplayHeaders() {
        return replayHeaders;
    }

    public void setReplayHeaders(List<String> replayHeaders) {
        this.replayHeaders = replayHeaders;
    }

    public boolean isStoreServerErrors() {
        return storeServerErrors;
    }

    public void setStoreServerErrors(boolean storeServerErrors) {
        this.storeServerErrors = storeServerErrors;
    }

    public Set<Integer> getReleaseStatuses() {
        return releaseStatuses;
    }

    public void setReleaseStatuses(Set<Integer> releaseStatuses) {
        this.releaseStatuses = releaseStatuses;
    }

    public boolean isFailOpen() {
        return failOpen;
    }

    public void setFailOpen(boolean failOpen) {
        this.failOpen = failOpen;
    }

    public int getFilterOrder() {
        return filterOrder;
    }

    public void setFilterOrder(int filterOrder) {
        this.filterOrder = filterOrder;
    }

    public InFlight getInFlight() {
        return inFlight;
    }

    public Async getAsync() {
        return async;
    }

    public Status getStatus() {
        return status;
    }

    public Store getStore() {
        return store;
    }

    /** The Redis store. */
    public Redis getRedis() {
        return redis;
    }

    public Jdbc getJdbc() {
        return jdbc;
    }

    public Purge getPurge() {
        return purge;
    }

    public Fingerprint getFingerprint() {
        return fingerprint;
    }

    /** What a request gets while another request with the same key and payload is still running. */
    public enum InFlightBehavior {
        /** Answer at once with 409 and a Retry-After header. */
        REJECT,
        /** Wait up to {@code wait-timeout} for the other request to finish, then replay its response (or 409). */
        WAIT
    }

    /** Handling of a request whose key is held by a request still running. */
    public static class InFlight {

        /** Whether a duplicate of a running request is rejected with 409 at once or waits for the result. */
        private InFlightBehavior behavior = InFlightBehavior.REJECT;

        /** How long a duplicate waits for the running request in {@code wait} mode before it gets 409. */
        private Duration waitTimeout = Duration.ofSeconds(10);

        /**
         * The {@code Retry-After} of a 409 {@code key-in-use}. Unset (the default), it is how long the handler
         * typically runs (the 90th percentile of its last 32 runs), capped by the time left on the running request's
         * lease, and the lease time left before the handler's first run; at least one second.
         */
        private @Nullable Duration retryAfter;

        public @Nullable Duration getRetryAfter() {
            return retryAfter;
        }

        public void setRetryAfter(@Nullable Duration retryAfter) {
            this.retryAfter = retryAfter;
        }

        public InFlightBehavior getBehavior() {
            return behavior;
        }

        public void setBehavior(InFlightBehavior behavior) {
            this.behavior = behavior;
        }

        public Duration getWaitTimeout() {
            return waitTimeout;
        }

        public void setWaitTimeout(Duration waitTimeout) {
            this.waitTimeout = waitTimeout;
        }
    }

    /** HTTP statuses of the filter's own problem responses; the IETF draft's choices by default. */
    public static class Status {

        /** Status when a required key is missing. */
        private int keyMissing = 400;

        /** Status when the key is empty, too long, not printable ASCII, malformed or sent twice. */
        private int keyInvalid = 400;

        /** Status when a request with the same key is still running. */
        private int keyInUse = 409;

        /**
         * Status when the key was used before for a different request. 422 is the draft's answer; some APIs prefer
         * 409 because 422 also means an ordinary validation error.
         */
        private int keyReused = 422;

        /** Status when the request body exceeds {@code max-request-size}. */
        private int requestTooLarge = 413;

        /** Status when a JSON request body cannot be parsed, so it cannot be fingerprinted. */
        private int invalidJson = 400;

        /** Status when a multipart request body cannot be parsed, so it cannot be fingerprinted. */
        private int invalidMultipart = 400;

        /** Status when the store cannot be reached and {@code fail-open} is off. */
        private int storeUnavailable = 503;

        /**
         * Status for a retry of a key whose request was processed but whose response could not be stored for replay
         * (too large, streamed, sent as an error page, failed after commit). 410 because retrying clients treat it
         * as final, unlike 409, 429 or 5xx, and it cannot be mistaken for a validation error or a reused key.
         */
        private int responseNotReplayable = 410;

        /**
         * Status when a principal-scoped handler is reached without an identity and {@code anonymous} is
         * {@code reject}. The filter cannot name the application's authentication scheme, so the 401 carries no
         * {@code WWW-Authenticate} header; 403 is the alternative for APIs that want one.
         */
        private int principalRequired = 401;

        /** The status the filter answers {@code problem} with. */
        public int of(IdempotencyProblem problem) {
            return switch (problem) {
                case KEY_MISSING -> keyMissing;
                case KEY_INVALID -> keyInvalid;
                case KEY_IN_USE -> keyInUse;
                case KEY_REUSED -> keyReused;
                case REQUEST_TOO_LARGE -> requestTooLarge;
                case INVALID_JSON -> invalidJson;
                case INVALID_MULTIPART -> invalidMultipart;
                case RESPONSE_NOT_REPLAYABLE -> responseNotReplayable;
                case STORE_UNAVAILABLE -> storeUnavailable;
                case PRINCIPAL_REQUIRED -> principalRequired;
            };
        }

        public int getPrincipalRequired() {
            return principalRequired;
        }

        public void setPrincipalRequired(int principalRequired) {
            this.principalRequired = principalRequired;
        }

        public int getKeyMissing() {
            return keyMissing;
        }

        public void setKeyMissing(int keyMissing) {
            this.keyMissing = keyMissing;
        }

        public int getKeyInvalid() {
            return keyInvalid;
        }

        public void setKeyInvalid(int keyInvalid) {
            this.keyInvalid = keyInvalid;
        }

        public int getKeyInUse() {
            return keyInUse;
        }

        public void setKeyInUse(int keyInUse) {
            this.keyInUse = keyInUse;
        }

        public int getKeyReused() {
            return keyReused;
        }

        public void setKeyReused(int keyReused) {
            this.keyReused = keyReused;
        }

        public int getRequestTooLarge() {
            return requestTooLarge;
        }

        public void setRequestTooLarge(int requestTooLarge) {
            this.requestTooLarge = requestTooLarge;
        }

        public int getInvalidJson() {
            return invalidJson;
        }

        public void setInvalidJson(int invalidJson) {
            this.invalidJson = invalidJson;
        }

        public int getInvalidMultipart() {
            return invalidMultipart;
        }

        public void setInvalidMultipart(int invalidMultipart) {
            this.invalidMultipart = invalidMultipart;
        }

        public int getStoreUnavailable() {
            return storeUnavailable;
        }

        public void setStoreUnavailable(int storeUnavailable) {
            this.storeUnavailable = storeUnavailable;
        }

        public int getResponseNotReplayable() {
            return responseNotReplayable;
        }

        public void setResponseNotReplayable(int responseNotReplayable) {
            this.responseNotReplayable = responseNotReplayable;
        }
    }

    /** Asynchronous handlers ({@code Callable}, {@code DeferredResult}, {@code CompletableFuture}, streams). */
    public static class Async {

        /**
         * How long an asynchronous request's key may stay claimed after the request ended (an async timeout, a
         * container error) while its work has not reported its end (a {@code DeferredResult} or
         * {@code CompletableFuture} that outlived a timeout). Then the key is kept as completed, not replayable: the work
         * may have run, so it is never released. While the request is open its key is held however long that takes. A
         * {@code Callable} reports its end and settles the key at once.
         */
        private Duration workLimit = Duration.ofMinutes(10);

        public Duration getWorkLimit() {
            return workLimit;
        }

        public void setWorkLimit(Duration workLimit) {
            this.workLimit = workLimit;
        }
    }

    /** Which store to use. */
    public enum StoreType {
        /**
         * JDBC when the JDBC store is on the classpath and a DataSource exists; else Redis when the Redis store is on the
         * classpath and Boot's Lettuce connection factory exists; in-memory otherwise.
         */
        AUTO,
        /** The JDBC store; startup fails when it cannot be created. */
        JDBC,
        /**
         * The Redis store, over the connection Boot configures from {@code spring.data.redis.*}, even when a DataSource
         * exists; startup fails when it cannot be created.
         */
        REDIS,
        /** The in-memory store: one instance only, records lost on restart. */
        MEMORY
    }

    /** Store selection. */
    public static class Store {

        /** Which store backs the engine: {@code auto}, {@code jdbc}, {@code redis} or {@code memory}. */
        private StoreType type = StoreType.AUTO;

        public StoreType getType() {
            return type;
        }

        public void setType(StoreType type) {
            this.type = type;
        }
    }

    /** When the JDBC store creates its table at startup, like Spring Session's {@code initialize-schema}. */
    public enum InitializeSchema {
        /** Only for embedded databases such as H2, HSQLDB and Derby. */
        EMBEDDED,
        /** For any database; an existing table is left alone. */
        ALWAYS,
        /** Never; create the table with the shipped script or Flyway migration. */
        NEVER
    }

    /** The JDBC store. */
    public static class Jdbc {

        /** Name of the table holding idempotency records; may be schema-qualified. */
        private String tableName = "idempotency_record";

        /**
         * When the table is created at startup from the shipped DDL: {@code embedded} (embedded databases only, and not
         * when Flyway or Liquibase runs, which then own the schema), {@code always} or {@code never}.
         */
        private InitializeSchema initializeSchema = InitializeSchema.EMBEDDED;

        /**
         * Check at startup that the table exists with every column the store uses, and fail the startup with a message
         * naming the ways to create it when it does not, rather than answering every request with 503.
         */
        private boolean validateSchema = true;

        public boolean isValidateSchema() {
            return validateSchema;
        }

        public void setValidateSchema(boolean validateSchema) {
            this.validateSchema = validateSchema;
        }

        public String getTableName() {
            return tableName;
        }

        public void setTableName(String tableName) {
            this.tableName = tableName;
        }

        public InitializeSchema getInitializeSchema() {
            return initializeSchema;
        }

        public void setInitializeSchema(InitializeSchema initializeSchema) {
            this.initializeSchema = initializeSchema;
        }
    }

    /** The background job that deletes expired records. */
    public static class Purge {

        /** Whether expired records are deleted in the background. */
        private boolean enabled = true;

        /** Time between two purge runs. */
        private Duration interval = Duration.ofHours(1);

        /** Delay before the first purge run after startup. */
        private Duration initialDelay = Duration.ofMinutes(1);

        /** Records deleted per batch; a run repeats batches until one comes back short. */
        private int batchSize = 1000;

        public boolean isEnabled() {
            return enabled;
        }

        public void setEnabled(boolean enabled) {
            this.enabled = enabled;
        }

        public Duration getInterval() {
            return interval;
        }

        public void setInterval(Duration interval) {
            this.interval = interval;
        }

        public Duration getInitialDelay() {
            return initialDelay;
        }

        public void setInitialDelay(Duration initialDelay) {
            this.initialDelay = initialDelay;
        }

        public int getBatchSize() {
            return batchSize;
        }

        public void setBatchSize(int batchSize) {
            this.batchSize = batchSize;
        }
    }

    /**
     * The Redis store. Its connection comes from Boot's {@code spring.data.redis.*} settings (standalone, Sentinel or
     * cluster): the store opens one connection of its own, with a byte codec, on the client Boot's Lettuce connection
     * factory built. Redis expires records itself, so the purge job does not run with this store.
     */
    public static class Redis {

        /**
         * What every record key starts with, to keep the store's keys apart from the application's own. Must not
         * contain braces: each record's identity is a hash tag of its own, so records spread over a cluster's slots.
         */
        private String keyPrefix = "idempotency:";

        /**
         * How long one store command may take before the request fails closed (503 {@code store-unavailable}). It
         * applies to the store's own connection only; while Redis cannot be reached, commands wait for a reconnect up to
         * this long, unless the client rejects them at once.
         */
        private Duration commandTimeout = Duration.ofSeconds(5);

        /**
         * After each write (a claim that acquires, a completion, a release, a renewal, a checkpoint), wait with
         * {@code WAIT} until this many replicas acknowledged it, so that a failover to one of them cannot lose it. The
         * request fails closed when fewer acknowledge within {@code wait-timeout}. 0 waits for none.
         */
        private int waitReplicas = 0;

        /** How long to wait for {@code wait-replicas} replicas before failing the request. */
        private Duration waitTimeout = Duration.ofSeconds(1);

        public String getKeyPrefix() {
            return keyPrefix;
        }

        public void setKeyPrefix(String keyPrefix) {
            this.keyPrefix = keyPrefix;
        }

        public Duration getCommandTimeout() {
            return commandTimeout;
        }

        public void setCommandTimeout(Duration commandTimeout) {
            this.commandTimeout = commandTimeout;
        }

        public int getWaitReplicas() {
            return waitReplicas;
        }

        public void setWaitReplicas(int waitReplicas) {
            this.waitReplicas = waitReplicas;
        }

        public Duration getWaitTimeout() {
            return waitTimeout;
        }

        public void setWaitTimeout(Duration waitTimeout) {
            this.waitTimeout = waitTimeout;
        }
    }

    /** The in-memory store, used when no shared store is configured. */
    public static class Memory {

        /**
         * How many records the in-memory store holds at most. When it is full, expired records are purged; if none
         * has expired, a request with a new key is answered 503 {@code store-unavailable} (a record that still guards
         * a key is never evicted).
         */
        private int maxRecords = 100_000;

        public int getMaxRecords() {
            return maxRecords;
        }

        public void setMaxRecords(int maxRecords) {
            this.maxRecords = maxRecords;
        }
    }

    /** What the request fingerprint covers beyond the method, route, handler, path, query, scope, media type and body. */
    public static class Fingerprint {

        /**
         * Request headers that are part of every protected request's fingerprint (case-insensitive), such as a
         * header that selects the account the request acts on: the same key sent with another value is then 422
         * {@code key-reused}, not a replay. {@code @Idempotent(fingerprintHeaders)} adds headers for one handler.
         * Empty by default.
         */
        private List<String> headers = new ArrayList<>();

        /**
         * Deepest nesting of a JSON body (objects and arrays open at one point, as Jackson counts) that is
         * fingerprinted; a deeper body is answered with 400 {@code invalid-json} before anything is claimed. At most
         * 1000.
         */
        private int maxJsonDepth = 64;

        public List<String> getHeaders() {
            return headers;
        }

        public void setHeaders(List<String> headers) {
            this.headers = headers;
        }

        public int getMaxJsonDepth() {
            return maxJsonDepth;
        }

        public void setMaxJsonDepth(int maxJsonDepth) {
            this.maxJsonDepth = maxJsonDepth;
        }
    }
}
