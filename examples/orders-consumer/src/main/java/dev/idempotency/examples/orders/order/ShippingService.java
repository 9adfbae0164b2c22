package dev.idempotency.examples.orders.order;

import dev.idempotency.spring.Idempotent;
import java.time.Instant;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;

/** Ships an order: the side effect that must happen once per event, however often the event is delivered. */
@Service
public class ShippingService {

    private final Warehouse warehouse;
    private final JdbcClient jdbc;
    private final String instance;

    public ShippingService(Warehouse warehouse, JdbcClient jdbc, @Value("${orders.instance-name:${spring.application.name}}") String instance) {
        this.warehouse = warehouse;
        this.jdbc = jdbc;
        this.instance = instance;
    }

    /**
     * Runs once per event id. A copy of an event already shipped returns the first shipment without running; a copy
     * that arrives while the first is being shipped throws {@code IdempotencyInProgressException}; a copy with the
     * same id but another order throws {@code IdempotencyKeyReusedException}.
     */
    @Idempotent(key = "#event.eventId", keyScope = "orders.shipping", fingerprint = "#event")
    public Shipment ship(OrderPlaced event) {
        warehouse.pick(event);
        Instant shippedAt = Instant.now();
        jdbc.sql("INSERT INTO shipment (event_id, order_id, sku, quantity, shipped_by, shipped_at) VALUES (?, ?, ?, ?, ?, ?)")
                .params(event.eventId(), event.orderId(), event.sku(), event.quantity(), instance, shippedAt)
                .update();
        return new Shipment(event.orderId(), event.eventId(), instance, shippedAt);
    }
}
