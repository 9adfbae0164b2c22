package dev.idempotency.examples.boot3;

import dev.idempotency.spring.Idempotent;
import java.net.URI;
import java.security.Principal;
import java.util.UUID;
import org.springframework.http.ResponseEntity;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

@RestController
class OrderController {

    record CreateOrder(String item, int quantity) {}

    record Order(UUID id, String item, int quantity) {}

    private final JdbcClient jdbc;

    OrderController(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    @PostMapping("/orders")
    @Idempotent                      // requires Idempotency-Key; keys are scoped to the authenticated user
    ResponseEntity<Order> create(@RequestBody CreateOrder request, Principal principal) {
        Order order = new Order(UUID.randomUUID(), request.item(), request.quantity());
        jdbc.sql("INSERT INTO orders (id, customer, item, quantity) VALUES (?, ?, ?, ?)")   // runs once per key
                .params(order.id(), principal.getName(), order.item(), order.quantity())
                .update();
        return ResponseEntity.created(URI.create("/orders/" + order.id())).body(order);
    }
}
