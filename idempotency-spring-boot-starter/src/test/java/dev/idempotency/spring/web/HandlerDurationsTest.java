package dev.idempotency.spring.web;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Method;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class HandlerDurationsTest {

    private final HandlerDurations durations = new HandlerDurations();

    @Test
    void nothingIsKnownBeforeTheFirstRun() throws Exception {
        assertThat(durations.typical(handler("toString"))).isEmpty();
        assertThat(durations.typical(null)).isEmpty();
    }

    @Test
    void theTypicalDurationIsTheNinetiethPercentileOfTheRecentRuns() throws Exception {
        Method handler = handler("toString");
        for (int millis = 1; millis <= 10; millis++) {
            durations.record(handler, Duration.ofMillis(millis * 100L));
        }
        assertThat(durations.typical(handler)).hasValue(Duration.ofMillis(900));
        assertThat(durations.typical(handler("hashCode"))).as("per handler").isEmpty();
    }

    @Test
    void onlyTheLastWindowOfRunsCounts() throws Exception {
        Method handler = handler("toString");
        for (int i = 0; i < HandlerDurations.WINDOW; i++) {
            durations.record(handler, Duration.ofSeconds(20));
        }
        for (int i = 0; i < HandlerDurations.WINDOW; i++) {
            durations.record(handler, Duration.ofMillis(300));
        }
        assertThat(durations.typical(handler)).hasValue(Duration.ofMillis(300));
    }

    private static Method handler(String name) throws NoSuchMethodException {
        return Object.class.getMethod(name);
    }
}
