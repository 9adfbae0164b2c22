package dev.idempotency.examples.orders.order;

import java.util.Map;
import java.util.UUID;
import org.springframework.amqp.rabbit.core.RabbitTemplate;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * Publishes an order's event, {@code copies} times over, as a publisher that retries after a lost confirm would: the
 * consumer must ship the order once however many copies arrive.
 */
@RestController
class OrderEventsController {

    private final RabbitTemplate rabbit;
    private final OrdersProperties properties;

    OrderEventsController(RabbitTemplate rabbit, OrdersProperties properties) {
        this.rabbit = rabbit;
        this.properties = properties;
    }

    @PostMapping("/orders/{orderId}/events")
    Map<String, Object> publish(@PathVariable String orderId, @RequestParam(defaultValue = "sku-1") String sku,
            @RequestParam(defaultValue = "1") int quantity, @RequestParam(defaultValue = "3") int copies) {
        OrderPlaced event = new OrderPlaced("evt-" + UUID.randomUUID(), orderId, sku, quantity);
        for (int i = 0; i < copies; i++) {
            rabbit.convertAndSend(properties.queue(), event);
        }
        return Map.of("eventId", event.eventId(), "copies", copies);
    }
}
