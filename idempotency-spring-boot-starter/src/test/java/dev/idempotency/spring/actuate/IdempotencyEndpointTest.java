package dev.idempotency.spring.actuate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.idempotency.core.IdempotencyKey;
import dev.idempotency.core.RequestFingerprint;
import dev.idempotency.core.store.ClaimRequest;
import dev.idempotency.core.store.DeleteResult;
import dev.idempotency.core.store.ForwardingIdempotencyStore;
import dev.idempotency.core.store.IdempotencyStore;
import dev.idempotency.core.store.InspectResult;
import dev.idempotency.core.store.OwnerToken;
import dev.idempotency.core.store.RecoveryPoint;
import dev.idempotency.core.store.StatusCounts;
import dev.idempotency.core.store.StoredResponse;
import dev.idempotency.core.store.memory.InMemoryIdempotencyStore;
import dev.idempotency.spring.autoconfigure.IdempotencyEndpointAutoConfiguration;
import dev.idempotency.spring.autoconfigure.IdempotencyInMemoryStoreAutoConfiguration;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.boot.actuate.endpoint.InvalidEndpointRequestException;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/** The endpoint's answers, called directly; {@link IdempotencyEndpointIT} sends them over HTTP. */
class IdempotencyEndpointTest {

    private static final IdempotencyKey KEY = IdempotencyKey.of("principal:alice", "k-1");

    private final InMemoryIdempotencyStore store = new InMemoryIdempotencyStore();

    /** A store that offers only what the engine needs. */
    private static IdempotencyStore engineOnly(IdempotencyStore delegate) {
        return new ForwardingIdempotencyStore(delegate) {
            @Override
            public InspectResult inspect(IdempotencyKey key) {
                return new InspectResult.Unsupported();
            }

            @Override
            public DeleteResult deleteCompleted(IdempotencyKey key, OwnerToken owner) {
                return new DeleteResult.Unsupported();
            }

            @Override
            public StatusCounts countByStatus() {
                return new StatusCounts.Unsupported();
            }
        };
    }

    private OwnerToken complete(StoredResponse response) {
        OwnerToken owner = OwnerToken.random();
        store.claim(new ClaimRequest(KEY, RequestFingerprint.of("a"), owner, Duration.ofMinutes(1), Duration.ofHours(1)));
        store.complete(KEY, owner, response, Duration.ofHours(1));
        return owner;
    }

    private static String key(String key) {
        return key;
    }

    @Test
    void showsTheStoredResponseOnlyWhenAllowed() {
        complete(new StoredResponse(201, Map.of("Location", List.of("/payments/1")), "{\"id\":1}".getBytes(StandardCharsets.UTF_8)));

        IdempotencyEndpoint.ResponseView hidden = new IdempotencyEndpoint(store, false).record(KEY.scope(), key("k-1")).getBody().response();
        IdempotencyEndpoint.ResponseView shown = new IdempotencyEndpoint(store, true).record(KEY.scope(), key("k-1")).getBody().response();

        assertThat(hidden.status()).isEqualTo(201);
        assertThat(hidden.size()).isEqualTo(8);
        assertThat(hidden.headers()).isNull();
        assertThat(hidden.body()).isNull();
        assertThat(shown.headers()).containsEntry("Location", List.of("/payments/1"));
        assertThat(shown.body()).isEqualTo("{\"id\":1}");
    }

    @Test
    void showsWhyAResponseIsNotReplayed() {
        complete(new StoredResponse(200, Map.of(":not-replayable", List.of("TOO_LARGE")), new byte[0]));

        IdempotencyEndpoint.ResponseView response = new IdempotencyEndpoint(store, false).record(KEY.scope(), key("k-1"))
                .getBody().response();

        assertThat(response.notReplayable()).isEqualTo("too_large");
    }

    @Test
    void showsTheRecoveryPointOfAnInProgressRecord() {
        OwnerToken owner = OwnerToken.random();
        store.claim(new ClaimRequest(KEY, RequestFingerprint.of("a"), owner, Duration.ofMinutes(1), Duration.ofHours(1)));
        store.checkpoint(KEY, owner, new RecoveryPoint("charged", "ch_1"), Duration.ofMinutes(1));

        IdempotencyEndpoint.RecordView record = new IdempotencyEndpoint(store, false).record(KEY.scope(), key("k-1")).getBody();

        assertThat(record.status()).isEqualTo("IN_PROGRESS");
        assertThat(record.ownerToken()).isEqualTo(owner.value());
        assertThat(record.leaseExpired()).isFalse();
        assertThat(record.recoveryPoint()).isEqualTo(new IdempotencyEndpoint.RecoveryPointView("charged", "ch_1"));
        assertThat(record.response()).isNull();
    }

    @Test
    void aStoreWithoutTheOperatorsMethodsStillShowsTheRecordButNotTheLeaseState() {
        OwnerToken owner = complete(StoredResponse.of(200, new byte[0]));
        IdempotencyEndpoint endpoint = new IdempotencyEndpoint(engineOnly(store), false);

        IdempotencyEndpoint.RecordView record = endpoint.record(KEY.scope(), key("k-1")).getBody();
        assertThat(record.status()).isEqualTo("COMPLETED");
        assertThat(record.storeTime()).isNull();
        assertThat(endpoint.record(KEY.scope(), key("other")).getStatus()).isEqualTo(404);
        assertThat(endpoint.counts("counts").getBody().supported()).isFalse();
        assertThat(endpoint.delete(KEY.scope(), key("k-1"), owner.value()).getStatus()).isEqualTo(501);
        assertThat(store.find(KEY)).isPresent();
    }

    @Test
    void countsAreAtTheirOwnNameOnly() {
        complete(StoredResponse.of(200, new byte[0]));
        IdempotencyEndpoint endpoint = new IdempotencyEndpoint(store, false);

        assertThat(endpoint.counts("counts").getBody()).isEqualTo(new IdempotencyEndpoint.Counts(true, 0L, 0L, 1L));
        assertThat(endpoint.counts("other").getStatus()).isEqualTo(404);
    }

    @Test
    void anInvalidKeyOrOwnerTokenIsABadRequest() {
        IdempotencyEndpoint endpoint = new IdempotencyEndpoint(store, false);

        assertThatThrownBy(() -> endpoint.release(KEY.scope(), key("k-1"), "")).isInstanceOf(InvalidEndpointRequestException.class);
        assertThatThrownBy(() -> endpoint.delete(KEY.scope(), key("k-1"), "x".repeat(65)))
                .isInstanceOf(InvalidEndpointRequestException.class);
        assertThatThrownBy(() -> endpoint.record(KEY.scope(), key("x".repeat(300))))
                .isInstanceOf(InvalidEndpointRequestException.class);
    }

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(IdempotencyInMemoryStoreAutoConfiguration.class,
                    IdempotencyEndpointAutoConfiguration.class));

    @Test
    void theEndpointIsCreatedOnlyWhenExposed() {
        runner.run(context -> assertThat(context).doesNotHaveBean(IdempotencyEndpoint.class));
        runner.withPropertyValues("management.endpoints.web.exposure.include=idempotency")
                .run(context -> assertThat(context).hasSingleBean(IdempotencyEndpoint.class));
        runner.withPropertyValues("management.endpoints.web.exposure.include=idempotency",
                        "management.endpoint.idempotency.access=NONE")
                .run(context -> assertThat(context).doesNotHaveBean(IdempotencyEndpoint.class));
    }

    @Test
    void theEndpointBacksOffToTheApplicationsOwn() {
        IdempotencyEndpoint own = new IdempotencyEndpoint(store, true);
        runner.withPropertyValues("management.endpoints.web.exposure.include=idempotency")
                .withBean(IdempotencyEndpoint.class, () -> own)
                .run(context -> assertThat(context).getBean(IdempotencyEndpoint.class).isSameAs(own));
    }
}
