package dev.idempotency.examples.payments.payment;

import dev.idempotency.core.IdempotencyContext;
import dev.idempotency.core.store.RecoveryPoint;
import dev.idempotency.examples.payments.gateway.FakePaymentGateway;
import dev.idempotency.examples.payments.gateway.GatewayCharge;
import dev.idempotency.examples.payments.gateway.GatewayUnavailableException;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Service;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Creates payments so that each (user, idempotency key) pays exactly once, even when the process dies half-way.
 *
 * <p>The idempotency filter makes sure that only one request per key runs at a time and that retries get the stored
 * response. A crash is the part it cannot undo alone: the claim's lease runs out and the next retry runs this method
 * again. So the work is cut into <em>atomic phases</em>, each ending with a recovery point that commits in the same
 * transaction as the phase's rows:
 * <ol>
 *   <li>{@value #CREATED}: insert the payment and record the recovery point, in one transaction.</li>
 *   <li>Charge the gateway with a key derived from the request's, {@code idempotency.derive("charge")}: the same on
 *       every run, so the gateway answers a repeated call with the first charge instead of charging twice.</li>
 *   <li>{@value #CHARGED}: record the charge on the payment and the recovery point, in one transaction.</li>
 *   <li>Build the answer from the rows.</li>
 * </ol>
 * A retry after a crash starts from the last recovery point that committed, which the starter hands over as
 * {@link IdempotencyContext#recoveryPoint()}: it skips what committed and never holds a transaction open across the
 * call to the gateway.
 *
 * <p>The recovery point names the payment; the payment's row says which phases are left. With the JDBC store the two
 * always agree, since they commit together. A store that cannot join the transaction (the {@code redis} profile's)
 * writes the recovery point just before the phase's commit, so a crash between the two leaves the recovery point one
 * phase ahead of the rows: the row it names is missing, or not yet charged, and that phase runs again. A store that
 * lost the key's record altogether (Redis without persistence, after a restart) hands over no recovery point; the
 * payment is then found by its (owner, key), which the table keeps unique, rather than created a second time.
 *
 * <p>When the gateway refuses the charge (it recorded nothing), the error becomes a 502. The starter does not store
 * it; since the payment was created, the key keeps its recovery point, and a retry with the same key and body resumes
 * at the charge.
 */
@Service
public class PaymentService {

    /** The recovery point after phase 1; its data is the payment's id. */
    static final String CREATED = "created";
    /** The recovery point after phase 3; its data is the payment's id. */
    static final String CHARGED = "charged";
    /** The name of the gateway step, mixed into the derived downstream key. */
    static final String CHARGE_STEP = "charge";

    private static final Logger log = LoggerFactory.getLogger(PaymentService.class);

    private final PaymentRepository payments;
    private final FakePaymentGateway gateway;
    private final TransactionTemplate transactions;

    public PaymentService(PaymentRepository payments, FakePaymentGateway gateway, PlatformTransactionManager transactionManager) {
        this.payments = payments;
        this.gateway = gateway;
        this.transactions = new TransactionTemplate(transactionManager);
    }

    /**
     * Creates the payment for the claimed key, or finishes the one an earlier run with the same key started.
     *
     * @param idempotency the claim of the request's key, with the recovery point of a crashed earlier run
     * @param owner the authenticated user
     * @throws GatewayUnavailableException when the gateway refused the charge; nothing was charged
     */
    public Payment create(IdempotencyContext idempotency, String owner, long amount, String currency, String description) {
        Optional<RecoveryPoint> resumeFrom = idempotency.recoveryPoint();
        resumeFrom.ifPresent(point -> log.info("Payment for key {}: resuming from recovery point '{}'",
                idempotency.key().key(), point.phase()));
        Payment payment = resumeFrom.flatMap(point -> payments.findById(point.payload()))
                .or(() -> payments.findByOwnerAndIdempotencyKey(owner, idempotency.key().key()))
                .orElseGet(() -> transactions.execute(tx -> {
                    String id = payments.insert(owner, idempotency.key().key(), idempotency.derive(CHARGE_STEP), amount,
                            currency, description);
                    idempotency.checkpoint(CREATED, id);
                    return payments.findById(id).orElseThrow();
                }));

        if (payment.chargeId() == null) {
            // The payment's own values: a resumed run charges what the first run created.
            GatewayCharge charge = gateway.charge(payment.chargeKey(), payment.id(), payment.amount(), payment.currency(),
                    payment.description());
            transactions.executeWithoutResult(tx -> {
                payments.recordCharge(payment.id(), charge.id());
                idempotency.checkpoint(CHARGED, payment.id());
            });
        }

        return payments.findByOwnerAndId(owner, payment.id()).orElseThrow();
    }

    public Optional<Payment> find(String owner, String id) {
        return payments.findByOwnerAndId(owner, id);
    }

    public List<Payment> list(String owner) {
        return payments.findByOwner(owner);
    }
}
