package dev.idempotency.spring.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import dev.idempotency.spring.observation.IdempotencyObservations;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The Grafana dashboard and the alert rules in docs/operations.md query only meters the starter registers, under
 * their Prometheus names: a renamed meter fails here instead of leaving an empty panel or an alert that never fires.
 */
class DashboardMetricNamesTest {

    private static final Path DOCS = repositoryDocs();
    private static final Pattern PROMETHEUS_NAME = Pattern.compile("\\bidempotency_[a-z_]+");

    /**
     * The repository's docs/, found upwards from the working directory: these tests run in the starter's directory
     * (Boot 3.5) and in compat/spring-boot-4 (Boot 4), one and two levels below it.
     */
    private static Path repositoryDocs() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isRegularFile(dir.resolve("docs/operations.md"))) {
                return dir.resolve("docs");
            }
        }
        throw new IllegalStateException("no docs/operations.md above " + Path.of("").toAbsolutePath());
    }

    /** Every series the starter can export: counters end in _total, timers in _seconds_sum, _count and _max. */
    private static Set<String> exported() {
        Set<String> names = new TreeSet<>();
        Stream.of(MicrometerIdempotencyListener.REQUESTS, MicrometerIdempotencyListener.COMPLETIONS,
                        MicrometerIdempotencyListener.TAKEOVERS, MicrometerIdempotencyListener.OWNERSHIP_LOST,
                        MicrometerIdempotencyListener.UNSTORED, MicrometerIdempotencyListener.STORE_ERRORS,
                        MicrometerIdempotencyListener.COMPLETION_RETRIES)
                .forEach(counter -> names.add(prometheus(counter) + "_total"));
        Stream.of(MicrometerIdempotencyListener.STORE_LATENCY, IdempotencyObservations.CLAIM,
                        IdempotencyObservations.HANDLER, IdempotencyObservations.COMPLETION)
                .forEach(timer -> Stream.of("_seconds_sum", "_seconds_count", "_seconds_max", "_seconds_bucket")
                        .forEach(suffix -> names.add(prometheus(timer) + suffix)));
        names.add(prometheus(InMemoryStoreGauges.RECORDS));
        names.add(prometheus(InMemoryStoreGauges.MAX_RECORDS));
        // The observations' tag, as a Prometheus label.
        names.add(prometheus(IdempotencyObservations.OUTCOME));
        return names;
    }

    private static String prometheus(String meter) {
        return meter.replace('.', '_');
    }

    private static Set<String> used(Path file) throws IOException {
        Matcher matcher = PROMETHEUS_NAME.matcher(Files.readString(file));
        Set<String> names = new TreeSet<>();
        while (matcher.find()) {
            names.add(matcher.group());
        }
        return names;
    }

    @Test
    void theDashboardQueriesOnlyExportedMeters() throws IOException {
        Set<String> used = used(DOCS.resolve("dashboards/idempotency.json"));

        assertThat(used).isNotEmpty();
        assertThat(used.stream().filter(name -> !exported().contains(name)).collect(Collectors.toSet())).isEmpty();
        assertThat(used).contains("idempotency_requests_total", "idempotency_lease_takeovers_total",
                "idempotency_ownership_lost_total", "idempotency_store_errors_total");
    }

    @Test
    void theAlertRulesQueryOnlyExportedMeters() throws IOException {
        Set<String> used = used(DOCS.resolve("operations.md"));

        assertThat(used.stream().filter(name -> !exported().contains(name)).collect(Collectors.toSet())).isEmpty();
    }
}
