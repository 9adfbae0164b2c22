package dev.idempotency.examples.orders.order;

/**
 * The event a shop publishes when an order is placed. A broker may deliver it more than once, and a publisher that
 * retries after a lost confirm sends it again; {@code eventId} is the same on every copy.
 */
public record OrderPlaced(String eventId, String orderId, String sku, int quantity) {}
