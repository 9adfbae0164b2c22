package dev.idempotency.examples.orders;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.idempotency.examples.orders.order.DeliveryCounts;
import dev.idempotency.examples.orders.order.OrderPlaced;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.amqp.core.AmqpAdmin;
import org.springframework.amqp.rabbit.core.RabbitTemplate;
import org.springframework.amqp.rabbit.listener.RabbitListenerEndpointRegistry;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * A consumer killed with SIGKILL in the middle of a message: a child JVM claims the event's key and is killed while
 * the warehouse picks the order. The broker redelivers the unacknowledged message to this JVM's consumer, which is
 * told the key is in progress (and requeues) until the dead consumer's lease runs out, then takes the key over and
 * ships. Exactly one shipment row results. Both JVMs share one H2 database file through H2's automatic server mode.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.NONE)
class ConsumerCrashIT {

    private static final Log log = LogFactory.getLog(ConsumerCrashIT.class);
    private static final Path DATABASE = Path.of("target", "h2", "orders-crash-" + UUID.randomUUID()).toAbsolutePath();
    private static final TestRun RUN = new TestRun(id -> "file:" + DATABASE + ";AUTO_SERVER=TRUE");
    /** Short, so the takeover after the crash comes soon; renewed every third of it while the child is alive. */
    private static final String LEASE = "2s";
    /** Below half the lease, so a renewal never waits for a connection until the lease ran out. */
    private static final String POOL_TIMEOUT_MILLIS = "900";

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry registry) {
        RUN.properties("survivor").forEach((name, value) -> registry.add(name, () -> value));
        registry.add("idempotency.lease", () -> LEASE);
        registry.add("spring.datasource.hikari.connection-timeout", () -> POOL_TIMEOUT_MILLIS);
        // This JVM starts consuming only after the child was killed, so the child gets the message first.
        registry.add("spring.rabbitmq.listener.simple.auto-startup", () -> "false");
    }

    @AfterAll
    static void cleanUp() throws Exception {
        RUN.close();
    }

    @Autowired
    JdbcClient jdbc;

    @Autowired
    RabbitTemplate rabbit;

    @Autowired
    AmqpAdmin admin;

    @Autowired
    RabbitListenerEndpointRegistry listeners;

    @Autowired
    DeliveryCounts counts;

    @Test
    void aMessageWhoseConsumerWasKilledMidwayIsRedeliveredAndShipsOnce() throws Exception {
        Path childLog = Path.of("target", "orders-crash-child-" + RUN.id + ".log").toAbsolutePath();
        Process child = startChild(childLog);
        try {
            await().atMost(Duration.ofSeconds(90)).until(() -> {
                assertThat(child.isAlive()).as("the child consumer is running; see %s", childLog).isTrue();
                return admin.getQueueInfo(RUN.queue) != null && admin.getQueueInfo(RUN.queue).getConsumerCount() == 1;
            });
            OrderPlaced event = new OrderPlaced("evt-" + UUID.randomUUID(), "order-crash", "sku-1", 1);
            rabbit.convertAndSend(RUN.queue, event);
            await().atMost(Duration.ofSeconds(30)).until(() -> keyStatus(event.eventId()).equals("IN_PROGRESS"));
        } finally {
            // Process.destroyForcibly is SIGKILL on Linux and macOS: no shutdown hook, no graceful stop.
            child.destroyForcibly().waitFor();
        }
        assertThat(jdbc.sql("SELECT COUNT(*) FROM shipment").query(Integer.class).single())
                .as("the child was killed before it shipped").isZero();

        listeners.start();
        await().atMost(Duration.ofSeconds(60)).until(() -> counts.acknowledgedCount() >= 1);
        List<Map<String, Object>> shipments = jdbc.sql("SELECT event_id, shipped_by FROM shipment").query().listOfRows();
        assertThat(shipments).hasSize(1);
        assertThat(shipments.get(0)).containsEntry("shipped_by", "survivor");
        assertThat(counts.acknowledgedCount()).isEqualTo(1);
        log.info("SIGKILL mid-message: the survivor requeued the redelivered message " + counts.requeuedCount()
                + " times while the dead consumer's lease ran, then acknowledged it once; shipments: " + shipments.size());
    }

    private String keyStatus(String eventId) {
        return jdbc.sql("SELECT status FROM idempotency_record WHERE scope = 'orders.shipping' AND idempotency_key = ?")
                .param(eventId).query(String.class).optional().orElse("NONE");
    }

    private static Process startChild(Path log) throws Exception {
        Files.createDirectories(log.getParent());
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElse(System.getProperty("java.home") + File.separator + "bin"
                + File.separator + "java"));
        command.add("-Xmx256m");
        // A short-lived JVM starts faster without the optimizing compiler.
        command.add("-XX:TieredStopAtLevel=1");
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(OrdersApplication.class.getName());
        Map<String, String> properties = RUN.properties("doomed");
        // The warehouse takes far longer than the test waits: the child dies while it picks the order.
        properties.put("orders.warehouse-latency", "10m");
        properties.put("idempotency.lease", LEASE);
        properties.put("spring.datasource.hikari.connection-timeout", POOL_TIMEOUT_MILLIS);
        properties.put("spring.main.web-application-type", "none");
        properties.forEach((name, value) -> command.add("--" + name + "=" + value));
        return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }
}
