package dev.idempotency.benchmarks.http;

import dev.idempotency.benchmarks.CountingDataSource;
import dev.idempotency.spring.Idempotent;
import dev.idempotency.spring.IdempotencyScope;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Map;
import javax.sql.DataSource;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Bean;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

/**
 * The smallest application that shows what the idempotency filter costs over HTTP: two no-op endpoints that differ
 * only by {@link Idempotent}. {@code run.sh} starts it with {@code --idempotency.store.type=memory} or
 * {@code jdbc} (the table {@code idem_bench.idempotency_record}), or with {@code --idempotency.enabled=false}, and
 * loads it with wrk from another process.
 *
 * <p>The data source is wrapped in a {@link CountingDataSource}, and {@code GET /bench/jdbc} reports what it counted
 * ({@code POST /bench/jdbc/reset} starts over), so {@link HttpRoundTrips} can count database round trips per HTTP
 * request.
 */
@SpringBootApplication
public class BenchmarkApplication {

    public static void main(String[] args) {
        SpringApplication.run(BenchmarkApplication.class, args);
    }

    /** Counts what reaches the database through the application's data source. */
    @Bean
    static BeanPostProcessor countingDataSource() {
        return new BeanPostProcessor() {
            @Override
            public Object postProcessAfterInitialization(Object bean, String beanName) {
                return bean instanceof DataSource dataSource && !(bean instanceof CountingDataSource)
                        ? new CountingDataSource(dataSource) : bean;
            }
        };
    }

    @RestController
    static class Endpoints {

        private static final String RESPONSE = "{\"ok\":true}";

        private final ObjectProvider<DataSource> dataSource;

        Endpoints(ObjectProvider<DataSource> dataSource) {
            this.dataSource = dataSource;
        }

        @PostMapping(path = "/plain", produces = MediaType.APPLICATION_JSON_VALUE)
        String plain(@RequestBody(required = false) String body) {
            return RESPONSE;
        }

        /**
         * wrk sends no credentials, so the endpoint says it is for anonymous callers: one scope for all of them
         * (a principal-scoped handler would answer every request with 401 principal-required).
         */
        @PostMapping(path = "/idempotent", produces = MediaType.APPLICATION_JSON_VALUE)
        @Idempotent(scope = IdempotencyScope.GLOBAL)
        String idempotent(@RequestBody(required = false) String body) {
            return RESPONSE;
        }

        /**
         * Bytes allocated so far by every live thread of the application (Tomcat's workers, the heartbeat
         * scheduler, ...). {@code http.sh} reads it before and after a wrk run and divides the difference by the
         * requests wrk completed: the allocation per request, from the JVM's own per-thread counters rather than from
         * samples. Tomcat keeps its worker threads, so their counts are not lost between the two reads.
         */
        @GetMapping("/bench/allocated")
        long allocated() {
            ThreadMXBean threads = ManagementFactory.getThreadMXBean();
            if (!(threads instanceof com.sun.management.ThreadMXBean counting)) {
                return -1;
            }
            long total = 0;
            for (long bytes : counting.getThreadAllocatedBytes(threads.getAllThreadIds())) {
                if (bytes > 0) {
                    total += bytes;
                }
            }
            return total;
        }

        @GetMapping("/bench/jdbc")
        Map<String, Long> counts() {
            CountingDataSource counting = counting();
            if (counting == null) {
                return Map.of();
            }
            CountingDataSource.Counts counts = counting.counts();
            return Map.of("connections", counts.connections(), "statements", counts.statements(),
                    "commits", counts.commits(), "rollbacks", counts.rollbacks(), "isolation", counts.isolation(),
                    "roundTrips", counts.roundTrips());
        }

        @PostMapping("/bench/jdbc/reset")
        void reset() {
            CountingDataSource counting = counting();
            if (counting != null) {
                counting.reset();
            }
        }

        private CountingDataSource counting() {
            DataSource source = dataSource.getIfAvailable();
            return source instanceof CountingDataSource counting ? counting : null;
        }
    }
}
