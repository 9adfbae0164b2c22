package dev.idempotency.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class RequestFingerprintTest {

    @Test
    void isAStableSha256OfTheLengthPrefixedParts() throws Exception {
        MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
        sha256.update(new byte[] {0, 0, 0, 3});
        sha256.update("abc".getBytes(StandardCharsets.UTF_8));
        String expected = HexFormat.of().formatHex(sha256.digest());

        assertThat(RequestFingerprint.of("abc").value()).isEqualTo(expected).hasSize(64);
        assertThat(RequestFingerprint.of("abc")).isEqualTo(RequestFingerprint.of("abc"));
    }

    @Test
    void partBoundariesMatter() {
        assertThat(RequestFingerprint.of("ab", "c")).isNotEqualTo(RequestFingerprint.of("a", "bc"));
        assertThat(RequestFingerprint.of("abc")).isNotEqualTo(RequestFingerprint.of("ab", "c"));
        assertThat(RequestFingerprint.builder().add((String) null).build())
                .isNotEqualTo(RequestFingerprint.builder().add("").build());
    }

    @Test
    void differentPayloadsGiveDifferentFingerprints() {
        assertThat(RequestFingerprint.of("POST", "/payments", "{\"amount\":100}"))
                .isNotEqualTo(RequestFingerprint.of("POST", "/payments", "{\"amount\":101}"));
        assertThat(RequestFingerprint.ofBytes(new byte[] {1})).isNotEqualTo(RequestFingerprint.ofBytes(new byte[] {2}));
    }

    @Test
    void rejectsValuesThatAreNotSha256Hex() {
        assertThatThrownBy(() -> new RequestFingerprint("")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new RequestFingerprint("A".repeat(64))).isInstanceOf(IllegalArgumentException.class);
    }
}
