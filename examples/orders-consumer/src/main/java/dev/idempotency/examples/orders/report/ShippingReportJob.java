package dev.idempotency.examples.orders.report;

import dev.idempotency.spring.Idempotent;
import dev.idempotency.spring.method.IdempotentMethodContext;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;

/**
 * Counts the shipments of each period. Every instance of the application schedules it, and exactly one of them runs
 * each fire: the key is the fire time the cron named, the same on every instance, and the instance that claims it
 * first runs the report while the others return without running. The cron fires at period boundaries, so the fire
 * time is the clock rounded to the nearest boundary: a fire the scheduler starts a little early or late, and an
 * instance whose clock is a little off, still name their own fire, as long as they are off by less than half the
 * period. Truncating instead would give a fire that starts a millisecond early the previous fire's key.
 *
 * <p>An instance that fires while another one still runs the report waits for it ({@code inFlightWait}) and then
 * returns, rather than failing the fire with {@code IdempotencyInProgressException}: a report takes far less than the
 * wait. A job that may run longer than its wait would catch that exception and return.
 */
@Component
public class ShippingReportJob {

    private final JdbcClient jdbc;
    private final Duration period;
    private final String instance;
    private final Clock clock = Clock.systemUTC();

    public ShippingReportJob(JdbcClient jdbc, @Value("${orders.report.period}") Duration period,
            @Value("${orders.instance-name:${spring.application.name}}") String instance) {
        this.jdbc = jdbc;
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

    /** This fire's time: the period boundary nearest to now, the same on every instance for one fire. */
    public String scheduledFire() {
        return nearestBoundary(clock.instant(), period).toString();
    }

    static Instant nearestBoundary(Instant now, Duration period) {
        long periodMillis = period.toMillis();
        return Instant.ofEpochMilli(Math.floorDiv(now.toEpochMilli() + periodMillis / 2, periodMillis) * periodMillis);
    }
}
