package dev.idempotency.examples.orders;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * One test class's own queue and database, so that test classes, and builds running at once on one broker, never
 * share messages or rows; and the instances of the application it starts.
 */
final class TestRun implements AutoCloseable {

    final String id = UUID.randomUUID().toString().substring(0, 8);
    final String queue = "orders-it-" + id;
    final String databaseUrl;
    private final List<ConfigurableApplicationContext> instances = new ArrayList<>();

    /** @param database the H2 database location for this run's id, such as {@code "mem:orders-" + id} */
    TestRun(Function<String, String> database) {
        this.databaseUrl = h2(database.apply(id));
    }

    /** An in-memory H2 database that lives as long as the JVM, shared by the instances this JVM starts. */
    static TestRun inMemory() {
        return new TestRun(id -> "mem:orders-it-" + id + ";DB_CLOSE_DELAY=-1");
    }

    private static String h2(String location) {
        return "jdbc:h2:" + location + ";MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE;DEFAULT_NULL_ORDERING=HIGH";
    }

    /** Properties that point an instance at this run's broker queue and database. */
    Map<String, String> properties(String instanceName) {
        Map<String, String> properties = new java.util.LinkedHashMap<>(RabbitBroker.properties());
        properties.put("orders.queue", queue);
        properties.put("spring.datasource.url", databaseUrl);
        properties.put("orders.instance-name", instanceName);
        // The report job runs in its own test only.
        properties.put("orders.report.cron", "-");
        return properties;
    }

    /** Starts one more instance of the application in this JVM, on a random port. */
    ConfigurableApplicationContext startInstance(Map<String, String> properties) {
        List<String> args = new ArrayList<>();
        args.add("--server.port=0");
        properties.forEach((name, value) -> args.add("--" + name + "=" + value));
        ConfigurableApplicationContext context = new SpringApplicationBuilder(OrdersApplication.class)
                .run(args.toArray(String[]::new));
        instances.add(context);
        return context;
    }

    /** Closes the instances this run started and deletes its queue. */
    @Override
    public void close() throws Exception {
        for (ConfigurableApplicationContext instance : instances) {
            instance.close();
        }
        ConnectionFactory factory = new ConnectionFactory();
        factory.setUri(RabbitBroker.uri());
        try (Connection connection = factory.newConnection("idempotency-test-cleanup");
                Channel channel = connection.createChannel()) {
            channel.queueDelete(queue);
        }
    }
}
