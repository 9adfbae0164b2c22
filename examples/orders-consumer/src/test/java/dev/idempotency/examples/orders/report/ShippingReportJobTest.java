package dev.idempotency.examples.orders.report;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;
import org.springframework.scheduling.support.CronExpression;

class ShippingReportJobTest {

    private static final CronExpression EVERY_MINUTE = CronExpression.parse("0 * * * * *");
    private static final Duration MINUTE = Duration.ofMinutes(1);
    private static final Instant FIRE = Instant.parse("2026-12-08T10:15:00Z");

    private static Instant nearest(Instant now) {
        return ShippingReportJob.nearestFire(EVERY_MINUTE, now, MINUTE, ZoneOffset.UTC);
    }

    @Test
    void aFireOnTimeNamesItself() {
        assertThat(nearest(FIRE)).isEqualTo(FIRE);
    }

    @Test
    void aFireStartedALittleLateOrEarlyKeepsItsOwnKey() {
        assertThat(nearest(FIRE.plusMillis(250))).isEqualTo(FIRE);
        assertThat(nearest(FIRE.minusMillis(3))).as("a fire started early must not take the previous fire's key").isEqualTo(FIRE);
        assertThat(nearest(FIRE.plusSeconds(29))).isEqualTo(FIRE);
        assertThat(nearest(FIRE.minusSeconds(29))).isEqualTo(FIRE);
    }

    @Test
    void fromHalfAPeriodLateItIsTheNextFire() {
        assertThat(nearest(FIRE.plusSeconds(30))).isEqualTo(FIRE.plus(MINUTE));
    }

    @Test
    void anHourlyCronInAZoneHalfAnHourOffUtcNamesItsOwnFireEitherSideOfIt() {
        ZoneId kolkata = ZoneId.of("Asia/Kolkata");
        CronExpression hourly = CronExpression.parse("0 0 * * * *");
        // 10:00 in Kolkata is 04:30 UTC: on the midpoint of two UTC hours, where rounding the epoch would flip.
        Instant fire = Instant.parse("2026-12-08T04:30:00Z");

        assertThat(ShippingReportJob.nearestFire(hourly, fire.minusMillis(1), Duration.ofHours(1), kolkata)).isEqualTo(fire);
        assertThat(ShippingReportJob.nearestFire(hourly, fire.plusMillis(1), Duration.ofHours(1), kolkata)).isEqualTo(fire);
    }
}
