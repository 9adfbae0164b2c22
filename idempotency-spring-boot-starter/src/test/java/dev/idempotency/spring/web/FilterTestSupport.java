package dev.idempotency.spring.web;

import static org.assertj.core.api.Assertions.assertThat;

import dev.idempotency.core.IdempotencyKey;
import dev.idempotency.core.store.ClaimRequest;
import dev.idempotency.core.store.ClaimResult;
import dev.idempotency.core.store.CompleteResult;
import dev.idempotency.core.store.IdempotencyRecord;
import dev.idempotency.core.store.IdempotencyStore;
import dev.idempotency.core.store.OwnerToken;
import dev.idempotency.core.store.PurgeResult;
import dev.idempotency.core.store.RecoveryPoint;
import dev.idempotency.core.store.ReleaseResult;
import dev.idempotency.core.store.RenewResult;
import dev.idempotency.core.store.StoredResponse;
import dev.idempotency.core.store.memory.InMemoryIdempotencyStore;
import dev.idempotency.spring.autoconfigure.IdempotencyAutoConfiguration;
import dev.idempotency.spring.autoconfigure.IdempotencyInMemoryStoreAutoConfiguration;
import dev.idempotency.spring.autoconfigure.IdempotencyMetricsAutoConfiguration;
import dev.idempotency.spring.autoconfigure.IdempotencyWebAutoConfiguration;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.assertj.AssertableWebApplicationContext;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.test.web.servlet.MockMvc;
import org.springframework.test.web.servlet.setup.MockMvcBuilders;
import org.springframework.web.servlet.config.annotation.EnableWebMvc;

/** A Spring MVC application with the starter's auto-configuration, driven through MockMvc and the real filter. */
final class FilterTestSupport {

    private FilterTestSupport() {}

    @Configuration(proxyBeanMethods = false)
    @EnableWebMvc
    @Import({TestController.class, ClassLevelController.class, PrototypeController.class})
    static class WebApp {}

    static WebApplicationContextRunner runner() {
        return new WebApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(IdempotencyInMemoryStoreAutoConfiguration.class,
                        IdempotencyAutoConfiguration.class, IdempotencyWebAutoConfiguration.class,
                        IdempotencyMetricsAutoConfiguration.class))
                .withUserConfiguration(WebApp.class)
                .withPropertyValues("idempotency.purge.enabled=false");
    }

    interface MvcTest {
        void run(MockMvc mvc, TestController controller, AssertableWebApplicationContext context) throws Exception;
    }

    static void withMvc(WebApplicationContextRunner runner, MvcTest test) {
        runner.run(context -> {
            assertThat(context).hasNotFailed();
            MockMvc mvc = MockMvcBuilders.webAppContextSetup(context)
                    .addFilters(context.getBean(IdempotencyFilter.class))
                    .build();
            test.run(mvc, context.getBean(TestController.class), context);
        });
    }

    /** Delegates to an in-memory store, counting claims; or fails every claim, to simulate an outage. */
    static final class ObservedStore implements IdempotencyStore {

        final InMemoryIdempotencyStore delegate = new InMemoryIdempotencyStore();
        final AtomicInteger claims = new AtomicInteger();
        volatile boolean down;
        volatile boolean loseOwnershipOnComplete;

        @Override
        public ClaimResult claim(ClaimRequest request) {
            claims.incrementAndGet();
            if (down) {
                throw new dev.idempotency.core.store.IdempotencyStoreException("connection refused (simulated)");
            }
            return delegate.claim(request);
        }

        @Override
        public CompleteResult complete(IdempotencyKey key, OwnerToken owner, StoredResponse response, Duration retention) {
            if (loseOwnershipOnComplete) {
                return new CompleteResult.OwnershipLost();
            }
            return delegate.complete(key, owner, response, retention);
        }

        @Override
        public ReleaseResult release(IdempotencyKey key, OwnerToken owner) {
            return delegate.release(key, owner);
        }

        @Override
        public RenewResult renew(IdempotencyKey key, OwnerToken owner, Duration lease) {
            return delegate.renew(key, owner, lease);
        }

        @Override
        public RenewResult checkpoint(IdempotencyKey key, OwnerToken owner, RecoveryPoint recoveryPoint, Duration lease) {
            return delegate.checkpoint(key, owner, recoveryPoint, lease);
        }

        @Override
        public Optional<IdempotencyRecord> find(IdempotencyKey key) {
            return delegate.find(key);
        }

        @Override
        public PurgeResult purgeExpired(int batchSize) {
            return delegate.purgeExpired(batchSize);
        }
    }
}
