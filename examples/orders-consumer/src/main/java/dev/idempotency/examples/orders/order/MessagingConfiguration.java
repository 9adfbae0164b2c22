package dev.idempotency.examples.orders.order;

import org.springframework.amqp.core.Queue;
import org.springframework.amqp.core.QueueBuilder;
import org.springframework.amqp.support.converter.JacksonJsonMessageConverter;
import org.springframework.amqp.support.converter.MessageConverter;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

@Configuration(proxyBeanMethods = false)
class MessagingConfiguration {

    @Bean
    Queue ordersQueue(OrdersProperties properties) {
        return QueueBuilder.durable(properties.queue()).build();
    }

    /** Order events travel as JSON; Spring Boot applies this converter to the template and the listeners. */
    @Bean
    MessageConverter jsonMessageConverter() {
        return new JacksonJsonMessageConverter();
    }
}
