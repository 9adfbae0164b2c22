package dev.idempotency.examples.orders.report;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class ShippingReportJobTest {

    private static final Duration MINUTE = Duration.ofMinutes(1);
    private static final Instant FIRE = Instant.parse("2026-12-08T10:15:00Z");

    @Test
    void aFireOnTimeNamesItsOwnBoundary() {
        assertThat(ShippingReportJob.nearestBoundary(FIRE, MINUTE)).isEqualTo(FIRE);
    }

    @Test
    void aFireStartedALittleLateOrEarlyKeepsItsOwnKey() {
        assertThat(ShippingReportJob.nearestBoundary(FIRE.plusMillis(250), MINUTE)).isEqualTo(FIRE);
        assertThat(ShippingReportJob.nearestBoundary(FIRE.minusMillis(3), MINUTE))
                .as("a millisecond-early fire must not take the previous fire's key").isEqualTo(FIRE);
        assertThat(ShippingReportJob.nearestBoundary(FIRE.plusSeconds(29), MINUTE)).isEqualTo(FIRE);
        assertThat(ShippingReportJob.nearestBoundary(FIRE.minusSeconds(30), MINUTE)).isEqualTo(FIRE);
    }

    @Test
    void fromHalfAPeriodLateItIsTheNextFire() {
        assertThat(ShippingReportJob.nearestBoundary(FIRE.plusSeconds(30), MINUTE)).isEqualTo(FIRE.plus(MINUTE));
    }
}
