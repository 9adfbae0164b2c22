package dev.idempotency.examples.orders.order;

import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/** How this instance answered the deliveries it got, at {@code GET /orders/deliveries}. */
@RestController
public class DeliveryCounts {

    private final AtomicInteger acknowledged = new AtomicInteger();
    private final AtomicInteger requeued = new AtomicInteger();
    private final AtomicInteger rejected = new AtomicInteger();

    void acknowledged() {
        acknowledged.incrementAndGet();
    }

    void requeued() {
        requeued.incrementAndGet();
    }

    void rejected() {
        rejected.incrementAndGet();
    }

    public int acknowledgedCount() {
        return acknowledged.get();
    }

    public int requeuedCount() {
        return requeued.get();
    }

    public int rejectedCount() {
        return rejected.get();
    }

    @GetMapping("/orders/deliveries")
    Map<String, Integer> counts() {
        return Map.of("acknowledged", acknowledged.get(), "requeued", requeued.get(), "rejected", rejected.get());
    }
}
