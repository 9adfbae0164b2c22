package dev.idempotency.examples.payments.gateway;

import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.springframework.jdbc.core.RowMapper;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

/**
 * A stand-in for a payment provider such as Stripe, living inside the app and keeping its ledger in the table
 * {@code gateway_charge}.
 *
 * <p>Like a real provider it is idempotent on the caller's key: the ledger has a UNIQUE {@code charge_key}, and a
 * second {@link #charge} with a key it has seen returns the first charge instead of charging again. That is what
 * makes the payment handler safe to run twice after a crash: both runs derive the same key from the request's
 * idempotency key.
 *
 * <p>Two switches make failures visible: {@code payments.gateway.latency} delays the answer after the charge is
 * recorded, and the description {@value #DOWN_DESCRIPTION} makes the gateway refuse the charge.
 */
@Component
public class FakePaymentGateway {

    /** A charge with this description is refused with {@link GatewayUnavailableException}. */
    public static final String DOWN_DESCRIPTION = "gateway-down";

    private static final RowMapper<GatewayCharge> CHARGE = (rs, row) -> new GatewayCharge(
            rs.getString("id"), rs.getString("charge_key"), rs.getString("reference"), rs.getLong("amount"),
            rs.getString("currency"), rs.getString("description"),
            rs.getObject("created_at", OffsetDateTime.class).toInstant());

    private final JdbcClient jdbc;
    private final GatewayProperties properties;

    public FakePaymentGateway(JdbcClient jdbc, GatewayProperties properties) {
        this.jdbc = jdbc;
        this.properties = properties;
    }

    /**
     * Charges once per {@code chargeKey}: the first call records a charge, every later call with the same key
     * returns that charge and records nothing.
     *
     * @throws GatewayUnavailableException when the description is {@value #DOWN_DESCRIPTION}; nothing is recorded
     */
    public GatewayCharge charge(String chargeKey, String reference, long amount, String currency, String description) {
        if (DOWN_DESCRIPTION.equals(description)) {
            throw new GatewayUnavailableException("the payment gateway is down; nothing was charged");
        }
        // ON CONFLICT DO NOTHING, not "insert and catch the duplicate": a duplicate key is the expected case on a
        // retry, and on PostgreSQL a failed statement would abort any transaction around it.
        jdbc.sql("""
                INSERT INTO gateway_charge (id, charge_key, reference, amount, currency, description, created_at)
                VALUES (:id, :chargeKey, :reference, :amount, :currency, :description, :createdAt)
                ON CONFLICT DO NOTHING""")
                .param("id", "ch_" + UUID.randomUUID().toString().replace("-", ""))
                .param("chargeKey", chargeKey)
                .param("reference", reference)
                .param("amount", amount)
                .param("currency", currency)
                .param("description", description)
                .param("createdAt", OffsetDateTime.now(ZoneOffset.UTC).truncatedTo(ChronoUnit.MILLIS))
                .update();
        GatewayCharge charge = find(chargeKey).orElseThrow(
                () -> new IllegalStateException("the charge " + chargeKey + " vanished from the ledger"));
        sleep(properties.getLatency());
        return charge;
    }

    public Optional<GatewayCharge> find(String chargeKey) {
        return jdbc.sql("SELECT * FROM gateway_charge WHERE charge_key = :chargeKey")
                .param("chargeKey", chargeKey)
                .query(CHARGE)
                .optional();
    }

    /** The whole ledger, oldest first. */
    public List<GatewayCharge> charges() {
        return jdbc.sql("SELECT * FROM gateway_charge ORDER BY created_at, id").query(CHARGE).list();
    }

    private static void sleep(Duration latency) {
        if (latency == null || latency.isZero() || latency.isNegative()) {
            return;
        }
        try {
            Thread.sleep(latency.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new GatewayUnavailableException("interrupted while waiting for the payment gateway");
        }
    }
}
