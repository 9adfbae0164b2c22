package dev.idempotency.spring.web;

import dev.idempotency.core.RequestFingerprint;
import dev.idempotency.spring.IdempotencyProblem;
import dev.idempotency.spring.json.InvalidJsonException;
import dev.idempotency.spring.json.JsonCanonicalizer;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.Part;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Computes what a protected request asked for, and hands the application a request whose body is still readable.
 *
 * <p>The fingerprint covers the HTTP method, the route pattern, the path, the query string (its parameters sorted),
 * the scope, and the body:
 * <ul>
 *   <li>JSON ({@code application/json} or {@code +json}): canonicalised by {@link JsonCanonicalizer}, so member order
 *       and whitespace do not matter; invalid JSON is refused with {@link IdempotencyProblem#INVALID_JSON}.</li>
 *   <li>Form posts: the parameter map with names sorted. The parameters are read through the servlet API, so a form
 *       another filter parsed first (such as Spring's {@code FormContentFilter}) still counts.</li>
 *   <li>Multipart: each part's name, file name, content type and a digest of its content, streamed.</li>
 *   <li>Anything else: the bytes.</li>
 * </ul>
 * The body is read once, up to {@code maxRequestSize} bytes; a larger body is refused with
 * {@link IdempotencyProblem#REQUEST_TOO_LARGE} before anything is claimed.
 */
final class RequestFingerprinter {

    private static final String VERSION = "http-v1";

    private final long maxRequestSize;

    RequestFingerprinter(long maxRequestSize) {
        this.maxRequestSize = maxRequestSize;
    }

    /** The fingerprint and the request to pass down the chain. */
    record Fingerprinted(RequestFingerprint fingerprint, HttpServletRequest request) {}

    Fingerprinted fingerprint(HttpServletRequest request, String pattern, String scope)
            throws IOException, ServletException, RequestRejectedException {
        RequestFingerprint.Builder builder = RequestFingerprint.builder()
                .add(VERSION)
                .add(request.getMethod())
                .add(pattern)
                .add(pathWithinApplication(request))
                .add(sortedQuery(request.getQueryString()))
                .add(scope);
        String contentType = request.getContentType();
        String mediaType = contentType == null ? "" : contentType.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
        if (mediaType.equals("application/x-www-form-urlencoded")) {
            checkDeclaredLength(request);
            builder.add("form").add(canonicalParameters(request.getParameterMap()));
            return new Fingerprinted(builder.build(), request);
        }
        if (mediaType.startsWith("multipart/")) {
            builder.add("multipart");
            addParts(builder, request.getParts());
            return new Fingerprinted(builder.build(), request);
        }
        byte[] body = readBody(request);
        if (isJson(mediaType) && body.length > 0) {
            try {
                builder.add("json").add(JsonCanonicalizer.canonicalize(body, charset(request)));
            } catch (InvalidJsonException e) {
                throw new RequestRejectedException(IdempotencyProblem.INVALID_JSON,
                        "The request body is not valid JSON (" + e.getMessage() + "), so it cannot be fingerprinted.");
            }
        } else {
            builder.add("bytes").add(body);
        }
        return new Fingerprinted(builder.build(), new CachedBodyRequest(request, body));
    }

    private void checkDeclaredLength(HttpServletRequest request) throws RequestRejectedException {
        long declared = request.getContentLengthLong();
        if (declared > maxRequestSize) {
            throw tooLarge();
        }
    }

    private byte[] readBody(HttpServletRequest request) throws IOException, RequestRejectedException {
        checkDeclaredLength(request);
        ByteArrayOutputStream out = new ByteArrayOutputStream((int) Math.min(Math.max(request.getContentLength(), 0), maxRequestSize));
        byte[] chunk = new byte[8192];
        try (InputStream in = request.getInputStream()) {
            int n;
            while ((n = in.read(chunk)) != -1) {
                if (out.size() + (long) n > maxRequestSize) {
                    throw tooLarge();
                }
                out.write(chunk, 0, n);
            }
        }
        return out.toByteArray();
    }

    private RequestRejectedException tooLarge() {
        return new RequestRejectedException(IdempotencyProblem.REQUEST_TOO_LARGE,
                "The request body exceeds " + maxRequestSize + " bytes, the most an idempotent request may carry.");
    }

    static boolean isJson(String mediaType) {
        return mediaType.equals("application/json") || (mediaType.startsWith("application/") && mediaType.endsWith("+json"));
    }

    private static Charset charset(HttpServletRequest request) {
        String encoding = request.getCharacterEncoding();
        if (encoding == null) {
            return StandardCharsets.UTF_8;
        }
        try {
            return Charset.forName(encoding);
        } catch (IllegalArgumentException e) {
            return StandardCharsets.UTF_8;
        }
    }

    private static String pathWithinApplication(HttpServletRequest request) {
        String uri = request.getRequestURI();
        String contextPath = request.getContextPath();
        if (uri != null && contextPath != null && !contextPath.isEmpty() && uri.startsWith(contextPath)) {
            return uri.substring(contextPath.length());
        }
        return uri;
    }

    static String sortedQuery(String query) {
        if (query == null || query.isEmpty()) {
            return "";
        }
        String[] pairs = query.split("&");
        Arrays.sort(pairs);
        return String.join("&", pairs);
    }

    private static byte[] canonicalParameters(Map<String, String[]> parameters) {
        RequestFingerprint.Builder builder = RequestFingerprint.builder();
        for (Map.Entry<String, String[]> entry : new TreeMap<>(parameters).entrySet()) {
            builder.add(entry.getKey());
            builder.add(String.valueOf(entry.getValue().length));
            for (String value : entry.getValue()) {
                builder.add(value);
            }
        }
        return builder.build().value().getBytes(StandardCharsets.US_ASCII);
    }

    private static void addParts(RequestFingerprint.Builder builder, Collection<Part> parts) throws IOException {
        List<Part> ordered = new ArrayList<>(parts);
        builder.add(String.valueOf(ordered.size()));
        for (Part part : ordered) {
            builder.add(part.getName()).add(part.getSubmittedFileName()).add(part.getContentType());
            MessageDigest digest = sha256();
            try (InputStream in = new DigestInputStream(part.getInputStream(), digest)) {
                in.transferTo(java.io.OutputStream.nullOutputStream());
            }
            builder.add(HexFormat.of().formatHex(digest.digest()));
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is not available", e);
        }
    }
}
