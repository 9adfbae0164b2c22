/** The scheduled job that deletes expired idempotency records from the store in batches. */
@NullMarked
package dev.idempotency.spring.purge;

import org.jspecify.annotations.NullMarked;
