package dev.idempotency.examples.payments.payment;

import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.springframework.jdbc.core.RowMapper;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

/**
 * The {@code payment} table. Every write is a single statement that is safe to repeat, so the handler needs no
 * transaction spanning the gateway call.
 */
@Repository
public class PaymentRepository {

    private static final RowMapper<Payment> PAYMENT = (rs, row) -> new Payment(
            rs.getString("id"), rs.getString("owner"), rs.getString("idempotency_key"), rs.getString("charge_key"),
            rs.getLong("amount"), rs.getString("currency"), rs.getString("description"),
            PaymentStatus.valueOf(rs.getString("status")), rs.getString("charge_id"),
            rs.getObject("created_at", OffsetDateTime.class).toInstant());

    private final JdbcClient jdbc;

    public PaymentRepository(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    /**
     * Inserts a {@link PaymentStatus#PENDING} payment for (owner, idempotency key), or finds the one a previous run
     * with the same key inserted. {@code ON CONFLICT DO NOTHING} makes the insert a no-op instead of an error, so
     * that nothing aborts on PostgreSQL and two racing runs end with the same row.
     */
    public Payment insertOrFind(String owner, String idempotencyKey, String chargeKey, long amount, String currency,
            String description) {
        jdbc.sql("""
                INSERT INTO payment (id, owner, idempotency_key, charge_key, amount, currency, description, status,
                                     created_at)
                VALUES (:id, :owner, :idempotencyKey, :chargeKey, :amount, :currency, :description, 'PENDING',
                        :createdAt)
                ON CONFLICT DO NOTHING""")
                .param("id", UUID.randomUUID().toString())
                .param("owner", owner)
                .param("idempotencyKey", idempotencyKey)
                .param("chargeKey", chargeKey)
                .param("amount", amount)
                .param("currency", currency)
                .param("description", description)
                .param("createdAt", OffsetDateTime.now(ZoneOffset.UTC).truncatedTo(ChronoUnit.MILLIS))
                .update();
        return findByOwnerAndKey(owner, idempotencyKey).orElseThrow(() -> new IllegalStateException(
                "no payment for " + owner + "/" + idempotencyKey + " right after inserting it"));
    }

    /** Marks a pending payment as charged; a no-op when it already is. */
    public void markSucceeded(String id, String chargeId) {
        jdbc.sql("UPDATE payment SET status = 'SUCCEEDED', charge_id = :chargeId WHERE id = :id AND status = 'PENDING'")
                .param("chargeId", chargeId)
                .param("id", id)
                .update();
    }

    /** Withdraws a payment that was never charged, so that a retry starts afresh. */
    public void deletePending(String id) {
        jdbc.sql("DELETE FROM payment WHERE id = :id AND status = 'PENDING'").param("id", id).update();
    }

    public Optional<Payment> findByOwnerAndKey(String owner, String idempotencyKey) {
        return jdbc.sql("SELECT * FROM payment WHERE owner = :owner AND idempotency_key = :idempotencyKey")
                .param("owner", owner)
                .param("idempotencyKey", idempotencyKey)
                .query(PAYMENT)
                .optional();
    }

    public Optional<Payment> findByOwnerAndId(String owner, String id) {
        return jdbc.sql("SELECT * FROM payment WHERE owner = :owner AND id = :id")
                .param("owner", owner)
                .param("id", id)
                .query(PAYMENT)
                .optional();
    }

    /** The owner's payments, oldest first. */
    public List<Payment> findByOwner(String owner) {
        return jdbc.sql("SELECT * FROM payment WHERE owner = :owner ORDER BY created_at, id")
                .param("owner", owner)
                .query(PAYMENT)
                .list();
    }
}
