package dev.idempotency.examples.orders;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.idempotency.examples.orders.order.DeliveryCounts;
import dev.idempotency.examples.orders.order.OrderPlaced;
import dev.idempotency.examples.orders.order.OrdersProperties;
import dev.idempotency.examples.orders.order.Warehouse;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.amqp.core.AmqpAdmin;
import org.springframework.amqp.rabbit.core.RabbitTemplate;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.context.annotation.Primary;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The consumer on a real RabbitMQ broker ({@link RabbitBroker}), with the JDBC store on H2. Every scenario counts the
 * side effect, shipment rows, and the acknowledgements, and waits for every published copy to be acknowledged before
 * counting.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@Import(OrdersConsumerIT.FlakyWarehouseConfiguration.class)
class OrdersConsumerIT {

    private static final Log log = LogFactory.getLog(OrdersConsumerIT.class);
    private static final TestRun RUN = TestRun.inMemory();
    private static final Duration PATIENCE = Duration.ofSeconds(60);

    @DynamicPropertySource
    static void broker(DynamicPropertyRegistry registry) {
        RUN.properties("instance-a").forEach((name, value) -> registry.add(name, () -> value));
    }

    @AfterAll
    static void deleteQueue() throws Exception {
        RUN.close();
    }

    @LocalServerPort
    int port;

    @Autowired
    JdbcClient jdbc;

    @Autowired
    DeliveryCounts counts;

    @Autowired
    RabbitTemplate rabbit;

    @Autowired
    AmqpAdmin admin;

    @Autowired
    FlakyWarehouse warehouse;

    private final HttpClient http = HttpClient.newHttpClient();

    /** Fails the first pick of every order whose id starts with {@code flaky-}, as a warehouse briefly down would. */
    static class FlakyWarehouse extends Warehouse {

        final AtomicInteger failures = new AtomicInteger();
        private final java.util.Set<String> failedOnce = java.util.concurrent.ConcurrentHashMap.newKeySet();

        FlakyWarehouse(OrdersProperties properties) {
            super(properties);
        }

        @Override
        public void pick(OrderPlaced event) {
            if (event.orderId().startsWith("flaky-") && failedOnce.add(event.orderId())) {
                failures.incrementAndGet();
                throw new IllegalStateException("warehouse unavailable");
            }
            super.pick(event);
        }
    }

    @TestConfiguration(proxyBeanMethods = false)
    static class FlakyWarehouseConfiguration {

        @Bean
        @Primary
        FlakyWarehouse flakyWarehouse(OrdersProperties properties) {
            return new FlakyWarehouse(properties);
        }
    }

    @Test
    void anEventPublishedThreeTimesShipsOnce() throws Exception {
        int acknowledgedBefore = counts.acknowledgedCount();
        List<String> events = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            events.add(publish("order-" + i, 3));
        }
        awaitAcknowledged(counts, acknowledgedBefore + 15);
        for (String event : events) {
            assertThat(shipmentsOf(event)).as("shipments of %s", event).isEqualTo(1);
        }
    }

    @Test
    void anEventRequeuedAfterAFailureShipsOnce() throws Exception {
        int acknowledgedBefore = counts.acknowledgedCount();
        int requeuedBefore = counts.requeuedCount();
        String event = publish("flaky-" + UUID.randomUUID(), 1);
        awaitAcknowledged(counts, acknowledgedBefore + 1);
        assertThat(warehouse.failures).hasPositiveValue();
        assertThat(counts.requeuedCount()).isGreaterThan(requeuedBefore);
        assertThat(shipmentsOf(event)).isEqualTo(1);
    }

    @Test
    void twoInstancesCompetingOnOneQueueShipEachEventOnce() throws Exception {
        ConfigurableApplicationContext second = RUN.startInstance(RUN.properties("instance-b"));
        try {
            DeliveryCounts secondCounts = second.getBean(DeliveryCounts.class);
            await().atMost(PATIENCE).until(() -> admin.getQueueInfo(RUN.queue).getConsumerCount() == 2);
            int acknowledgedBefore = counts.acknowledgedCount() + secondCounts.acknowledgedCount();
            int firstDeliveriesBefore = deliveriesOf(counts);
            List<String> events = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                OrderPlaced event = new OrderPlaced("evt-" + UUID.randomUUID(), "competing-" + i, "sku-1", 1);
                for (int copy = 0; copy < 3; copy++) {
                    rabbit.convertAndSend(RUN.queue, event);
                }
                events.add(event.eventId());
            }
            await().atMost(PATIENCE).until(() -> counts.acknowledgedCount() + secondCounts.acknowledgedCount() >= acknowledgedBefore + 60);
            for (String event : events) {
                assertThat(shipmentsOf(event)).as("shipments of %s", event).isEqualTo(1);
            }
            // Which instance ships an event is a race the test does not fix: an instance still warming up can lose every
            // one. What it does fix is that both took deliveries from the one queue, so duplicates met on two instances.
            assertThat(deliveriesOf(counts) - firstDeliveriesBefore).as("deliveries taken by instance-a").isPositive();
            assertThat(deliveriesOf(secondCounts)).as("deliveries taken by instance-b").isPositive();
            assertThat(counts.acknowledgedCount() + secondCounts.acknowledgedCount()).isEqualTo(acknowledgedBefore + 60);
            log.info("Two competing instances: " + jdbc.sql("""
                    SELECT shipped_by, COUNT(*) AS shipments FROM shipment WHERE order_id LIKE 'competing-%' GROUP BY shipped_by
                    """).query().listOfRows() + "; requeued while another instance shipped the same event: "
                    + (counts.requeuedCount() + secondCounts.requeuedCount()));
        } finally {
            // Closed even when an assertion fails, so that it cannot take the later tests' deliveries.
            second.close();
        }
    }

    @Test
    void aRedeliveredWebhookEventIsAcknowledgedWithoutBeingBookedTwice() throws Exception {
        String eventId = "evt_" + UUID.randomUUID().toString().replace("-", "");
        String event = paymentEvent(eventId, 1200);
        HttpResponse<String> first = post("/webhooks/payments", event);
        HttpResponse<String> retry = post("/webhooks/payments", event);
        assertThat(first.statusCode()).isEqualTo(200);
        assertThat(retry.statusCode()).isEqualTo(200);
        assertThat(retry.body()).isEqualTo(first.body());
        assertThat(jdbc.sql("SELECT COUNT(*) FROM payment_received WHERE event_id = ?").param(eventId).query(Integer.class).single())
                .isEqualTo(1);

        HttpResponse<String> sameIdOtherPayment = post("/webhooks/payments", paymentEvent(eventId, 9900));
        assertThat(sameIdOtherPayment.statusCode()).isEqualTo(422);
        assertThat(sameIdOtherPayment.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        assertThat(jdbc.sql("SELECT COUNT(*) FROM payment_received WHERE event_id = ?").param(eventId).query(Integer.class).single())
                .isEqualTo(1);
    }

    static void awaitAcknowledged(DeliveryCounts counts, int expected) {
        await().atMost(PATIENCE).until(() -> counts.acknowledgedCount() >= expected);
        assertThat(counts.acknowledgedCount()).isEqualTo(expected);
    }

    /** The deliveries an instance answered, whether it acknowledged them or gave them back to the broker. */
    private static int deliveriesOf(DeliveryCounts counts) {
        return counts.acknowledgedCount() + counts.requeuedCount() + counts.rejectedCount();
    }

    private int shipmentsOf(String eventId) {
        return jdbc.sql("SELECT COUNT(*) FROM shipment WHERE event_id = ?").param(eventId).query(Integer.class).single();
    }

    private String publish(String orderId, int copies) throws Exception {
        HttpResponse<String> response = post("/orders/" + orderId + "/events?copies=" + copies, "");
        assertThat(response.statusCode()).isEqualTo(200);
        Matcher eventId = Pattern.compile("\"eventId\"\\s*:\\s*\"([^\"]+)\"").matcher(response.body());
        assertThat(eventId.find()).as(response.body()).isTrue();
        return eventId.group(1);
    }

    private HttpResponse<String> post(String path, String json) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json))
                .build();
        return http.send(request, HttpResponse.BodyHandlers.ofString());
    }

    private static String paymentEvent(String eventId, long amount) {
        return """
                {"id": "%s", "type": "payment_intent.succeeded",
                 "data": {"object": {"id": "pi_%s", "amount": %d, "currency": "eur", "metadata": {"order_id": "order-7"}}}}
                """.formatted(eventId, eventId.substring(4, 12), amount);
    }
}
