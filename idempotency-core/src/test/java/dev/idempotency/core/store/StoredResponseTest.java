package dev.idempotency.core.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class StoredResponseTest {

    @Test
    void headersRoundTripThroughTheStoredEncodingWithOrderAndRepeats() {
        Map<String, List<String>> headers = new LinkedHashMap<>();
        headers.put("Location", List.of("/payments/1"));
        headers.put("Link", List.of("<a>; rel=\"next\"", "<b>; rel=\"prev\""));
        headers.put("X-Empty", List.of(""));
        headers.put("X-Unicode", List.of("na\u00efve \u2603"));
        StoredResponse response = new StoredResponse(201, headers, new byte[] {0, -1});

        Map<String, List<String>> decoded = StoredResponse.decodeHeaders(response.encodeHeaders());

        assertThat(decoded).isEqualTo(headers);
        assertThat(List.copyOf(decoded.keySet())).containsExactly("Location", "Link", "X-Empty", "X-Unicode");
        assertThat(StoredResponse.decodeHeaders(new StoredResponse(200, Map.of(), new byte[0]).encodeHeaders())).isEmpty();
        assertThat(StoredResponse.decodeHeaders(null)).isEmpty();
    }

    @Test
    void rejectsCorruptHeaderBytes() {
        assertThatThrownBy(() -> StoredResponse.decodeHeaders(new byte[] {9})).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> StoredResponse.decodeHeaders(new byte[] {1, 0, 0, 0, 1, 0, 0, 0, 99}))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void isImmutableAndComparesBodiesByContent() {
        byte[] body = {1, 2, 3};
        StoredResponse response = StoredResponse.of(200, body);
        body[0] = 9;
        response.body()[1] = 9;

        assertThat(response.body()).containsExactly(1, 2, 3);
        assertThat(response).isEqualTo(StoredResponse.of(200, new byte[] {1, 2, 3}))
                .hasSameHashCodeAs(StoredResponse.of(200, new byte[] {1, 2, 3}))
                .isNotEqualTo(StoredResponse.of(200, new byte[] {1, 2}));
    }
}
