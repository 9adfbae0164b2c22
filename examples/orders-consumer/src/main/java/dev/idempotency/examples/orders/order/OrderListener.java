package dev.idempotency.examples.orders.order;

import com.rabbitmq.client.Channel;
import dev.idempotency.spring.method.IdempotencyInProgressException;
import dev.idempotency.spring.method.IdempotencyKeyReusedException;
import java.io.IOException;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.springframework.amqp.rabbit.annotation.RabbitListener;
import org.springframework.amqp.support.AmqpHeaders;
import org.springframework.messaging.handler.annotation.Header;
import org.springframework.stereotype.Component;

/**
 * Consumes order events with manual acknowledgements: a message is acknowledged only once its order has shipped (now
 * or before), so a crash at any point leaves it unacknowledged and the broker delivers it again. Deduplication is
 * {@link ShippingService#ship}'s {@code @Idempotent}; this class only maps its answers to acknowledgements.
 */
@Component
class OrderListener {

    private static final Log log = LogFactory.getLog(OrderListener.class);
    /** A requeued message comes back at once; a short pause keeps a copy waiting for a running one from spinning. */
    private static final long IN_PROGRESS_PAUSE_MILLIS = 200;

    private final ShippingService shipping;
    private final DeliveryCounts counts;

    OrderListener(ShippingService shipping, DeliveryCounts counts) {
        this.shipping = shipping;
        this.counts = counts;
    }

    @RabbitListener(queues = "${orders.queue}", ackMode = "MANUAL")
    void onOrderPlaced(OrderPlaced event, Channel channel, @Header(AmqpHeaders.DELIVERY_TAG) long deliveryTag)
            throws IOException, InterruptedException {
        try {
            shipping.ship(event);
            channel.basicAck(deliveryTag, false);
            counts.acknowledged();
        } catch (IdempotencyInProgressException e) {
            // Another consumer is shipping this event right now. Requeue: by the time it comes back the other one
            // has finished (and this copy returns without shipping) or has crashed (and its lease runs out).
            Thread.sleep(IN_PROGRESS_PAUSE_MILLIS);
            channel.basicNack(deliveryTag, false, true);
            counts.requeued();
        } catch (IdempotencyKeyReusedException e) {
            // Not a duplicate: another order under a used event id. Redelivery cannot help; with a dead-letter
            // exchange on the queue, the rejected message goes there.
            log.error("Rejected " + event + ": " + e.getMessage());
            channel.basicReject(deliveryTag, false);
            counts.rejected();
        } catch (RuntimeException e) {
            // Shipping failed and its key was released: the redelivery ships again.
            log.warn("Shipping " + event + " failed, requeued: " + e);
            channel.basicNack(deliveryTag, false, true);
            counts.requeued();
        }
    }
}
