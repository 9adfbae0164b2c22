package dev.idempotency.examples.orders.report;

import dev.idempotency.spring.Idempotent;
import dev.idempotency.spring.method.IdempotentMethodContext;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.scheduling.support.CronExpression;
import org.springframework.stereotype.Component;

/**
 * Counts the shipments of each period. Every instance of the application schedules it, and exactly one of them runs
 * each fire: the key is the fire time the cron named, the same on every instance, and the instance that claims it
 * first runs the report while the others return without running. The fire time is the cron's fire nearest to the
 * clock, in the zone the scheduler uses: a fire the scheduler starts a little early or late, and an instance whose
 * clock is a little off, still name their own fire, as long as they are off by less than half the period. Truncating
 * the clock instead would give a fire that starts a millisecond early the previous fire's key, and one in a zone
 * whose offset is not a whole number of periods (an hourly cron at +05:30) a key that flips between two fires.
 *
 * <p>An instance that fires while another one still runs the report waits for it ({@code inFlightWait}) and then
 * returns, rather than failing the fire with {@code IdempotencyInProgressException}: a report takes far less than the
 * wait. A job that may run longer than its wait would catch that exception and return.
 */
@Component
public class ShippingReportJob {

    private final JdbcClient jdbc;
    private final String cron;
    private final Duration period;
    private final String instance;
    private final Clock clock = Clock.systemDefaultZone();

    public ShippingReportJob(JdbcClient jdbc, @Value("${orders.report.cron}") String cron,
            @Value("${orders.report.period}") Duration period,
            @Value("${orders.instance-name:${spring.application.name}}") String instance) {
        this.jdbc = jdbc;
        this.cron = cron;
        this.period = period;
        this.instance = instance;
    }

    @Scheduled(cron = "${orders.report.cron}")
    @Idempotent(keyScope = "job:shipping-report", key = "#root.target.scheduledFire()", ttl = "1d", inFlightWait = "10s")
    public void report() {
        // The key this run claimed is its fire time, read back rather than computed again.
        Instant fire = Instant.parse(IdempotentMethodContext.current().key().key());
        long shipments = jdbc.sql("SELECT COUNT(*) FROM shipment WHERE shipped_at < ?").param(fire).query(Long.class).single();
        jdbc.sql("INSERT INTO shipping_report (fire_time, shipments, reported_by) VALUES (?, ?, ?)")
                .params(fire, shipments, instance)
                .update();
    }

    /** This fire's time: the cron's fire nearest to now, the same on every instance for one fire. */
    public String scheduledFire() {
        return nearestFire(CronExpression.parse(cron), clock.instant(), period, clock.getZone()).toString();
    }

    /** The fire within half a period of {@code now}: the first one after {@code now} less half a period. */
    static Instant nearestFire(CronExpression cron, Instant now, Duration period, ZoneId zone) {
        return cron.next(now.minus(period.dividedBy(2)).atZone(zone)).toInstant();
    }
}
