package dev.idempotency.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Leases and expiry must be measured on the database clock, so application servers with skewed clocks still agree:
 * the store sends durations and lets the database add them to its own time. This test keeps the application clock
 * out of the store's source, where an {@code Instant.now()} would quietly bring skew back.
 */
class DatabaseClockOnlyTest {

    private static final List<String> APPLICATION_CLOCK = List.of(
            "Instant.now(", "Clock.system", "System.currentTimeMillis(", "LocalDateTime.now(", "OffsetDateTime.now(",
            "ZonedDateTime.now(", "new java.util.Date(", "new Date(", "new Timestamp(");

    @Test
    void mainSourcesNeverReadTheApplicationClock() throws IOException {
        Path sources = Path.of("src/main/java");
        assertThat(sources).isDirectory();
        try (Stream<Path> files = Files.walk(sources)) {
            List<Path> javaFiles = files.filter(f -> f.toString().endsWith(".java")).toList();
            assertThat(javaFiles).isNotEmpty();
            for (Path file : javaFiles) {
                String source = Files.readString(file);
                for (String call : APPLICATION_CLOCK) {
                    assertThat(source).as("%s must not call %s", file, call).doesNotContain(call);
                }
            }
        }
    }
}
