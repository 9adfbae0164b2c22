/**
 * Internal, not an API: may change in any release. The dependency-free JSON canonicaliser the filter fingerprints JSON
 * request bodies with.
 */
@NullMarked
package dev.idempotency.spring.internal.json;

import org.jspecify.annotations.NullMarked;
