package dev.idempotency.core.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.idempotency.core.IdempotencyEngine;
import dev.idempotency.core.IdempotencyOutcome;
import dev.idempotency.core.IdempotentRequest;
import dev.idempotency.core.RequestFingerprint;
import dev.idempotency.core.ResultCodecs;
import dev.idempotency.core.store.memory.InMemoryIdempotencyStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The code behind {@code docs/non-http.md}: the engine used without HTTP, by a message listener that gets
 * redeliveries and by a webhook receiver that gets the same event twice.
 */
class NonHttpUsageTest {

    private final IdempotencyEngine engine = IdempotencyEngine.builder(new InMemoryIdempotencyStore())
            .defaultTtl(Duration.ofDays(7))
            .lease(Duration.ofSeconds(30))
            .build();

    @AfterEach
    void closeEngine() {
        engine.close();
    }

    // --- a message listener ---------------------------------------------------------------------------------

    record OrderPlaced(String messageId, String orderId, long amount) {}

    /** Ships each order once, however often the broker redelivers the message. */
    static final class ShippingListener {
        private final IdempotencyEngine engine;
        final List<String> shipments = new CopyOnWriteArrayList<>();

        ShippingListener(IdempotencyEngine engine) {
            this.engine = engine;
        }

        /** Returns normally to acknowledge the message; throws to have it redelivered. */
        void onMessage(OrderPlaced message) {
            IdempotentRequest request = IdempotentRequest.of("queue:orders", message.messageId(),
                    RequestFingerprint.of(message.orderId(), Long.toString(message.amount())));
            IdempotencyOutcome<Void> outcome = engine.execute(request, ResultCodecs.none(), context -> {
                shipments.add(message.orderId());
                return null;
            });
            if (outcome instanceof IdempotencyOutcome.InProgress<Void>) {
                // Another consumer is handling the same message right now: ask the broker to redeliver later.
                throw new IllegalStateException("message " + message.messageId() + " is being processed elsewhere");
            }
            if (outcome instanceof IdempotencyOutcome.FingerprintMismatch<Void>) {
                // Same message id, different content: a producer bug. Acknowledge it and leave it to alerting.
                return;
            }
            // Executed or Replayed: the order has been shipped exactly once; acknowledge.
        }
    }

    @Test
    void aRedeliveredMessageIsProcessedOnce() {
        ShippingListener listener = new ShippingListener(engine);
        OrderPlaced message = new OrderPlaced("msg-1", "order-42", 1999);

        listener.onMessage(message);
        listener.onMessage(message);
        listener.onMessage(message);

        assertThat(listener.shipments).containsExactly("order-42");
    }

    @Test
    void concurrentRedeliveriesShipOnceAndTheLosersAskForRedelivery() throws Exception {
        ShippingListener listener = new ShippingListener(engine);
        OrderPlaced message = new OrderPlaced("msg-2", "order-43", 500);
        ExecutorService consumers = Executors.newFixedThreadPool(8);
        try {
            List<Future<?>> deliveries = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                deliveries.add(consumers.submit(() -> listener.onMessage(message)));
            }
            int redeliveriesRequested = 0;
            for (Future<?> delivery : deliveries) {
                try {
                    delivery.get(10, TimeUnit.SECONDS);
                } catch (java.util.concurrent.ExecutionException e) {
                    assertThat(e.getCause()).isInstanceOf(IllegalStateException.class);
                    redeliveriesRequested++;
                }
            }
            // The broker redelivers the rejected copies; they are all replays now.
            for (int i = 0; i < redeliveriesRequested; i++) {
                listener.onMessage(message);
            }
        } finally {
            consumers.shutdownNow();
        }

        assertThat(listener.shipments).containsExactly("order-43");
    }

    // --- a webhook receiver ---------------------------------------------------------------------------------

    /** Books each payment event once and answers every delivery of it with the same acknowledgement. */
    static final class PaymentWebhookReceiver {
        private final IdempotencyEngine engine;
        final Map<String, Long> ledger = new ConcurrentHashMap<>();
        final AtomicInteger failuresToSimulate = new AtomicInteger();

        PaymentWebhookReceiver(IdempotencyEngine engine) {
            this.engine = engine;
        }

        /** Returns the body to answer the sender with. */
        String receive(String provider, String eventId, String payload) {
            IdempotentRequest request = IdempotentRequest.of("webhook:" + provider, eventId, RequestFingerprint.of(payload));
            IdempotencyOutcome<String> outcome = engine.execute(request, ResultCodecs.utf8(), context -> {
                if (failuresToSimulate.getAndDecrement() > 0) {
                    throw new IllegalStateException("ledger unavailable");
                }
                ledger.merge(eventId, 1L, Long::sum);
                return "booked " + eventId;
            });
            if (outcome instanceof IdempotencyOutcome.Executed<String> executed) {
                return executed.result();
            }
            if (outcome instanceof IdempotencyOutcome.Replayed<String> replayed) {
                return replayed.result();
            }
            throw new IllegalStateException("retry later: " + outcome.getClass().getSimpleName());
        }
    }

    @Test
    void aWebhookDeliveredTwiceIsBookedOnceAndAnsweredTheSameWay() {
        PaymentWebhookReceiver receiver = new PaymentWebhookReceiver(engine);

        String first = receiver.receive("acme-pay", "evt_1", "{\"amount\":1000}");
        String second = receiver.receive("acme-pay", "evt_1", "{\"amount\":1000}");

        assertThat(first).isEqualTo("booked evt_1");
        assertThat(second).isEqualTo(first);
        assertThat(receiver.ledger).containsExactly(Map.entry("evt_1", 1L));
    }

    @Test
    void aFailedDeliveryIsNotRememberedSoTheSendersRetryIsBooked() {
        PaymentWebhookReceiver receiver = new PaymentWebhookReceiver(engine);
        receiver.failuresToSimulate.set(1);

        assertThatThrownBy(() -> receiver.receive("acme-pay", "evt_2", "{}")).hasMessage("ledger unavailable");
        String retry = receiver.receive("acme-pay", "evt_2", "{}");

        assertThat(retry).isEqualTo("booked evt_2");
        assertThat(receiver.ledger).containsExactly(Map.entry("evt_2", 1L));
    }

    @Test
    void eventIdsOfDifferentProvidersDoNotCollide() {
        PaymentWebhookReceiver receiver = new PaymentWebhookReceiver(engine);

        receiver.receive("acme-pay", "evt_3", "{}");
        receiver.receive("other-pay", "evt_3", "{}");

        assertThat(receiver.ledger).containsExactly(Map.entry("evt_3", 2L));
    }
}
