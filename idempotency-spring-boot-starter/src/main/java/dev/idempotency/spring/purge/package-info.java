/** The scheduled job that deletes expired idempotency records from the store in batches. */
package dev.idempotency.spring.purge;
