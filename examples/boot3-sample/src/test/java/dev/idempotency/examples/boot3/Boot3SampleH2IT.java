package dev.idempotency.examples.boot3;

/**
 * The Boot 3 sample on the default profile: no datasource configured, so Spring Boot starts an embedded H2 database,
 * and Flyway creates both tables in it.
 */
class Boot3SampleH2IT extends AbstractBoot3SampleIT {}
