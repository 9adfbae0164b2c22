package dev.idempotency.core;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A SHA-256 digest of what a request asked for, stored with the key to detect a key reused for a different
 * payload.
 *
 * <p>Callers decide what goes in: the Spring filter feeds the method, route, scope and canonical body; a
 * message consumer might feed the message payload. Each part is length-prefixed before hashing, so
 * {@code of("ab", "c")} and {@code of("a", "bc")} differ.
 *
 * @param value the digest as 64 lowercase hex characters
 */
public record RequestFingerprint(String value) {

    private static final int SHA_256_HEX_LENGTH = 64;

    public RequestFingerprint {
        Objects.requireNonNull(value, "value");
        if (value.length() != SHA_256_HEX_LENGTH || !value.chars().allMatch(RequestFingerprint::isLowerHex)) {
            throw new IllegalArgumentException("a fingerprint is 64 lowercase hex characters, got '" + value + "'");
        }
    }

    /** Fingerprints the UTF-8 encoding of each part. */
    public static RequestFingerprint of(@Nullable String... parts) {
        Builder builder = builder();
        for (String part : parts) {
            builder.add(part);
        }
        return builder.build();
    }

    /** Fingerprints raw bytes, for payloads that are not text. */
    public static RequestFingerprint ofBytes(byte[] bytes) {
        return builder().add(bytes).build();
    }

    public static Builder builder() {
        return new Builder();
    }

    private static boolean isLowerHex(int c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
    }

    @Override
    public String toString() {
        return value;
    }

    /** Feeds parts into one digest. Not thread-safe; use one builder per request. */
    public static final class Builder {

        /**
         * Cloned for each builder: a clone copies a few words of state, where {@code MessageDigest.getInstance}
         * searches the security providers on every call. Null when the provider's digest cannot be cloned.
         */
        private static final MessageDigest PROTOTYPE = prototype();

        private final MessageDigest digest;
        private final byte[] lengthPrefix = new byte[4];

        private Builder() {
            this.digest = newDigest();
        }

        private static MessageDigest prototype() {
            MessageDigest digest = sha256();
            try {
                digest.clone();
                return digest;
            } catch (CloneNotSupportedException e) {
                return null;
            }
        }

        private static MessageDigest newDigest() {
            if (PROTOTYPE != null) {
                try {
                    return (MessageDigest) PROTOTYPE.clone();
                } catch (CloneNotSupportedException e) {
                    // Checked when the prototype was made; falls through to a new instance.
                }
            }
            return sha256();
        }

        private static MessageDigest sha256() {
            try {
                return MessageDigest.getInstance("SHA-256");
            } catch (NoSuchAlgorithmException e) {
                // Every Java platform is required to provide SHA-256.
                throw new IllegalStateException("SHA-256 is not available", e);
            }
        }

        public Builder add(@Nullable String part) {
            return add(part == null ? null : part.getBytes(StandardCharsets.UTF_8));
        }

        /** Adds one part; {@code null} and an empty array are distinct parts. */
        public Builder add(byte @Nullable [] part) {
            if (part == null) {
                digest.update(lengthPrefix(-1));
                return this;
            }
            digest.update(lengthPrefix(part.length));
            digest.update(part);
            return this;
        }

        public RequestFingerprint build() {
            return new RequestFingerprint(HexFormat.of().formatHex(digest.digest()));
        }

        private byte[] lengthPrefix(int length) {
            lengthPrefix[0] = (byte) (length >>> 24);
            lengthPrefix[1] = (byte) (length >>> 16);
            lengthPrefix[2] = (byte) (length >>> 8);
            lengthPrefix[3] = (byte) length;
            return lengthPrefix;
        }
    }
}
