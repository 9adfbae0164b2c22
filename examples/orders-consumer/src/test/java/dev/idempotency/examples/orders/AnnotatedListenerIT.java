package dev.idempotency.examples.orders;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.idempotency.examples.orders.order.OrderPlaced;
import dev.idempotency.spring.Idempotent;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.amqp.core.Queue;
import org.springframework.amqp.rabbit.annotation.RabbitListener;
import org.springframework.amqp.rabbit.core.RabbitTemplate;
import org.springframework.aop.support.AopUtils;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The README's "Beyond HTTP" listener as written there: {@code @Idempotent(key = "#event.eventId")} on the
 * {@code @RabbitListener} method itself, with the container's automatic acknowledgements, on a real broker
 * ({@link RabbitBroker}). The queue has one consumer with a prefetch of one, so deliveries are handled in the order
 * they were published: once the event published after the copies has run, every copy has been handled.
 */
@SpringBootTest
@Import(AnnotatedListenerIT.ListenerConfiguration.class)
class AnnotatedListenerIT {

    private static final TestRun RUN = TestRun.inMemory();
    private static final String QUEUE = RUN.queue + "-annotated";

    @DynamicPropertySource
    static void broker(DynamicPropertyRegistry registry) {
        RUN.properties("instance-a").forEach((name, value) -> registry.add(name, () -> value));
        registry.add("orders.test.annotated-queue", () -> QUEUE);
    }

    @AfterAll
    static void deleteQueue() throws Exception {
        RUN.close();
    }

    @Autowired
    RabbitTemplate rabbit;

    @Autowired
    OrderPlacedListener listener;

    @Autowired
    Runs runs;

    /** How often the listener method ran, per event id; a field of the listener would be read on its proxy. */
    public static class Runs {
        final Map<String, AtomicInteger> byEvent = new ConcurrentHashMap<>();

        int of(OrderPlaced event) {
            AtomicInteger count = byEvent.get(event.eventId());
            return count == null ? 0 : count.get();
        }
    }

    public static class OrderPlacedListener {

        private final Runs runs;

        public OrderPlacedListener(Runs runs) {
            this.runs = runs;
        }

        @RabbitListener(queues = "${orders.test.annotated-queue}", ackMode = "AUTO")
        @Idempotent(key = "#event.eventId")
        public void onOrderPlaced(OrderPlaced event) {
            runs.byEvent.computeIfAbsent(event.eventId(), id -> new AtomicInteger()).incrementAndGet();
        }
    }

    @TestConfiguration(proxyBeanMethods = false)
    static class ListenerConfiguration {

        @Bean
        Queue annotatedQueue() {
            // Deleted by the broker once its consumer is gone.
            return new Queue(QUEUE, false, false, true);
        }

        @Bean
        Runs runs() {
            return new Runs();
        }

        @Bean
        OrderPlacedListener orderPlacedListener(Runs runs) {
            return new OrderPlacedListener(runs);
        }
    }

    @Test
    void anEventDeliveredThreeTimesRunsTheAnnotatedListenerOnce() {
        assertThat(AopUtils.isAopProxy(listener)).as("the listener bean is advised").isTrue();
        OrderPlaced event = new OrderPlaced("evt-" + UUID.randomUUID(), "annotated-1", "sku-1", 1);
        OrderPlaced after = new OrderPlaced("evt-" + UUID.randomUUID(), "annotated-2", "sku-1", 1);
        for (int copy = 0; copy < 3; copy++) {
            rabbit.convertAndSend(QUEUE, event);
        }
        rabbit.convertAndSend(QUEUE, after);

        await().atMost(Duration.ofSeconds(60)).until(() -> runs.of(after) == 1);
        assertThat(runs.of(event)).as("runs of the event published three times").isEqualTo(1);
    }
}
