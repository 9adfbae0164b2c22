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
 * each fire: the key is the fire time truncated to the period, the same on every instance, and the instance that
 * claims it first runs the report while the others return without running. The cron fires at period boundaries, so
 * instances whose clocks agree to well within the period compute the same key.
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
    @Idempotent(keyScope = "job:shipping-report", key = "#root.target.currentFire()", ttl = "1d", inFlightWait = "10s")
    public void report() {
        // The key this run claimed is its fire time, read back rather than computed again.
        Instant fire = Instant.parse(IdempotentMethodContext.current().key().key());
        long shipments = jdbc.sql("SELECT COUNT(*) FROM shipment WHERE shipped_at < ?").param(fire).query(Long.class).single();
        jdbc.sql("INSERT INTO shipping_report (fire_time, shipments, reported_by) VALUES (?, ?, ?)")
                .params(fire, shipments, instance)
                .update();
    }

    /** The current fire time, truncated to the period: the same on every instance for one fire. */
    public String currentFire() {
        long periodMillis = period.toMillis();
        long now = clock.millis();
        return Instant.ofEpochMilli(now - Math.floorMod(now, periodMillis)).toString();
    }
}
