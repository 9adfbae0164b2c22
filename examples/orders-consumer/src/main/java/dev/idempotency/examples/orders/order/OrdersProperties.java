package dev.idempotency.examples.orders.order;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * @param queue the queue order events are published to and consumed from
 * @param warehouseLatency how long the warehouse takes to pick an order; a few seconds leave time to kill the
 *     consumer in the middle of a message
 */
@ConfigurationProperties("orders")
public record OrdersProperties(String queue, Duration warehouseLatency) {

    public OrdersProperties {
        if (queue == null || queue.isBlank()) {
            queue = "orders";
        }
        if (warehouseLatency == null) {
            warehouseLatency = Duration.ZERO;
        }
    }
}
