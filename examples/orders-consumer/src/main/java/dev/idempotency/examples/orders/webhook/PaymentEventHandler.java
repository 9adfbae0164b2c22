package dev.idempotency.examples.orders.webhook;

import dev.idempotency.spring.Idempotent;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;

/** Books a received payment against its order: once per provider event, however often the provider sends it. */
@Service
public class PaymentEventHandler {

    private final JdbcClient jdbc;

    public PaymentEventHandler(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    /**
     * The key is the event id inside the body; the scope keeps this provider's ids apart from another's. The
     * fingerprint is the whole event, so an id reused for a different event is refused instead of ignored.
     */
    @Idempotent(key = "#event.id", keyScope = "webhook:payments", fingerprint = "#event")
    public void handle(PaymentEvent event) {
        if (!"payment_intent.succeeded".equals(event.type())) {
            return;
        }
        PaymentEvent.PaymentIntent payment = event.data().object();
        jdbc.sql("INSERT INTO payment_received (event_id, payment_id, order_id, amount, currency) VALUES (?, ?, ?, ?, ?)")
                .params(event.id(), payment.id(), payment.orderId(), payment.amount(), payment.currency())
                .update();
    }
}
