package dev.idempotency.spring.method;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.idempotency.core.IdempotencyKey;
import dev.idempotency.core.WorkContext;
import dev.idempotency.spring.Idempotent;
import dev.idempotency.spring.SpringBootLine;
import dev.idempotency.spring.autoconfigure.IdempotencyAutoConfiguration;
import dev.idempotency.spring.autoconfigure.IdempotencyInMemoryStoreAutoConfiguration;
import dev.idempotency.spring.autoconfigure.IdempotentMethodAutoConfiguration;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.aop.support.AopUtils;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/** {@link Idempotent} on plain bean methods, through the auto-configured advisor and the in-memory store. */
class IdempotentMethodTest {

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(IdempotencyInMemoryStoreAutoConfiguration.class,
                    IdempotencyAutoConfiguration.class, IdempotentMethodAutoConfiguration.class));

    private final ExecutorService executor = Executors.newCachedThreadPool();

    @AfterEach
    void stopThreads() {
        executor.shutdownNow();
    }

    public record Order(String id, long amount) {}

    public record Shipment(String orderId, int number) {}

    /** What the methods did; a field of the bean itself would be read on its proxy, which has its own. */
    public static class Journal {

        final AtomicInteger runs = new AtomicInteger();
        final List<IdempotencyKey> keys = new CopyOnWriteArrayList<>();
        volatile CountDownLatch entered = new CountDownLatch(0);
        volatile CountDownLatch proceed = new CountDownLatch(0);
        volatile RuntimeException failure;
    }

    public static class Shipping {

        final Journal journal;

        public Shipping(Journal journal) {
            this.journal = journal;
        }

        @Idempotent(key = "#order.id", keyScope = "orders")
        public Shipment ship(Order order) throws InterruptedException {
            journal.keys.add(IdempotentMethodContext.current().key());
            journal.entered.countDown();
            journal.proceed.await();
            if (journal.failure != null) {
                throw journal.failure;
            }
            return new Shipment(order.id(), journal.runs.incrementAndGet());
        }

        @Idempotent(key = "#order.id", keyScope = "orders", inFlightWait = "20s")
        public Shipment shipWaiting(Order order) throws InterruptedException {
            return ship(order);
        }

        @Idempotent(key = "#id")
        public void remind(String id) {
            journal.keys.add(IdempotentMethodContext.current().key());
            journal.runs.incrementAndGet();
        }

        @Idempotent(key = "#order.id", keyScope = "fingerprinted", fingerprint = "#order")
        public int charge(Order order) {
            return journal.runs.incrementAndGet();
        }

        @Idempotent(key = "#order.id", keyScope = "tenant:#{#tenant}")
        public List<Shipment> shipFor(String tenant, Order order) {
            journal.runs.incrementAndGet();
            journal.keys.add(IdempotentMethodContext.current().key());
            return List.of(new Shipment(order.id(), journal.runs.get()));
        }

        @Idempotent(key = "#name")
        public void checked(String name) throws IOException {
            journal.runs.incrementAndGet();
            if (journal.runs.get() == 1) {
                throw new IOException("disk full");
            }
        }

        @Idempotent(key = "#order.customer")
        public void badKey(Order order) {
            journal.runs.incrementAndGet();
        }
    }

    private ApplicationContextRunner withShipping() {
        return runner.withBean(Journal.class).withBean(Shipping.class);
    }

    @Test
    void aDuplicateGetsTheStoredReturnValueWithoutRunning() {
        withShipping().run(context -> {
            Shipping shipping = context.getBean(Shipping.class);
            Journal journal = context.getBean(Journal.class);
            assertThat(AopUtils.isAopProxy(shipping)).isTrue();
            Shipment first = shipping.ship(new Order("o-1", 10));
            Shipment second = shipping.ship(new Order("o-1", 10));
            Shipment other = shipping.ship(new Order("o-2", 10));
            assertThat(first).isEqualTo(new Shipment("o-1", 1));
            assertThat(second).isEqualTo(first);
            assertThat(other).isEqualTo(new Shipment("o-2", 2));
            assertThat(journal.runs).hasValue(2);
            assertThat(journal.keys).containsExactly(IdempotencyKey.of("orders", "o-1"), IdempotencyKey.of("orders", "o-2"));
        });
    }

    @Test
    void aVoidMethodRunsOnceAndItsScopeIsTheMethodsIdentityByDefault() {
        withShipping().run(context -> {
            Shipping shipping = context.getBean(Shipping.class);
            Journal journal = context.getBean(Journal.class);
            shipping.remind("n-1");
            shipping.remind("n-1");
            assertThat(journal.runs).hasValue(1);
            assertThat(journal.keys).containsExactly(IdempotencyKey.of(Shipping.class.getName() + ".remind", "n-1"));
        });
    }

    @Test
    void aGenericReturnValueComesBackWithItsElementTypeAndTheScopeTemplateUsesTheArguments() {
        withShipping().run(context -> {
            Shipping shipping = context.getBean(Shipping.class);
            Journal journal = context.getBean(Journal.class);
            List<Shipment> first = shipping.shipFor("acme", new Order("o-1", 10));
            List<Shipment> replay = shipping.shipFor("acme", new Order("o-1", 10));
            List<Shipment> otherTenant = shipping.shipFor("globex", new Order("o-1", 10));
            assertThat(replay).isEqualTo(first).first().isInstanceOf(Shipment.class);
            assertThat(otherTenant).containsExactly(new Shipment("o-1", 2));
            assertThat(journal.keys).containsExactly(IdempotencyKey.of("tenant:acme", "o-1"), IdempotencyKey.of("tenant:globex", "o-1"));
        });
    }

    @Test
    void anExceptionReleasesTheKeySoTheRedeliveryRuns() {
        withShipping().run(context -> {
            Shipping shipping = context.getBean(Shipping.class);
            Journal journal = context.getBean(Journal.class);
            journal.failure = new IllegalStateException("warehouse down");
            assertThatThrownBy(() -> shipping.ship(new Order("o-1", 10))).isSameAs(journal.failure);
            journal.failure = null;
            assertThat(shipping.ship(new Order("o-1", 10))).isEqualTo(new Shipment("o-1", 1));
        });
    }

    @Test
    void aCheckedExceptionPropagatesUnwrappedAndReleasesTheKey() {
        withShipping().run(context -> {
            Shipping shipping = context.getBean(Shipping.class);
            Journal journal = context.getBean(Journal.class);
            assertThatThrownBy(() -> shipping.checked("c-1")).isInstanceOf(IOException.class).hasMessage("disk full");
            shipping.checked("c-1");
            shipping.checked("c-1");
            assertThat(journal.runs).hasValue(2);
        });
    }

    @Test
    void theSameKeyWithAnotherFingerprintIsAReusedKey() {
        withShipping().run(context -> {
            Shipping shipping = context.getBean(Shipping.class);
            Journal journal = context.getBean(Journal.class);
            assertThat(shipping.charge(new Order("o-1", 10))).isEqualTo(1);
            assertThat(shipping.charge(new Order("o-1", 10))).isEqualTo(1);
            assertThatThrownBy(() -> shipping.charge(new Order("o-1", 99)))
                    .isInstanceOf(IdempotencyKeyReusedException.class)
                    .hasMessageContaining("fingerprinted/o-1");
            assertThat(journal.runs).hasValue(1);
        });
    }

    @Test
    void aDuplicateOfACallStillRunningThrowsAtOnceByDefault() {
        withShipping().run(context -> {
            Shipping shipping = context.getBean(Shipping.class);
            Journal journal = context.getBean(Journal.class);
            journal.entered = new CountDownLatch(1);
            journal.proceed = new CountDownLatch(1);
            Future<Shipment> first = executor.submit(() -> shipping.ship(new Order("o-1", 10)));
            assertThat(journal.entered.await(10, TimeUnit.SECONDS)).isTrue();
            assertThatThrownBy(() -> shipping.ship(new Order("o-1", 10)))
                    .isInstanceOfSatisfying(IdempotencyInProgressException.class, e -> {
                        assertThat(e.key()).isEqualTo(IdempotencyKey.of("orders", "o-1"));
                        assertThat(e.retryAfter()).isPositive();
                    });
            journal.proceed.countDown();
            assertThat(first.get(10, TimeUnit.SECONDS)).isEqualTo(new Shipment("o-1", 1));
            assertThat(journal.runs).hasValue(1);
        });
    }

    @Test
    void aDuplicateOfACallStillRunningWaitsForItsResultWhenAskedTo() {
        withShipping().run(context -> {
            Shipping shipping = context.getBean(Shipping.class);
            Journal journal = context.getBean(Journal.class);
            journal.entered = new CountDownLatch(1);
            journal.proceed = new CountDownLatch(1);
            Future<Shipment> first = executor.submit(() -> shipping.shipWaiting(new Order("o-1", 10)));
            assertThat(journal.entered.await(10, TimeUnit.SECONDS)).isTrue();
            Future<Shipment> duplicate = executor.submit(() -> shipping.shipWaiting(new Order("o-1", 10)));
            journal.proceed.countDown();
            assertThat(first.get(10, TimeUnit.SECONDS)).isEqualTo(new Shipment("o-1", 1));
            assertThat(duplicate.get(30, TimeUnit.SECONDS)).isEqualTo(new Shipment("o-1", 1));
            assertThat(journal.runs).hasValue(1);
        });
    }

    @Test
    void aKeyExpressionThatFailsOrGivesNullDoesNotRunTheMethod() {
        withShipping().run(context -> {
            Shipping shipping = context.getBean(Shipping.class);
            Journal journal = context.getBean(Journal.class);
            assertThatThrownBy(() -> shipping.badKey(new Order("o-1", 10)))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("key = \"#order.customer\"")
                    .hasMessageContaining("could not be evaluated");
            assertThatThrownBy(() -> shipping.remind(null))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("gave null");
            assertThat(journal.runs).hasValue(0);
        });
    }

    @Test
    void theMethodReachesItsClaimAndOutsideItThereIsNone() {
        withShipping().run(context -> {
            Shipping shipping = context.getBean(Shipping.class);
            Journal journal = context.getBean(Journal.class);
            shipping.remind("n-1");
            assertThat(IdempotentMethodContext.find()).isEmpty();
            assertThatThrownBy(IdempotentMethodContext::current).isInstanceOf(IllegalStateException.class);
        });
    }

    @Test
    void withJackson2OnlyReturnValuesAreStoredWithJackson2() {
        withShipping().withClassLoader(new FilteredClassLoader("tools.jackson")).run(context -> {
            assertThat(context).getBean(IdempotentValueSerializer.class).isInstanceOf(Jackson2ValueSerializer.class);
            Shipping shipping = context.getBean(Shipping.class);
            Journal journal = context.getBean(Journal.class);
            assertThat(shipping.shipFor("acme", new Order("o-1", 10))).isEqualTo(shipping.shipFor("acme", new Order("o-1", 10)));
            assertThat(journal.runs).hasValue(1);
        });
    }

    @Test
    void returnValuesAreStoredWithTheBootLinesJacksonAndAUserSerializerWins() {
        // Jackson 3 on Boot 4 (Jackson 2 as well, the filter above takes it away), Jackson 2 alone on Boot 3.
        withShipping().run(context -> assertThat(context).getBean(IdempotentValueSerializer.class)
                .isInstanceOf(SpringBootLine.DEFAULT_VALUE_SERIALIZER));
        IdempotentValueSerializer own = new Jackson2ValueSerializer(com.fasterxml.jackson.databind.ObjectMapper::new);
        withShipping().withBean(IdempotentValueSerializer.class, () -> own)
                .run(context -> assertThat(context).getBean(IdempotentValueSerializer.class).isSameAs(own));
    }

    @Test
    void disabledLeavesBeansUnproxied() {
        withShipping().withPropertyValues("idempotency.enabled=false")
                .run(context -> assertThat(AopUtils.isAopProxy(context.getBean(Shipping.class))).isFalse());
    }
}
