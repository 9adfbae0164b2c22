package dev.idempotency.spring.web;

import dev.idempotency.core.RequestFingerprint;
import dev.idempotency.spring.IdempotencyProblem;
import dev.idempotency.spring.IdempotencyProperties;
import dev.idempotency.spring.Idempotent;
import dev.idempotency.spring.internal.json.InvalidJsonException;
import dev.idempotency.spring.internal.json.JsonCanonicalizer;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.Part;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Method;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.Enumeration;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import org.springframework.web.util.UrlPathHelper;

/**
 * Computes what a protected request asked for, and hands the application a request whose body is still readable.
 *
 * <p>The fingerprint covers, each part length-prefixed (docs/http-semantics.md lists them for users):
 * <ol>
 *   <li>a version of this list, so that fingerprints of another version never match;</li>
 *   <li>the HTTP method;</li>
 *   <li>the best matching route pattern;</li>
 *   <li>the handler method that serves the request (declaring class, name and parameter types), so two handlers
 *       on one pattern, selected by {@code consumes}, {@code headers}, {@code params} or API version, never share a
 *       key; nothing when the handler is not a method (a functional route, say), since nothing else names it in a
 *       way that is stable across restarts and instances;</li>
 *   <li>the path within the application, percent-decoded;</li>
 *   <li>the query string (decoded, its parameters sorted by name with the values of one name kept in order);</li>
 *   <li>the scope;</li>
 *   <li>the media type, lowercased, without parameters: {@code application/merge-patch+json} and
 *       {@code application/json} ask for different things even with the same bytes;</li>
 *   <li>the headers named in {@code idempotency.fingerprint.headers} and the handler's
 *       {@link Idempotent#fingerprintHeaders()}, by lowercased name in sorted order, each with all its values in the
 *       order received (a header that is absent differs from one present and empty);</li>
 *   <li>the body, by kind:
 *     <ul>
 *       <li>JSON ({@code application/json} or {@code +json}): canonicalised by {@link JsonCanonicalizer}, so member
 *           order, whitespace and the charset do not matter; invalid JSON, or JSON nested deeper than
 *           {@code max-json-depth}, is refused with {@link IdempotencyProblem#INVALID_JSON}.</li>
 *       <li>Form posts: the parameter map with names sorted. The parameters are read through the servlet API, so a
 *           form another filter parsed first (such as Spring's {@code FormContentFilter}) still counts.</li>
 *       <li>Multipart: each part's name, file name, content type and a digest of its content, streamed.</li>
 *       <li>Anything else: the {@code charset} parameter of the Content-Type (the same bytes are other text in
 *           another charset) and the bytes.</li>
 *     </ul></li>
 * </ol>
 * The body is read once, up to {@code maxRequestSize} bytes; a larger body is refused with
 * {@link IdempotencyProblem#REQUEST_TOO_LARGE} before anything is claimed.
 */
final class RequestFingerprinter {

    /** Changes whenever the list of inputs or their encoding changes: v2 added handler, media type and headers. */
    private static final String VERSION = "http-v2";

    private final long maxRequestSize;
    private final int maxJsonDepth;
    /** {@code idempotency.fingerprint.headers}, lowercased, without duplicates, sorted. */
    private final List<String> headers;
    /** The stable name of each handler method seen, computed once. */
    private final Map<Method, String> handlerNames = new ConcurrentHashMap<>();

    RequestFingerprinter(long maxRequestSize) {
        this(maxRequestSize, new IdempotencyProperties.Fingerprint());
    }

    /**
     * @throws IllegalArgumentException for a {@code max-json-depth} out of range or a blank header name, so that
     *         the application does not start with them
     */
    RequestFingerprinter(long maxRequestSize, IdempotencyProperties.Fingerprint settings) {
        int maxJsonDepth = settings.getMaxJsonDepth();
        if (maxJsonDepth < 1 || maxJsonDepth > JsonCanonicalizer.MAX_CONFIGURABLE_DEPTH) {
            throw new IllegalArgumentException("idempotency.fingerprint.max-json-depth must be between 1 and "
                    + JsonCanonicalizer.MAX_CONFIGURABLE_DEPTH + ", got " + maxJsonDepth);
        }
        this.maxRequestSize = maxRequestSize;
        this.maxJsonDepth = maxJsonDepth;
        this.headers = headerNames(settings.getHeaders(), List.of(), "idempotency.fingerprint.headers");
    }

    /** The fingerprint and the request to pass down the chain. */
    record Fingerprinted(RequestFingerprint fingerprint, HttpServletRequest request) {}

    /**
     * @param resolution the filter's handler lookup; its route pattern, handler method and annotation count
     * @param scope the resolved scope
     */
    Fingerprinted fingerprint(HttpServletRequest request, IdempotentHandlerResolver.Resolution resolution, String scope)
            throws IOException, ServletException, RequestRejectedException {
        String contentType = request.getContentType();
        String mediaType = contentType == null ? "" : contentType.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
        RequestFingerprint.Builder builder = RequestFingerprint.builder()
                .add(VERSION)
                .add(request.getMethod())
                .add(resolution.pattern())
                .add(handlerName(resolution.handler()))
                .add(pathWithinApplication(request))
                .add(canonicalQuery(request.getQueryString()))
                .add(scope)
                .add(mediaType);
        addHeaders(builder, request, resolution.annotation());
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
                builder.add("json").add(JsonCanonicalizer.canonicalize(body, charset(request), maxJsonDepth));
            } catch (InvalidJsonException e) {
                throw new RequestRejectedException(IdempotencyProblem.INVALID_JSON,
                        "The request body is not valid JSON (" + e.getMessage() + "), so it cannot be fingerprinted.");
            }
        } else {
            // The charset counts: the same bytes are other text in another charset.
            builder.add("bytes").add(charsetParameter(contentType)).add(body);
        }
        return new Fingerprinted(builder.build(), new CachedBodyRequest(request, body));
    }

    /** The handler method's stable name, computed once per method; null when the handler is not a method. */
    private String handlerName(Method handler) {
        return handler == null ? null : handlerNames.computeIfAbsent(handler, RequestFingerprinter::stableName);
    }

    /**
     * A name of the handler method that is the same on every instance and after a restart: declaring class, method
     * name and parameter types (overloads differ only in those).
     */
    static String stableName(Method method) {
        StringBuilder name = new StringBuilder(method.getDeclaringClass().getName()).append('#').append(method.getName()).append('(');
        Class<?>[] parameters = method.getParameterTypes();
        for (int i = 0; i < parameters.length; i++) {
            if (i > 0) {
                name.append(',');
            }
            name.append(parameters[i].getTypeName());
        }
        return name.append(')').toString();
    }

    private void addHeaders(RequestFingerprint.Builder builder, HttpServletRequest request, Idempotent annotation) {
        List<String> names = headers;
        if (annotation != null && annotation.fingerprintHeaders().length > 0) {
            names = headerNames(Arrays.asList(annotation.fingerprintHeaders()), headers, "@Idempotent(fingerprintHeaders)");
        }
        builder.add(String.valueOf(names.size()));
        for (String name : names) {
            builder.add(name);
            Enumeration<String> values = request.getHeaders(name);
            List<String> all = values == null ? List.of() : Collections.list(values);
            builder.add(String.valueOf(all.size()));
            for (String value : all) {
                builder.add(value);
            }
        }
    }

    /** The names of both lists, lowercased, without duplicates, sorted: the order they are listed in does not count. */
    private static List<String> headerNames(List<String> names, List<String> more, String source) {
        TreeSet<String> sorted = new TreeSet<>(more);
        for (String name : names) {
            if (name == null || name.isBlank()) {
                throw new IllegalArgumentException(source + " contains a blank header name");
            }
            sorted.add(name.trim().toLowerCase(Locale.ROOT));
        }
        return List.copyOf(sorted);
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
        long declared = request.getContentLengthLong();
        try (InputStream in = request.getInputStream()) {
            // Nearly every body declares its length (checked against the limit above): read it into one array of that
            // size, with no chunk buffer and no copy. A body without a declared length, or with more bytes than
            // declared, continues in chunks up to the limit.
            byte[] declaredPart = declared > 0 ? in.readNBytes((int) declared) : new byte[0];
            int next = in.read();
            if (next == -1) {
                return declaredPart;
            }
            ByteArrayOutputStream out = new ByteArrayOutputStream(Math.max(declaredPart.length * 2, 256));
            out.write(declaredPart);
            out.write(next);
            byte[] chunk = new byte[8192];
            int n;
            while ((n = in.read(chunk)) != -1) {
                if (out.size() + (long) n > maxRequestSize) {
                    throw tooLarge();
                }
                out.write(chunk, 0, n);
            }
            if (out.size() > maxRequestSize) {
                throw tooLarge();
            }
            return out.toByteArray();
        }
    }

    private RequestRejectedException tooLarge() {
        return new RequestRejectedException(IdempotencyProblem.REQUEST_TOO_LARGE,
                "The request body exceeds " + maxRequestSize + " bytes, the most an idempotent request may carry.");
    }

    /**
     * The {@code charset} parameter of the Content-Type as the client sent it, by its canonical name when Java knows
     * it ({@code utf8} and {@code UTF-8} are the same); null when there is none.
     */
    static String charsetParameter(String contentType) {
        if (contentType == null) {
            return null;
        }
        String[] parameters = contentType.split(";");
        for (int i = 1; i < parameters.length; i++) {
            String parameter = parameters[i].trim();
            int eq = parameter.indexOf('=');
            if (eq > 0 && parameter.substring(0, eq).trim().equalsIgnoreCase("charset")) {
                String value = parameter.substring(eq + 1).trim();
                if (value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")) {
                    value = value.substring(1, value.length() - 1);
                }
                try {
                    return Charset.forName(value).name();
                } catch (IllegalArgumentException e) {
                    return value.toLowerCase(Locale.ROOT);
                }
            }
        }
        return null;
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
