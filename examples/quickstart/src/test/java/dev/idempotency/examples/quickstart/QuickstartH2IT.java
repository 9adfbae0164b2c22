package dev.idempotency.examples.quickstart;

/**
 * The quick start on the default profile: no datasource configured, so Spring Boot starts an embedded H2 database,
 * and Flyway creates both tables in it.
 */
class QuickstartH2IT extends AbstractQuickstartIT {}
