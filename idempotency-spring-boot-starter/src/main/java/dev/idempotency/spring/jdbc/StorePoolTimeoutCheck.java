package dev.idempotency.spring.jdbc;

import com.zaxxer.hikari.HikariConfigMXBean;
import dev.idempotency.spring.IdempotencyDataSource;
import java.sql.SQLException;
import java.time.Duration;
import javax.sql.DataSource;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.springframework.util.ClassUtils;

/**
 * Warns at startup when the JDBC store's connection pool lets a lease renewal wait for a connection for at least half
 * the lease. A renewal is a one-row update, but it needs a connection like any query: when the application keeps
 * every pooled connection busy, renewals queue behind it, and a pool that waits as long as the lease (HikariCP's
 * default connection timeout and the default lease are both 30 s) lets the lease lapse while the work still runs,
 * so another instance takes the key over and runs it again. The engine bounds each renewal
 * ({@code idempotency.renewal-timeout}), but only a pool the application cannot drain keeps renewals flowing.
 *
 * <p>Only HikariCP, Spring Boot's default pool, is recognised (directly or through a JDBC wrapper); it is an optional
 * dependency, so without it the check does nothing.
 */
public final class StorePoolTimeoutCheck {

    private static final Log log = LogFactory.getLog(StorePoolTimeoutCheck.class);
    private static final boolean HIKARI_PRESENT = ClassUtils.isPresent("com.zaxxer.hikari.HikariConfigMXBean",
            StorePoolTimeoutCheck.class.getClassLoader());

    private StorePoolTimeoutCheck() {
    }

    /** Logs one WARN when {@code dataSource} is a HikariCP pool whose connection timeout is at least half the lease. */
    public static void warnIfRenewalsCanWaitForTheLease(DataSource dataSource, Duration lease) {
        if (HIKARI_PRESENT) {
            Hikari.check(dataSource, lease);
        }
    }

    /** Loaded only when HikariCP is on the classpath. */
    private static final class Hikari {

        static void check(DataSource dataSource, Duration lease) {
            HikariConfigMXBean pool = unwrap(dataSource);
            if (pool == null) {
                return;
            }
            Duration connectionTimeout = Duration.ofMillis(pool.getConnectionTimeout());
            Duration half = lease.dividedBy(2);
            if (connectionTimeout.compareTo(half) < 0) {
                return;
            }
            String name = pool.getPoolName() != null ? "HikariCP pool '" + pool.getPoolName() + "'" : "HikariCP pool";
            log.warn("The idempotency store's connection pool (" + name + ") lets a lease renewal wait up to "
                    + format(connectionTimeout) + " for a connection, at least half the " + format(lease)
                    + " lease (idempotency.lease). When the application keeps every connection busy, renewals wait "
                    + "behind it, the lease can lapse while a handler still runs, and another instance then takes the "
                    + "key over and runs it again. Either give the store a pool of its own (a DataSource bean annotated @"
                    + IdempotencyDataSource.class.getSimpleName() + "), or set this pool's connection timeout below "
                    + format(half) + " (spring.datasource.hikari.connection-timeout for the application's pool).");
        }

        private static HikariConfigMXBean unwrap(DataSource dataSource) {
            if (dataSource instanceof HikariConfigMXBean pool) {
                return pool;
            }
            try {
                return dataSource.isWrapperFor(HikariConfigMXBean.class) ? dataSource.unwrap(HikariConfigMXBean.class) : null;
            } catch (SQLException | RuntimeException e) {
                // Not a wrapper we can see through: nothing to check.
                return null;
            }
        }

        private static String format(Duration duration) {
            long millis = duration.toMillis();
            return millis % 1000 == 0 ? millis / 1000 + " s" : millis + " ms";
        }
    }
}
