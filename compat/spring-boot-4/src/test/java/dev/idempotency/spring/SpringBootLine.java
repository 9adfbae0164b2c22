package dev.idempotency.spring;

import dev.idempotency.spring.method.Jackson3ValueSerializer;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.boot.data.redis.autoconfigure.DataRedisAutoConfiguration;
import org.springframework.boot.flyway.autoconfigure.FlywayAutoConfiguration;
import org.springframework.boot.jdbc.DataSourceBuilder;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.jdbc.autoconfigure.DataSourceProperties;
import org.springframework.boot.web.server.context.WebServerGracefulShutdownLifecycle;

/**
 * The Spring Boot 4 names of what the shared starter tests need from Boot itself. The starter's tests compile once per
 * Boot line: this class on Boot 4, its twin in the starter's src/test/boot3 on Boot 3, where these classes live in
 * other modules and packages. The starter's own code names none of them.
 */
public final class SpringBootLine {

    /** The line the tests run on, as it appears in test names and messages. */
    public static final String NAME = "Spring Boot 4";

    public static final Class<?> DATA_SOURCE_AUTO_CONFIGURATION = DataSourceAutoConfiguration.class;

    public static final Class<?> DATA_REDIS_AUTO_CONFIGURATION = DataRedisAutoConfiguration.class;

    /** How return values of {@code @Idempotent} bean methods are stored by default: with the line's JSON library, Jackson 3. */
    public static final Class<?> DEFAULT_VALUE_SERIALIZER = Jackson3ValueSerializer.class;

    public static final Class<?> FLYWAY_AUTO_CONFIGURATION = FlywayAutoConfiguration.class;

    /** The phase of the lifecycle bean that waits for the web server's graceful shutdown. */
    public static final int WEB_SERVER_GRACEFUL_SHUTDOWN_PHASE = WebServerGracefulShutdownLifecycle.SMART_LIFECYCLE_PHASE;

    private SpringBootLine() {
    }

    /** A builder on the application's {@code spring.datasource.*} settings, as Boot builds its own pool. */
    public static DataSourceBuilder<?> applicationDataSourceBuilder(BeanFactory beans) {
        return beans.getBean(DataSourceProperties.class).initializeDataSourceBuilder();
    }
}
