package dev.idempotency.spring;

import dev.idempotency.spring.method.Jackson2ValueSerializer;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.boot.autoconfigure.data.redis.RedisAutoConfiguration;
import org.springframework.boot.autoconfigure.flyway.FlywayAutoConfiguration;
import org.springframework.boot.autoconfigure.jdbc.DataSourceAutoConfiguration;
import org.springframework.boot.autoconfigure.jdbc.DataSourceProperties;
import org.springframework.boot.jdbc.DataSourceBuilder;
import org.springframework.boot.web.context.WebServerGracefulShutdownLifecycle;

/**
 * The Spring Boot 3 names of what the shared starter tests need from Boot itself. The starter's tests compile once per
 * Boot line: this class on Boot 3, its twin in compat/spring-boot-4 on Boot 4, where these classes live in other
 * modules and packages. The starter's own code names none of them.
 */
public final class SpringBootLine {

    /** The line the tests run on, as it appears in test names and messages. */
    public static final String NAME = "Spring Boot 3";

    public static final Class<?> DATA_SOURCE_AUTO_CONFIGURATION = DataSourceAutoConfiguration.class;

    public static final Class<?> DATA_REDIS_AUTO_CONFIGURATION = RedisAutoConfiguration.class;

    /** How return values of {@code @Idempotent} bean methods are stored by default: with the line's JSON library, Jackson 2. */
    public static final Class<?> DEFAULT_VALUE_SERIALIZER = Jackson2ValueSerializer.class;

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
