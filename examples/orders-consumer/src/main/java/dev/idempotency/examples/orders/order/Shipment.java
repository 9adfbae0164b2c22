package dev.idempotency.examples.orders.order;

import java.time.Instant;

/** What shipping an order produced; a duplicate event gets this same value back. */
public record Shipment(String orderId, String eventId, String shippedBy, Instant shippedAt) {}
