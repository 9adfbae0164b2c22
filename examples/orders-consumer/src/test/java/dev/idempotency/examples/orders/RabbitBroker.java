package dev.idempotency.examples.orders;

import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.rabbitmq.RabbitMQContainer;

/**
 * The real RabbitMQ broker the tests run against, found in this order: the URI in {@code IDEMPOTENCY_TEST_RABBITMQ_URI}
 * (such as {@code amqp://guest:guest@broker:5672}), a Testcontainers container when a Docker engine answers, the local
 * broker at {@code amqp://guest:guest@127.0.0.1:5672}. If none answers the tests fail, with instructions; they are never
 * skipped. Each test class uses queues of its own, so concurrent builds on one broker do not see each other's messages.
 */
final class RabbitBroker {

    static final String ENV = "IDEMPOTENCY_TEST_RABBITMQ_URI";
    private static final String LOCAL = "amqp://guest:guest@127.0.0.1:5672";
    private static volatile String uri;
    private static volatile String source;

    private RabbitBroker() {}

    /** The broker's AMQP URI, located once per JVM. */
    static synchronized String uri() {
        if (uri == null) {
            locate();
        }
        return uri;
    }

    /** Spring Boot properties that point an application at the broker. */
    static Map<String, String> properties() {
        Map<String, String> properties = new LinkedHashMap<>();
        properties.put("spring.rabbitmq.addresses", uri());
        return properties;
    }

    private static void locate() {
        String fromEnvironment = System.getenv(ENV);
        if (fromEnvironment != null && !fromEnvironment.isBlank()) {
            use(fromEnvironment, "$" + ENV);
            return;
        }
        if (dockerAvailable()) {
            RabbitMQContainer container = new RabbitMQContainer("rabbitmq:4-alpine");
            container.start();
            Runtime.getRuntime().addShutdownHook(new Thread(container::stop));
            use(container.getAmqpUrl().replace("amqp://", "amqp://" + container.getAdminUsername() + ":"
                    + container.getAdminPassword() + "@"), "Testcontainers");
            return;
        }
        use(LOCAL, "localhost");
    }

    private static void use(String candidate, String from) {
        ConnectionFactory factory = new ConnectionFactory();
        try {
            factory.setUri(candidate);
            factory.setConnectionTimeout(5_000);
            try (Connection connection = factory.newConnection("idempotency-test-probe")) {
                uri = candidate;
                source = from;
            }
        } catch (Exception e) {
            throw new IllegalStateException("No RabbitMQ broker answered at " + candidate.replaceAll("//[^@]*@", "//")
                    + " (from " + from + "): " + e + ". Start one (apt-get install rabbitmq-server && rabbitmq-server "
                    + "-detached, or .ci/run does it), run Docker for Testcontainers, or set " + ENV
                    + "=amqp://user:password@host:5672.", e);
        }
    }

    private static boolean dockerAvailable() {
        // Asking Testcontainers takes many seconds when there is no engine at all; without a socket, a DOCKER_HOST or
        // a Testcontainers configuration there is nothing it could find.
        boolean hint = System.getenv("DOCKER_HOST") != null || Files.exists(Path.of("/var/run/docker.sock"))
                || Files.exists(Path.of(System.getProperty("user.home"), ".testcontainers.properties"));
        if (!hint) {
            return false;
        }
        try {
            return DockerClientFactory.instance().isDockerAvailable();
        } catch (RuntimeException | LinkageError e) {
            return false;
        }
    }

    static String source() {
        uri();
        return source;
    }
}
