package dev.idempotency.spring.reliability;

import dev.idempotency.jdbc.ReliabilityPostgres;
import java.net.URI;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/** Starts instances of {@link ReliabilityWebApp}, each a Spring context of its own on a random port. */
final class ReliabilityInstances implements AutoCloseable {

    private final List<ConfigurableApplicationContext> contexts = new ArrayList<>();

    /** Properties every instance gets: the database, the shared table, no background purge, quiet logs. */
    static Map<String, Object> databaseProperties(ReliabilityPostgres db, String url, int poolSize) {
        Map<String, Object> properties = new LinkedHashMap<>();
        properties.put("spring.datasource.url", url);
        properties.put("spring.datasource.username", db.user());
        properties.put("spring.datasource.password", db.password());
        properties.put("spring.datasource.hikari.maximum-pool-size", poolSize);
        properties.put("spring.datasource.hikari.minimum-idle", 1);
        properties.put("idempotency.store.type", "jdbc");
        properties.put("idempotency.jdbc.initialize-schema", "never");
        properties.put("idempotency.purge.enabled", false);
        properties.put("spring.main.banner-mode", "off");
        properties.put("logging.level.root", "WARN");
        return properties;
    }

    URI start(String instance, ReliabilityWebApp.Executions executions, Map<String, Object> properties) {
        Map<String, Object> all = new LinkedHashMap<>(properties);
        all.put("server.port", 0);
        all.put("reliability.instance", instance);
        ConfigurableApplicationContext context = new SpringApplicationBuilder(ReliabilityWebApp.class)
                .properties(all)
                .initializers(ctx -> ctx.getBeanFactory().registerSingleton("executions", executions))
                .run();
        contexts.add(context);
        return URI.create("http://127.0.0.1:" + context.getEnvironment().getProperty("local.server.port"));
    }

    @Override
    public void close() {
        contexts.forEach(ConfigurableApplicationContext::close);
    }
}
