package dev.idempotency.examples.orders.webhook;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Map;

/**
 * A payment provider's event in Stripe's shape: {@code id} identifies the event, and is the same on every retry of
 * its delivery; {@code data.object} is the payment it is about.
 */
public record PaymentEvent(String id, String type, Data data) {

    public record Data(PaymentIntent object) {}

    public record PaymentIntent(String id, long amount, String currency, Map<String, String> metadata) {

        @JsonProperty(access = JsonProperty.Access.READ_ONLY)
        public String orderId() {
            return metadata == null ? null : metadata.get("order_id");
        }
    }
}
