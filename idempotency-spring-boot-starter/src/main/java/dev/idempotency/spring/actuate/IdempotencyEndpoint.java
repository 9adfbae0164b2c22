package dev.idempotency.spring.actuate;

import dev.idempotency.core.IdempotencyKey;
import dev.idempotency.core.store.DeleteResult;
import dev.idempotency.core.store.IdempotencyRecord;
import dev.idempotency.core.store.IdempotencyStore;
import dev.idempotency.core.store.InspectResult;
import dev.idempotency.core.store.OwnerToken;
import dev.idempotency.core.store.RecoveryPoint;
import dev.idempotency.core.store.ReleaseResult;
import dev.idempotency.core.store.StatusCounts;
import dev.idempotency.core.store.StoredResponse;
import dev.idempotency.spring.observation.IdempotencyObservations;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.springframework.boot.actuate.endpoint.Access;
import org.springframework.boot.actuate.endpoint.InvalidEndpointRequestException;
import org.springframework.boot.actuate.endpoint.annotation.DeleteOperation;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;
import org.springframework.boot.actuate.endpoint.annotation.Selector;
import org.springframework.boot.actuate.endpoint.annotation.WriteOperation;
import org.springframework.boot.actuate.endpoint.web.WebEndpointResponse;
import org.springframework.boot.actuate.endpoint.web.annotation.WebEndpoint;

/**
 * The {@code idempotency} actuator endpoint: what the store knows about a key, and the two repairs an operator may
 * need. Read-only by default ({@code defaultAccess = READ_ONLY}): the writes need
 * {@code management.endpoint.idempotency.access=unrestricted}. Like every actuator endpoint it is exposed over HTTP
 * only when listed in {@code management.endpoints.web.exposure.include}, and secured by the application's own
 * security (docs/operations.md shows how to allow an admin role only).
 *
 * <ul>
 *   <li>{@code GET /actuator/idempotency?scope=...&key=...}: the record: status, fingerprint, owner token, created and
 *       expiry times, lease and whether it expired, recovery point, response status and size. 404 when there is none.
 *       The stored body and headers only with {@code management.endpoint.idempotency.show-response=true}.</li>
 *   <li>{@code POST /actuator/idempotency} with {@code {"scope": "...", "key": "...", "ownerToken": "..."}}: releases
 *       an in-progress key so the next request runs afresh. Fenced by the owner token read just before: a key taken
 *       over or completed since is left alone (409).</li>
 *   <li>{@code DELETE /actuator/idempotency?scope=...&key=...&ownerToken=...}: deletes a completed record, fenced the
 *       same way, so the next request runs afresh instead of replaying.</li>
 *   <li>{@code GET /actuator/idempotency/counts}: counts of live records by status, when the store can count them
 *       cheaply.</li>
 * </ul>
 * Scope and key travel as query parameters (or in the body), percent-encoded like any: scopes hold {@code :},
 * {@code /} and {@code |} (an OAuth2 issuer URL), which a path segment could not carry. Every write is logged at WARN
 * with the key's hash.
 */
@WebEndpoint(id = "idempotency", defaultAccess = Access.READ_ONLY)
public class IdempotencyEndpoint {

    /** The sub-path of the counts. */
    public static final String COUNTS = "counts";

    private static final Log log = LogFactory.getLog(IdempotencyEndpoint.class);

    private final IdempotencyStore store;
    private final boolean showResponse;

    /**
     * @param showResponse whether a completed record's stored headers and body are shown
     */
    public IdempotencyEndpoint(IdempotencyStore store, boolean showResponse) {
        this.store = store;
        this.showResponse = showResponse;
    }

    /** Counts of the live records by status, at {@value #COUNTS}; 404 for any other name. */
    @ReadOperation
    public WebEndpointResponse<Counts> counts(@Selector String name) {
        if (!COUNTS.equals(name)) {
            return new WebEndpointResponse<>(WebEndpointResponse.STATUS_NOT_FOUND);
        }
        return new WebEndpointResponse<>(countByStatus(), WebEndpointResponse.STATUS_OK);
    }

    private Counts countByStatus() {
        if (store.countByStatus() instanceof StatusCounts.Counted counted) {
            return new Counts(true, counted.inProgress(), counted.leaseExpired(), counted.completed());
        }
        return new Counts(false, null, null, null);
    }

    /** The record of one key; 404 when there is none. */
    @ReadOperation
    public WebEndpointResponse<RecordView> record(String scope, String key) {
        IdempotencyKey idempotencyKey = key(scope, key);
        InspectResult inspected = store.inspect(idempotencyKey);
        if (inspected instanceof InspectResult.Found found) {
            return new WebEndpointResponse<>(view(found.record(), found.storeTime()), WebEndpointResponse.STATUS_OK);
        }
        if (inspected instanceof InspectResult.Unsupported) {
            // The store cannot read its clock with the record: whether the lease expired is left unknown.
            return store.find(idempotencyKey)
                    .map(record -> new WebEndpointResponse<>(view(record, null), WebEndpointResponse.STATUS_OK))
                    .orElseGet(() -> new WebEndpointResponse<>(WebEndpointResponse.STATUS_NOT_FOUND));
        }
        return new WebEndpointResponse<>(WebEndpointResponse.STATUS_NOT_FOUND);
    }

    /** Releases an in-progress key, fenced by its owner token. */
    @WriteOperation
    public WebEndpointResponse<Change> release(String scope, String key, String ownerToken) {
        IdempotencyKey idempotencyKey = key(scope, key);
        OwnerToken owner = ownerToken(ownerToken);
        ReleaseResult result = store.release(idempotencyKey, owner);
        String hash = IdempotencyObservations.keyHash(idempotencyKey);
        if (result instanceof ReleaseResult.Released) {
            log.warn("Released the in-progress key " + hash + " (owner " + owner + ") through the actuator endpoint; "
                    + "its next request runs afresh, and its previous worker, if still running, stores nothing");
            return new WebEndpointResponse<>(new Change("released", hash), WebEndpointResponse.STATUS_OK);
        }
        return new WebEndpointResponse<>(new Change("not-released: no record in progress with that owner token "
                + "(completed, taken over or gone since it was read)", hash), 409);
    }

    /** Deletes a completed record, fenced by its owner token. */
    @DeleteOperation
    public WebEndpointResponse<Change> delete(String scope, String key, String ownerToken) {
        IdempotencyKey idempotencyKey = key(scope, key);
        OwnerToken owner = ownerToken(ownerToken);
        String hash = IdempotencyObservations.keyHash(idempotencyKey);
        DeleteResult result = store.deleteCompleted(idempotencyKey, owner);
        if (result instanceof DeleteResult.Deleted) {
            log.warn("Deleted the completed record of key " + hash + " (owner " + owner + ") through the actuator "
                    + "endpoint; its next request runs afresh instead of replaying");
            return new WebEndpointResponse<>(new Change("deleted", hash), WebEndpointResponse.STATUS_OK);
        }
        if (result instanceof DeleteResult.Unsupported) {
            return new WebEndpointResponse<>(new Change("unsupported: the store cannot delete records", hash), 501);
        }
        return new WebEndpointResponse<>(new Change("not-deleted: no completed record with that owner token "
                + "(in progress, completed afresh or gone since it was read)", hash), 409);
    }

    private RecordView view(IdempotencyRecord record, Instant storeTime) {
        Boolean leaseExpired = record.isCompleted() || storeTime == null ? null
                : !record.leaseExpiresAt().isAfter(storeTime);
        StoredResponse response = record.response();
        ResponseView responseView = null;
        if (response != null) {
            List<String> marker = response.headers().get(NOT_REPLAYABLE_MARKER);
            responseView = new ResponseView(response.status(), response.bodyLength(),
                    marker == null ? null : (marker.isEmpty() ? "" : marker.get(0).toLowerCase(Locale.ROOT)),
                    showResponse ? response.headers() : null,
                    showResponse ? new String(response.body(), StandardCharsets.UTF_8) : null);
        }
        RecoveryPoint recoveryPoint = record.recoveryPoint();
        return new RecordView(record.key().scope(), record.key().key(), IdempotencyObservations.keyHash(record.key()),
                record.status().name(), record.fingerprint().value(), record.ownerToken().value(), record.createdAt(),
                record.expiresAt(), record.leaseExpiresAt(), leaseExpired, storeTime,
                recoveryPoint == null ? null : new RecoveryPointView(recoveryPoint.phase(), recoveryPoint.payload()),
                responseView);
    }

    /** The header the filter stores, in place of a body, for a response it must not replay. */
    private static final String NOT_REPLAYABLE_MARKER = ":not-replayable";

    private static IdempotencyKey key(String scope, String key) {
        try {
            return IdempotencyKey.of(scope, key);
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new InvalidEndpointRequestException("invalid scope or key: " + e.getMessage(),
                    "scope and key must be 1 to 255 characters");
        }
    }

    private static OwnerToken ownerToken(String value) {
        try {
            return new OwnerToken(value);
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new InvalidEndpointRequestException("invalid owner token: " + e.getMessage(),
                    "ownerToken must be the owner token read from the record");
        }
    }

    /**
     * Counts of live records.
     *
     * @param supported whether the store counts; the counts are {@code null} when it does not
     * @param inProgress records in progress, {@code leaseExpired} among them
     * @param leaseExpired records in progress whose lease ran out: their workers are gone, a retry takes them over
     * @param completed completed records, replayed until they expire
     */
    public record Counts(boolean supported, Long inProgress, Long leaseExpired, Long completed) {}

    /**
     * One record as the store holds it.
     *
     * @param keyHash the hash of scope and key found in the logs' MDC and in the spans
     * @param fingerprint the hash of the first request, compared with each retry
     * @param ownerToken the token to pass to release or delete
     * @param leaseExpired whether an in-progress record's lease ran out by the store's clock; {@code null} when
     *     completed or when the store cannot tell
     * @param storeTime the store's clock at the read; {@code null} when the store cannot tell
     */
    public record RecordView(String scope, String key, String keyHash, String status, String fingerprint,
            String ownerToken, Instant createdAt, Instant expiresAt, Instant leaseExpiresAt, Boolean leaseExpired,
            Instant storeTime, RecoveryPointView recoveryPoint, ResponseView response) {}

    /** The last recovery point multi-step work recorded. */
    public record RecoveryPointView(String phase, String payload) {}

    /**
     * A completed record's response.
     *
     * @param size the stored body's length in bytes
     * @param notReplayable why the response is not replayed ({@code too_large}, {@code streamed}...), or {@code null}
     * @param headers the stored headers, only with {@code show-response}
     * @param body the stored body as UTF-8, only with {@code show-response}
     */
    public record ResponseView(int status, int size, String notReplayable, Map<String, List<String>> headers,
            String body) {}

    /** What a write did, and the key's hash for the logs. */
    public record Change(String outcome, String keyHash) {}
}
