package dev.idempotency.spring.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.idempotency.jdbc.JdbcIdempotencySchema;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DriverManagerDataSource;

/**
 * Two application instances (two Tomcats, two engines, two connection pools) sharing one PostgreSQL schema, as
 * behind a load balancer: a key is executed once across both.
 */
class TwoInstancesPostgresIT {

    private static final PostgresTestDatabase DATABASE = PostgresTestDatabase.createSchema();
    private static ConfigurableApplicationContext first;
    private static ConfigurableApplicationContext second;
    private static boolean tableExistedAfterEmbeddedStartup;
    private static Throwable startupWithoutTheTable;

    @BeforeAll
    static void startTwoInstances() {
        // The default initialize-schema (embedded) must leave a real PostgreSQL alone, and the schema check then fails
        // the startup instead of letting every request fail ...
        try {
            start().close();
        } catch (RuntimeException e) {
            startupWithoutTheTable = e;
        }
        tableExistedAfterEmbeddedStartup = tableCount() > 0;
        // ... so the table comes from the shipped DDL, as a migration would create it.
        DriverManagerDataSource dataSource = new DriverManagerDataSource(DATABASE.url(), DATABASE.user, DATABASE.password);
        JdbcIdempotencySchema.create(dataSource, JdbcIdempotencySchema.DEFAULT_TABLE_NAME);
        first = start();
        second = start();
    }

    private static ConfigurableApplicationContext start() {
        return new SpringApplicationBuilder(ItApplication.class).properties(
                "server.port=0",
                "spring.datasource.url=" + DATABASE.url(),
                "spring.datasource.username=" + DATABASE.user,
                "spring.datasource.password=" + DATABASE.password,
                "spring.datasource.hikari.maximum-pool-size=20",
                "idempotency.purge.enabled=false").run();
    }

    private static Throwable rootCause(Throwable failure) {
        Throwable cause = failure;
        while (cause.getCause() != null && cause.getCause() != cause) {
            cause = cause.getCause();
        }
        return cause;
    }

    private static int tableCount() {
        DriverManagerDataSource dataSource = new DriverManagerDataSource(DATABASE.baseUrl, DATABASE.user, DATABASE.password);
        return new JdbcTemplate(dataSource).queryForObject(
                "select count(*) from information_schema.tables where table_schema = ? and table_name = 'idempotency_record'",
                Integer.class, DATABASE.schema);
    }

    @AfterAll
    static void stop() {
        if (first != null) {
            first.close();
        }
        if (second != null) {
            second.close();
        }
        DATABASE.dropSchema();
    }

    private static int port(ConfigurableApplicationContext context) {
        return Integer.parseInt(context.getEnvironment().getProperty("local.server.port"));
    }

    @Test
    void embeddedSchemaModeDoesNotTouchARealDatabase() {
        assertThat(tableExistedAfterEmbeddedStartup).isFalse();
        assertThat(startupWithoutTheTable).as("startup without the table").isNotNull();
        assertThat(rootCause(startupWithoutTheTable)).hasMessageContaining("The idempotency table 'idempotency_record' does not exist")
                .hasMessageContaining("spring.flyway.locations").hasMessageContaining("initialize-schema=always")
                .hasMessageContaining("schema-<vendor>.sql");
        assertThat(tableCount()).isEqualTo(1);
    }

    @Test
    void concurrentDuplicatesSpreadOverTwoInstancesExecuteOnce() throws Exception {
        int clients = 40;
        String key = "two-instances-" + System.nanoTime();
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
        int[] ports = {port(first), port(second)};
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        List<Future<HttpResponse<String>>> futures = new ArrayList<>();
        try {
            for (int i = 0; i < clients; i++) {
                int port = ports[i % 2];
                futures.add(pool.submit(() -> {
                    start.await();
                    HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/payments"))
                            .timeout(Duration.ofSeconds(60))
                            .header("Content-Type", "application/json")
                            .header("Idempotency-Key", key)
                            .header("X-User", "carol")
                            .POST(HttpRequest.BodyPublishers.ofString("{\"amount\":7}", StandardCharsets.UTF_8))
                            .build();
                    return http.send(request, HttpResponse.BodyHandlers.ofString());
                }));
            }
            start.countDown();
            List<HttpResponse<String>> responses = new ArrayList<>();
            for (Future<HttpResponse<String>> future : futures) {
                responses.add(future.get(120, TimeUnit.SECONDS));
            }

            int executions = first.getBean(ItApplication.PaymentsController.class).executions(key)
                    + second.getBean(ItApplication.PaymentsController.class).executions(key);
            assertThat(executions).isEqualTo(1);
            List<String> bodies = responses.stream().filter(r -> r.statusCode() == 201).map(HttpResponse::body).distinct().toList();
            assertThat(bodies).hasSize(1);
            assertThat(responses).allSatisfy(r -> assertThat(r.statusCode()).isIn(201, 409));

            // Every later retry, on either instance, replays the one result.
            for (int port : ports) {
                HttpRequest retry = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/payments"))
                        .header("Content-Type", "application/json").header("Idempotency-Key", key).header("X-User", "carol")
                        .POST(HttpRequest.BodyPublishers.ofString("{\"amount\":7}")).build();
                HttpResponse<String> replay = http.send(retry, HttpResponse.BodyHandlers.ofString());
                assertThat(replay.statusCode()).isEqualTo(201);
                assertThat(replay.body()).isEqualTo(bodies.get(0));
                assertThat(replay.headers().firstValue("Idempotent-Replayed")).hasValue("true");
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
