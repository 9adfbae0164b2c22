package dev.idempotency.examples.orders;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * Two instances of the application, sharing one database, schedule the same report every second. Each fire runs on
 * exactly one of them: one report row per fire time.
 */
class ScheduledReportIT {

    private static final TestRun RUN = TestRun.inMemory();
    private static final int FIRES = 4;

    @AfterAll
    static void stopInstances() throws Exception {
        RUN.close();
    }

    @Test
    void eachFireOfAJobScheduledOnTwoInstancesRunsOnce() {
        ConfigurableApplicationContext first = RUN.startInstance(reportEverySecond("instance-a"));
        ConfigurableApplicationContext second = RUN.startInstance(reportEverySecond("instance-b"));
        JdbcClient jdbc = first.getBean(JdbcClient.class);
        // Both instances are up from here on: every fire after this point is fired by both.
        long since = System.currentTimeMillis() + 1_000;
        await().atMost(Duration.ofSeconds(30)).until(() -> firesSince(jdbc, since) >= FIRES);

        List<Map<String, Object>> perFire = jdbc.sql("""
                SELECT fire_time, COUNT(*) AS runs FROM shipping_report GROUP BY fire_time ORDER BY fire_time
                """).query().listOfRows();
        assertThat(perFire).hasSizeGreaterThanOrEqualTo(FIRES)
                .allSatisfy(fire -> assertThat(((Number) fire.get("runs")).intValue()).as("runs of %s", fire).isEqualTo(1));
    }

    private static int firesSince(JdbcClient jdbc, long sinceMillis) {
        return jdbc.sql("SELECT COUNT(DISTINCT fire_time) FROM shipping_report WHERE fire_time >= ?")
                .param(new java.sql.Timestamp(sinceMillis)).query(Integer.class).single();
    }

    private static Map<String, String> reportEverySecond(String instance) {
        Map<String, String> properties = RUN.properties(instance);
        properties.put("orders.report.cron", "* * * * * *");
        properties.put("orders.report.period", "1s");
        return properties;
    }
}
