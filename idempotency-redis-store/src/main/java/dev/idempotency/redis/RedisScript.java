package dev.idempotency.redis;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The Lua scripts of {@link RedisIdempotencyStore}, one per operation, shipped as resources next to this class
 * ({@code claim.lua}, {@code complete.lua}, ...) so that tools such as {@code redis-cli --eval} and
 * {@code redis-benchmark} can run the very same text. Each script touches the one key it is given.
 */
public enum RedisScript {
    /** Claims a key: fresh, reclaim after the TTL, takeover of an expired lease with the same fingerprint, or answer. */
    CLAIM("claim.lua"),
    /** Stores the response, fenced by the owner token. */
    COMPLETE("complete.lua"),
    /** Deletes an in-progress record, fenced by the owner token. */
    RELEASE("release.lua"),
    /** Extends the lease, and records a recovery point when given one, fenced by the owner token. */
    RENEW("renew.lua"),
    /** Reads a record whose TTL has not passed, with the server's time: serves both find and inspect. */
    FIND("find.lua"),
    /** Deletes a completed record for an operator, fenced by the owner token. */
    DELETE_COMPLETED("delete_completed.lua");

    private final String resource;
    private final byte[] source;
    private final String sha1;

    RedisScript(String resource) {
        this.resource = resource;
        try (InputStream in = RedisScript.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("the script resource " + resource + " is missing");
            }
            this.source = in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("could not read the script resource " + resource, e);
        }
        try {
            this.sha1 = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(source));
        } catch (NoSuchAlgorithmException e) {
            // Every Java platform is required to provide SHA-1.
            throw new IllegalStateException("SHA-1 is not available", e);
        }
    }

    /** The script's text, as sent with {@code EVAL} or {@code SCRIPT LOAD}. */
    public byte[] source() {
        return source.clone();
    }

    /** The SHA-1 digest {@code EVALSHA} names the script by, the same digest Redis computes. */
    public String sha1() {
        return sha1;
    }

    /** The resource file name, next to this class. */
    public String resource() {
        return resource;
    }
}
