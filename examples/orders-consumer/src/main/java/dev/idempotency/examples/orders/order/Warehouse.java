package dev.idempotency.examples.orders.order;

import java.time.Duration;
import org.springframework.stereotype.Component;

/** Picks and packs an order: the slow part of shipping, done before the shipment is recorded. */
@Component
public class Warehouse {

    private final Duration latency;

    public Warehouse(OrdersProperties properties) {
        this.latency = properties.warehouseLatency();
    }

    public void pick(OrderPlaced event) {
        if (!latency.isZero()) {
            try {
                Thread.sleep(latency.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while picking order " + event.orderId(), e);
            }
        }
    }
}
