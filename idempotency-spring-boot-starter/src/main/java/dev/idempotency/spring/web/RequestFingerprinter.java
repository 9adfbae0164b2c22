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
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.springframework.web.util.UrlPathHelper;

/**
 * Computes what a protected request asked for, and hands the application a request whose body is still readable.
 *
 * <p>The fingerprint covers the HTTP method, the route pattern, the decoded path, the query string (decoded, its
 * parameters sorted by name with the values of one name kept in order), the scope, and the body:
 * <ul>
 *   <li>JSON ({@code application/json} or {@code +json}): canonicalised by {@link JsonCanonicalizer}, so member order
 *       and whitespace do not matter; invalid JSON is refused with {@link IdempotencyProblem#INVALID_JSON}.</li>
 *   <li>Form posts: the parameter map with names sorted. The parameters are read through the servlet API, so a form
 *       another filter parsed first (such as Spring's {@code FormContentFilter}) still counts.</li>
 *   <li>Multipart: each part's name, file name, content type and a digest of its content, streamed.</li>
 *   <li>Anything else: the media type (lowercased, without parameters) and the bytes.</li>
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
                .add(canonicalQuery(request.getQueryString()))
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
            addParts(builder, parts(request));
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
            // The media type counts: the same bytes as text/plain and as application/xml are different requests.
            builder.add("bytes").add(mediaType).add(body);
        }
        return new Fingerprinted(builder.build(), new CachedBodyRequest(request, body));
    }

    /**
     * The parts, or a rejection: the container throws when the body exceeds its multipart limits (413), when the
     * body is malformed, or when the application has no multipart configuration at all (400); either way the
     * handler could not have read it, so nothing is claimed.
     */
    private Collection<Part> parts(HttpServletRequest request) throws IOException, RequestRejectedException {
        try {
            return request.getParts();
        } catch (ServletException | IllegalStateException | IOException e) {
            if (isSizeLimit(e)) {
                throw new RequestRejectedException(IdempotencyProblem.REQUEST_TOO_LARGE,
                        "The multipart request exceeds the server's multipart size limits.");
            }
            throw new RequestRejectedException(IdempotencyProblem.INVALID_MULTIPART,
                    "The multipart request body could not be parsed, so it cannot be fingerprinted.");
        }
    }

    private static boolean isSizeLimit(Throwable error) {
        for (Throwable cause = error; cause != null; cause = cause.getCause() == cause ? null : cause.getCause()) {
            String name = cause.getClass().getSimpleName();
            if (name.contains("SizeLimitExceeded") || name.contains("SizeException") || name.equals("MaxUploadSizeExceededException")) {
                return true;
            }
        }
        return false;
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

    /**
     * The path within the application, percent-decoded and without {@code ;} parameters, as Spring MVC matches it:
     * {@code /orders/%31} and {@code /orders/1} are the same request.
     */
    private static String pathWithinApplication(HttpServletRequest request) {
        try {
            return UrlPathHelper.defaultInstance.getPathWithinApplication(request);
        } catch (RuntimeException e) {
            String uri = request.getRequestURI();
            String contextPath = request.getContextPath();
            if (uri != null && contextPath != null && !contextPath.isEmpty() && uri.startsWith(contextPath)) {
                return uri.substring(contextPath.length());
            }
            return uri;
        }
    }

    /**
     * The query string with its parameters percent-decoded ({@code %41} and {@code A} are equal) and sorted by name
     * with a stable sort: the order of parameters with different names does not matter, the order of the values of
     * one parameter does ({@code ids=1&ids=2} binds to another list than {@code ids=2&ids=1}). Each name and value
     * is re-encoded, so the result is unambiguous.
     */
    static String canonicalQuery(String query) {
        if (query == null || query.isEmpty()) {
            return "";
        }
        List<String[]> parameters = new ArrayList<>();
        for (String pair : query.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String name = eq < 0 ? pair : pair.substring(0, eq);
            String value = eq < 0 ? "" : pair.substring(eq + 1);
            parameters.add(new String[] {decode(name), decode(value)});
        }
        parameters.sort(Comparator.comparing(parameter -> parameter[0]));
        StringBuilder canonical = new StringBuilder(query.length());
        for (String[] parameter : parameters) {
            if (canonical.length() > 0) {
                canonical.append('&');
            }
            canonical.append(URLEncoder.encode(parameter[0], StandardCharsets.UTF_8)).append('=')
                    .append(URLEncoder.encode(parameter[1], StandardCharsets.UTF_8));
        }
        return canonical.toString();
    }

    private static String decode(String component) {
        try {
            return URLDecoder.decode(component, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            // Malformed percent-encoding: the container decides what it means; compare it as sent.
            return component;
        }
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
