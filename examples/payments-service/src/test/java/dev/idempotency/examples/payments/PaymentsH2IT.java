package dev.idempotency.examples.payments;

/** The payments API on the default profile: embedded H2 for the payments, the ledger and the idempotency records. */
class PaymentsH2IT extends AbstractPaymentsIT {}
