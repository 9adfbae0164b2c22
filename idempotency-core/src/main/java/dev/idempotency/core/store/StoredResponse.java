package dev.idempotency.core.store;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The result of a completed operation, kept so that a retry gets exactly what the first request got.
 *
 * <p>For HTTP this is the status, the replayable headers and the body. Non-HTTP callers store their own
 * encoding of a return value through a {@link dev.idempotency.core.ResultCodec}, usually with status 0 and no
 * headers. Header names keep their order and a header may carry several values; stores must give back the
 * same names, values, order and body bytes.
 *
 * @param status the HTTP status, or a caller-defined code for non-HTTP results
 * @param headers header name to values, in insertion order; unmodifiable
 * @param body the body bytes; never {@code null}, possibly empty
 */
public record StoredResponse(int status, Map<String, List<String>> headers, byte[] body) {

    private static final int HEADER_FORMAT_VERSION = 1;

    public StoredResponse {
        Objects.requireNonNull(headers, "headers");
        Objects.requireNonNull(body, "body");
        Map<String, List<String>> copy = new LinkedHashMap<>();
        headers.forEach((name, values) -> copy.put(Objects.requireNonNull(name, "header name"), List.copyOf(values)));
        headers = Collections.unmodifiableMap(copy);
        body = body.clone();
    }

    public static StoredResponse of(int status, byte[] body) {
        return new StoredResponse(status, Map.of(), body);
    }

    /** A defensive copy of the body. */
    @Override
    public byte[] body() {
        return body.clone();
    }

    public int bodyLength() {
        return body.length;
    }

    /**
     * Encodes the headers in the compact binary form the JDBC store keeps in one column: a version byte, the
     * header count, then each name with its values, all length-prefixed, so any value round-trips exactly.
     */
    public byte[] encodeHeaders() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte(HEADER_FORMAT_VERSION);
            out.writeInt(headers.size());
            for (Map.Entry<String, List<String>> header : headers.entrySet()) {
                writeString(out, header.getKey());
                out.writeInt(header.getValue().size());
                for (String value : header.getValue()) {
                    writeString(out, value);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /** Reverses {@link #encodeHeaders()}. */
    public static Map<String, List<String>> decodeHeaders(byte @Nullable [] encoded) {
        if (encoded == null || encoded.length == 0) {
            return Map.of();
        }
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(encoded))) {
            int version = in.readUnsignedByte();
            if (version != HEADER_FORMAT_VERSION) {
                throw new IllegalArgumentException("unknown stored header format version " + version);
            }
            int count = in.readInt();
            Map<String, List<String>> headers = new LinkedHashMap<>();
            for (int i = 0; i < count; i++) {
                String name = readString(in);
                int valueCount = in.readInt();
                List<String> values = new ArrayList<>(valueCount);
                for (int j = 0; j < valueCount; j++) {
                    values.add(readString(in));
                }
                headers.put(name, values);
            }
            return headers;
        } catch (IOException e) {
            throw new IllegalArgumentException("stored headers are corrupt", e);
        }
    }

    private static void writeString(DataOutputStream out, String value) throws IOException {
        byte[] utf8 = value.getBytes(StandardCharsets.UTF_8);
        out.writeInt(utf8.length);
        out.write(utf8);
    }

    private static String readString(DataInputStream in) throws IOException {
        int length = in.readInt();
        if (length < 0 || length > in.available()) {
            throw new IOException("string length " + length + " exceeds the remaining bytes");
        }
        return new String(in.readNBytes(length), StandardCharsets.UTF_8);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof StoredResponse that
                && status == that.status
                && headers.equals(that.headers)
                && Arrays.equals(body, that.body);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * status + headers.hashCode()) + Arrays.hashCode(body);
    }

    @Override
    public String toString() {
        return "StoredResponse[status=" + status + ", headers=" + headers.keySet() + ", body=" + body.length + " bytes]";
    }
}
