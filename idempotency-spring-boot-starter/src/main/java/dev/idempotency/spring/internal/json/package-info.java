/**
 * Internal, not an API: may change in any release. The dependency-free JSON canonicaliser the filter fingerprints JSON
 * request bodies with.
 */
package dev.idempotency.spring.internal.json;
