package dev.idempotency.core.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class StackTraceThrottleTest {

    @Test
    void theStackTraceIsDueOncePerInterval() {
        AtomicLong now = new AtomicLong(1_000);
        StackTraceThrottle throttle = new StackTraceThrottle(Duration.ofMinutes(1), now::get);
        assertThat(throttle.stackTraceDue()).as("first failure").isTrue();
        assertThat(throttle.stackTraceDue()).isFalse();
        now.addAndGet(Duration.ofSeconds(59).toNanos());
        assertThat(throttle.stackTraceDue()).isFalse();
        now.addAndGet(Duration.ofSeconds(2).toNanos());
        assertThat(throttle.stackTraceDue()).as("a minute later").isTrue();
        assertThat(throttle.stackTraceDue()).isFalse();
    }

    @Test
    void theSummaryNamesEachCauseOnOneLine() {
        Exception failure = new IllegalStateException("claim failed",
                new SQLException("relation \"idempotency_record\" does not exist\n  Position: 15", new IOException("reset")));
        assertThat(StackTraceThrottle.summary(failure)).isEqualTo("IllegalStateException: claim failed <- SQLException: "
                + "relation \"idempotency_record\" does not exist   Position: 15 <- IOException: reset");
    }
}
