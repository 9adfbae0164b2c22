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

/** The {@code payment} table; {@link PaymentService} runs its writes in the transactions of its phases. */
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
     * Inserts a {@link PaymentStatus#PENDING} payment for (owner, idempotency key) and returns its id. Runs once per
     * key: the recovery point committed with the row tells a retry not to run it again. The UNIQUE (owner, key) is
     * the database's last word should anything else ever try.
     */
    public String insert(String owner, String idempotencyKey, String chargeKey, long amount, String currency,
            String description) {
        String id = UUID.randomUUID().toString();
        jdbc.sql("""
                INSERT INTO payment (id, owner, idempotency_key, charge_key, amount, currency, description, status,
                                     created_at)
                VALUES (:id, :owner, :idempotencyKey, :chargeKey, :amount, :currency, :description, 'PENDING',
                        :createdAt)""")
                .param("id", id)
                .param("owner", owner)
                .param("idempotencyKey", idempotencyKey)
                .param("chargeKey", chargeKey)
                .param("amount", amount)
                .param("currency", currency)
                .param("description", description)
                .param("createdAt", OffsetDateTime.now(ZoneOffset.UTC).truncatedTo(ChronoUnit.MILLIS))
                .update();
        return id;
    }

    /** Records the gateway's charge on the payment. */
    public void recordCharge(String id, String chargeId) {
        jdbc.sql("UPDATE payment SET status = 'SUCCEEDED', charge_id = :chargeId WHERE id = :id")
                .param("chargeId", chargeId)
                .param("id", id)
                .update();
    }

    public Optional<Payment> findById(String id) {
        return jdbc.sql("SELECT * FROM payment WHERE id = :id").param("id", id).query(PAYMENT).optional();
    }

    public Optional<Payment> findByOwnerAndId(String owner, String id) {
        return jdbc.sql("SELECT * FROM payment WHERE owner = :owner AND id = :id")
                .param("owner", owner)
                .param("id", id)
                .query(PAYMENT)
                .optional();
    }

    /** The payment the owner created with an idempotency key; (owner, idempotency key) is unique. */
    public Optional<Payment> findByOwnerAndIdempotencyKey(String owner, String idempotencyKey) {
        return jdbc.sql("SELECT * FROM payment WHERE owner = :owner AND idempotency_key = :idempotencyKey")
                .param("owner", owner)
                .param("idempotencyKey", idempotencyKey)
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
