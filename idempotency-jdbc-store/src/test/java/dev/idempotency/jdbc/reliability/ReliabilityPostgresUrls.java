package dev.idempotency.jdbc.reliability;

/** JDBC URL settings that turn a dead database into a quick error instead of a hang. */
public final class ReliabilityPostgresUrls {

    private ReliabilityPostgresUrls() {}

    /**
     * Connect within 2 s, fail a read that waits 5 s, and let the server cancel any statement after 3 s: a request
     * blocked on the database then ends well inside the client's timeout.
     */
    public static String withTimeouts(String url) {
        return url + (url.contains("?") ? "&" : "?")
                + "connectTimeout=2&socketTimeout=5&loginTimeout=3&options=-c%20statement_timeout%3D3000";
    }
}
