package dev.idempotency.jdbc.reliability;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;

/** Every request and response of a scenario, recorded by the client threads, in completion order. */
public final class HttpHistory {

    private final ConcurrentLinkedQueue<Exchange> exchanges = new ConcurrentLinkedQueue<>();

    public Exchange record(Exchange exchange) {
        exchanges.add(exchange);
        return exchange;
    }

    public List<Exchange> exchanges() {
        return new ArrayList<>(exchanges);
    }

    public int size() {
        return exchanges.size();
    }
}
