package dev.idempotency.spring;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.springframework.boot.SpringBootVersion;
import org.springframework.core.SpringVersion;

/**
 * The shared starter tests run once per Boot line; this one fails when a line's build resolved another Boot than the
 * one its reports are named after ({@code idempotency.test.spring-boot-version}, set by each line's Surefire
 * configuration), so that a dependency mix-up cannot pass one line's tests off as another's.
 */
class SpringBootLineVersionTest {

    @Test
    void theTestsRunOnTheBootVersionTheirLineNames() {
        String expected = System.getProperty("idempotency.test.spring-boot-version");
        assertThat(expected).as("idempotency.test.spring-boot-version, set by the line's Surefire configuration").isNotBlank();

        assertThat(SpringBootVersion.getVersion()).isEqualTo(expected);
        assertThat(SpringVersion.getVersion()).as("Spring Framework of %s", SpringBootLine.NAME)
                .startsWith(expected.startsWith("3.") ? "6." : "7.");
    }
}
