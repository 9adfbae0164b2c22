package dev.idempotency.examples.orders;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;
import org.springframework.scheduling.annotation.EnableScheduling;

/**
 * Three sources of duplicates, one annotation: order events a RabbitMQ queue delivers at least once, payment webhooks
 * a provider retries, and a report every instance schedules. Each handler carries {@code @Idempotent(key = ...)}.
 */
@SpringBootApplication
@ConfigurationPropertiesScan
@EnableScheduling
public class OrdersApplication {

    public static void main(String[] args) {
        SpringApplication.run(OrdersApplication.class, args);
    }
}
