package dev.idempotency.spring.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.idempotency.core.RequestFingerprint;
import dev.idempotency.spring.IdempotencyProblem;
import dev.idempotency.spring.IdempotencyProperties;
import dev.idempotency.spring.Idempotent;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.util.StreamUtils;

class RequestFingerprinterTest {

    private final RequestFingerprinter fingerprinter = new RequestFingerprinter(1024);

    private static MockHttpServletRequest request(String method, String uri, String contentType, String body) {
        MockHttpServletRequest request = new MockHttpServletRequest(method, uri);
        if (contentType != null) {
            request.setContentType(contentType);
        }
        if (body != null) {
            request.setContent(body.getBytes(StandardCharsets.UTF_8));
        }
        return request;
    }

    private static IdempotentHandlerResolver.Resolution resolution(String pattern) {
        return resolution(pattern, null, null);
    }

    private static IdempotentHandlerResolver.Resolution resolution(String pattern, Method handler, Idempotent annotation) {
        return new IdempotentHandlerResolver.Resolution(annotation, pattern, handler, null, null);
    }

    private RequestFingerprint fingerprint(MockHttpServletRequest request, String pattern, String scope) throws Exception {
        return fingerprinter.fingerprint(request, resolution(pattern), scope).fingerprint();
    }

    @Test
    void jsonIsCanonicalisedIncludingPlusJsonTypes() throws Exception {
        RequestFingerprint a = fingerprint(request("POST", "/x", "application/json", "{\"a\":1,\"b\":2}"), "/x", "s");
        RequestFingerprint b = fingerprint(request("POST", "/x", "application/json;charset=UTF-8", " { \"b\":2 , \"a\":1.0 } "), "/x", "s");
        RequestFingerprint c = fingerprint(request("POST", "/x", "application/merge-patch+json", "{\"b\":2,\"a\":1}"), "/x", "s");
        RequestFingerprint d = fingerprint(request("POST", "/x", "Application/Merge-Patch+JSON; charset=utf-8", "{ \"a\":1, \"b\":2 }"), "/x", "s");
        assertThat(a).isEqualTo(b);
        assertThat(c).isEqualTo(d);
        assertThat(c).isNotEqualTo(a);
    }

    /** A merge patch and a full document with the same bytes ask for different things. */
    @Test
    void theMediaTypeOfAJsonBodyCountsButNotItsCharset() throws Exception {
        String body = "{\"name\":\"Zoë\"}";
        RequestFingerprint json = fingerprint(request("PATCH", "/x", "application/json", body), "/x", "s");
        assertThat(fingerprint(request("PATCH", "/x", "application/merge-patch+json", body), "/x", "s")).isNotEqualTo(json);
        assertThat(fingerprint(request("PATCH", "/x", "application/vnd.api+json", body), "/x", "s")).isNotEqualTo(json);
        assertThat(fingerprint(request("PATCH", "/x", "APPLICATION/JSON", body), "/x", "s")).isEqualTo(json);
        MockHttpServletRequest utf16 = request("PATCH", "/x", "application/json;charset=UTF-16BE", null);
        utf16.setContent(body.getBytes(StandardCharsets.UTF_16BE));
        assertThat(fingerprint(utf16, "/x", "s")).isEqualTo(json);
    }

    @Test
    void theMediaTypeOfAMultipartBodyCountsButNotItsBoundary() throws Exception {
        assertThat(fingerprint(multipart("multipart/form-data; boundary=a"), "/x", "s"))
                .isEqualTo(fingerprint(multipart("multipart/form-data; boundary=b"), "/x", "s"))
                .isNotEqualTo(fingerprint(multipart("multipart/mixed; boundary=a"), "/x", "s"));
    }

    private static MockHttpServletRequest multipart(String contentType) {
        MockHttpServletRequest request = request("POST", "/x", contentType, null);
        request.addPart(new org.springframework.mock.web.MockPart("file", "a.txt", "hello".getBytes(StandardCharsets.UTF_8)));
        return request;
    }

    /** The same bytes in another charset are other text; for JSON the charset is decoded away instead. */
    @Test
    void theCharsetOfANonJsonBodyCountsButNotHowItIsSpelled() throws Exception {
        RequestFingerprint utf8 = fingerprint(request("POST", "/x", "text/plain;charset=UTF-8", "Zoë"), "/x", "s");
        assertThat(fingerprint(request("POST", "/x", "text/plain; Charset=\"utf8\"", "Zoë"), "/x", "s")).isEqualTo(utf8);
        assertThat(fingerprint(request("POST", "/x", "text/plain;charset=ISO-8859-1", "Zoë"), "/x", "s")).isNotEqualTo(utf8);
        assertThat(fingerprint(request("POST", "/x", "text/plain", "Zoë"), "/x", "s")).isNotEqualTo(utf8);
        assertThat(fingerprint(request("POST", "/x", "text/plain;format=flowed;charset=UTF-8", "Zoë"), "/x", "s")).isEqualTo(utf8);
    }

    static class Handlers {
        void create(String body) {}

        void create(String body, int version) {}

        void other(String body) {}
    }

    static class MoreHandlers {
        void create(String body) {}
    }

    /** Two handlers on one pattern (selected by consumes, headers, params or API version) never share a key. */
    @Test
    void theHandlerMethodCounts() throws Exception {
        Method create = Handlers.class.getDeclaredMethod("create", String.class);
        Method overload = Handlers.class.getDeclaredMethod("create", String.class, int.class);
        Method other = Handlers.class.getDeclaredMethod("other", String.class);
        Method elsewhere = MoreHandlers.class.getDeclaredMethod("create", String.class);
        RequestFingerprint base = fingerprinter.fingerprint(request("POST", "/x", "application/json", "{}"), resolution("/x", create, null), "s").fingerprint();
        assertThat(fingerprinter.fingerprint(request("POST", "/x", "application/json", "{}"), resolution("/x", create, null), "s").fingerprint())
                .isEqualTo(base);
        for (Method handler : new Method[] {overload, other, elsewhere, null}) {
            assertThat(fingerprinter.fingerprint(request("POST", "/x", "application/json", "{}"), resolution("/x", handler, null), "s").fingerprint())
                    .as(String.valueOf(handler)).isNotEqualTo(base);
        }
        assertThat(RequestFingerprinter.stableName(overload))
                .isEqualTo("dev.idempotency.spring.web.RequestFingerprinterTest$Handlers#create(java.lang.String,int)");
    }

    @Idempotent(fingerprintHeaders = {"X-Tenant", "x-account-id"})
    static class AnnotatedHandlers {}

    private static RequestFingerprint withHeaders(RequestFingerprinter fingerprinter, Idempotent annotation, String... headers) throws Exception {
        MockHttpServletRequest request = request("POST", "/x", "application/json", "{}");
        for (int i = 0; i < headers.length; i += 2) {
            request.addHeader(headers[i], headers[i + 1]);
        }
        return fingerprinter.fingerprint(request, resolution("/x", null, annotation), "s").fingerprint();
    }

    private static RequestFingerprinter fingerprintingHeaders(String... names) {
        IdempotencyProperties.Fingerprint settings = new IdempotencyProperties.Fingerprint();
        settings.setHeaders(List.of(names));
        return new RequestFingerprinter(1024, settings);
    }

    @Test
    void configuredHeadersCountByValueInOrderAndAbsentDiffersFromEmpty() throws Exception {
        RequestFingerprinter accounts = fingerprintingHeaders("X-Account-Id");
        RequestFingerprint a = withHeaders(accounts, null, "X-Account-Id", "a");
        assertThat(withHeaders(accounts, null, "x-account-id", "a", "X-Other", "1")).as("names are case-insensitive, others do not count")
                .isEqualTo(a);
        assertThat(withHeaders(accounts, null, "X-Account-Id", "b")).isNotEqualTo(a);
        RequestFingerprint absent = withHeaders(accounts, null);
        RequestFingerprint empty = withHeaders(accounts, null, "X-Account-Id", "");
        assertThat(absent).isNotEqualTo(empty).isNotEqualTo(a);
        assertThat(withHeaders(accounts, null, "X-Account-Id", "a", "X-Account-Id", "b"))
                .isNotEqualTo(withHeaders(accounts, null, "X-Account-Id", "b", "X-Account-Id", "a"))
                .isNotEqualTo(a);
        // Without the setting, the header does not count.
        assertThat(withHeaders(fingerprinter, null, "X-Account-Id", "a")).isEqualTo(withHeaders(fingerprinter, null, "X-Account-Id", "b"));
    }

    @Test
    void theHandlersFingerprintHeadersAddToTheConfiguredOnesWhateverTheirOrderOrCase() throws Exception {
        Idempotent annotation = AnnotatedHandlers.class.getAnnotation(Idempotent.class);
        RequestFingerprint a = withHeaders(fingerprinter, annotation, "X-Tenant", "t", "X-Account-Id", "a");
        assertThat(withHeaders(fingerprinter, annotation, "X-Tenant", "t", "X-Account-Id", "b")).isNotEqualTo(a);
        assertThat(withHeaders(fingerprinter, annotation, "X-Tenant", "u", "X-Account-Id", "a")).isNotEqualTo(a);
        assertThat(withHeaders(fingerprintingHeaders("X-ACCOUNT-ID", "x-tenant"), null, "X-Tenant", "t", "X-Account-Id", "a"))
                .as("the same headers configured instead").isEqualTo(a);
        RequestFingerprinter both = fingerprintingHeaders("X-Region");
        assertThat(withHeaders(both, annotation, "X-Tenant", "t", "X-Account-Id", "a", "X-Region", "eu"))
                .isNotEqualTo(withHeaders(both, annotation, "X-Tenant", "t", "X-Account-Id", "a", "X-Region", "us"));
    }

    @Test
    void invalidSettingsFailAtStartup() {
        assertThatThrownBy(() -> fingerprintingHeaders(" ")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("idempotency.fingerprint.headers");
        IdempotencyProperties.Fingerprint settings = new IdempotencyProperties.Fingerprint();
        settings.setMaxJsonDepth(0);
        assertThatThrownBy(() -> new RequestFingerprinter(1024, settings)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("max-json-depth");
        settings.setMaxJsonDepth(1001);
        assertThatThrownBy(() -> new RequestFingerprinter(1024, settings)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void jsonNestedDeeperThanTheConfiguredDepthIsInvalidJson() throws Exception {
        String deep = "{\"a\":".repeat(64) + "1" + "}".repeat(64);
        assertThat(fingerprint(request("POST", "/x", "application/json", deep), "/x", "s")).isNotNull();
        String deeper = "[" + deep + "]";
        assertThatThrownBy(() -> fingerprint(request("POST", "/x", "application/json", deeper), "/x", "s"))
                .isInstanceOfSatisfying(RequestRejectedException.class, e -> {
                    assertThat(e.problem()).isEqualTo(IdempotencyProblem.INVALID_JSON);
                    assertThat(e.getMessage()).contains("nested deeper than 64");
                });
        IdempotencyProperties.Fingerprint settings = new IdempotencyProperties.Fingerprint();
        settings.setMaxJsonDepth(2);
        RequestFingerprinter shallow = new RequestFingerprinter(1024, settings);
        assertThat(shallow.fingerprint(request("POST", "/x", "application/json", "[[1]]"), resolution("/x"), "s")).isNotNull();
        assertThatThrownBy(() -> shallow.fingerprint(request("POST", "/x", "application/json", "[[[1]]]"), resolution("/x"), "s"))
                .isInstanceOf(RequestRejectedException.class);
    }

    @Test
    void everyPartCounts() throws Exception {
        RequestFingerprint base = fingerprint(request("POST", "/x", "application/json", "{}"), "/x", "s");
        assertThat(fingerprint(request("PUT", "/x", "application/json", "{}"), "/x", "s")).isNotEqualTo(base);
        assertThat(fingerprint(request("POST", "/y", "application/json", "{}"), "/x", "s")).isNotEqualTo(base);
        assertThat(fingerprint(request("POST", "/x", "application/json", "{}"), "/{id}", "s")).isNotEqualTo(base);
        assertThat(fingerprint(request("POST", "/x", "application/json", "{}"), "/x", "t")).isNotEqualTo(base);
        assertThat(fingerprint(request("POST", "/x", "application/json", "[]"), "/x", "s")).isNotEqualTo(base);
        MockHttpServletRequest withQuery = request("POST", "/x", "application/json", "{}");
        withQuery.setQueryString("a=1");
        assertThat(fingerprint(withQuery, "/x", "s")).isNotEqualTo(base);
    }

    @Test
    void queryParameterOrderDoesNotMatter() throws Exception {
        MockHttpServletRequest one = request("POST", "/x", null, null);
        one.setQueryString("b=2&a=1");
        MockHttpServletRequest two = request("POST", "/x", null, null);
        two.setQueryString("a=1&b=2");
        assertThat(fingerprint(one, "/x", "s")).isEqualTo(fingerprint(two, "/x", "s"));
    }

    @Test
    void reorderedValuesOfOneQueryParameterAreDifferentRequests() throws Exception {
        assertThat(fingerprint(query("ids=1&ids=2"), "/x", "s")).isNotEqualTo(fingerprint(query("ids=2&ids=1"), "/x", "s"));
        // Names still sort, values of one name keep their order.
        assertThat(fingerprint(query("ids=1&b=x&ids=2"), "/x", "s")).isEqualTo(fingerprint(query("b=x&ids=1&ids=2"), "/x", "s"));
        // "a=1&b=2" is not "a=1%26b%3D2".
        assertThat(fingerprint(query("a=1&b=2"), "/x", "s")).isNotEqualTo(fingerprint(query("a=1%26b%3D2"), "/x", "s"));
    }

    @Test
    void percentEncodingOfTheQueryAndPathDoesNotMatter() throws Exception {
        assertThat(fingerprint(query("name=%41"), "/x", "s")).isEqualTo(fingerprint(query("name=A"), "/x", "s"));
        assertThat(fingerprint(query("na%6De=A"), "/x", "s")).isEqualTo(fingerprint(query("name=A"), "/x", "s"));
        assertThat(fingerprint(request("POST", "/orders/%31", null, null), "/orders/{id}", "s"))
                .isEqualTo(fingerprint(request("POST", "/orders/1", null, null), "/orders/{id}", "s"));
        assertThat(fingerprint(request("POST", "/orders/2", null, null), "/orders/{id}", "s"))
                .isNotEqualTo(fingerprint(request("POST", "/orders/1", null, null), "/orders/{id}", "s"));
    }

    @Test
    void theMediaTypeOfANonJsonBodyCounts() throws Exception {
        assertThat(fingerprint(request("POST", "/x", "text/plain", "<a/>"), "/x", "s"))
                .isNotEqualTo(fingerprint(request("POST", "/x", "application/xml", "<a/>"), "/x", "s"));
        assertThat(fingerprint(request("POST", "/x", "Application/XML; charset=UTF-8", "<a/>"), "/x", "s"))
                .isEqualTo(fingerprint(request("POST", "/x", "application/xml;charset=utf-8", "<a/>"), "/x", "s"));
    }

    @Test
    void aJsonBodyWithoutADeclaredCharsetIsReadAsUtf8ThroughTheReader() throws Exception {
        MockHttpServletRequest request = request("POST", "/x", "application/json", "{\"name\":\"Zoë €\"}");
        assertThat(request.getCharacterEncoding()).isNull();
        RequestFingerprinter.Fingerprinted result = fingerprinter.fingerprint(request, resolution("/x"), "s");
        assertThat(result.request().getReader().readLine()).isEqualTo("{\"name\":\"Zoë €\"}");
        MockHttpServletRequest text = request("POST", "/x", "text/plain", null);
        text.setContent("Zoë".getBytes(StandardCharsets.ISO_8859_1));
        assertThat(fingerprinter.fingerprint(text, resolution("/x"), "s").request().getReader().readLine()).isEqualTo("Zoë");
    }

    @Test
    void charsetChangesAfterTheWriterWasObtainedAreIgnoredSoTheContentTypeMatchesTheBytes() throws Exception {
        org.springframework.mock.web.MockHttpServletResponse real = new org.springframework.mock.web.MockHttpServletResponse();
        CapturingResponse capture = new CapturingResponse(real, 1024);
        capture.setContentType("text/plain;charset=UTF-8");
        capture.getWriter().write("Zoë €");
        capture.setCharacterEncoding("ISO-8859-1");
        capture.setContentType("text/html;charset=UTF-16");
        capture.setLocale(java.util.Locale.JAPAN);
        byte[] body = capture.body();
        org.springframework.http.MediaType sent = org.springframework.http.MediaType.parseMediaType(real.getContentType());
        assertThat(sent.getCharset()).isEqualTo(StandardCharsets.UTF_8);
        assertThat(sent.getSubtype()).isEqualTo("html");
        assertThat(new String(body, sent.getCharset())).isEqualTo("Zoë €");
    }

    /** Named like the container's (Tomcat's FileUpload) exception, which is matched by name. */
    static final class SizeLimitExceededException extends java.io.IOException {}

    private static MockHttpServletRequest multipartThatFails(RuntimeException failure) {
        MockHttpServletRequest request = new MockHttpServletRequest("POST", "/x") {
            @Override
            public java.util.Collection<jakarta.servlet.http.Part> getParts() {
                throw failure;
            }
        };
        request.setContentType("multipart/form-data; boundary=xyz");
        return request;
    }

    @Test
    void multipartSizeLimitsAndUnparseableMultipartAreRejectedAsProblemsNotServerErrors() {
        assertThatThrownBy(() -> fingerprint(multipartThatFails(new IllegalStateException(new SizeLimitExceededException())), "/x", "s"))
                .isInstanceOfSatisfying(RequestRejectedException.class, e -> assertThat(e.problem()).isEqualTo(IdempotencyProblem.REQUEST_TOO_LARGE));
        assertThatThrownBy(() -> fingerprint(multipartThatFails(new IllegalStateException(
                "Unable to process parts as no multi-part configuration has been provided")), "/x", "s"))
                .isInstanceOfSatisfying(RequestRejectedException.class, e -> assertThat(e.problem()).isEqualTo(IdempotencyProblem.INVALID_MULTIPART));
    }

    private static MockHttpServletRequest query(String query) {
        MockHttpServletRequest request = request("POST", "/x", null, null);
        request.setQueryString(query);
        return request;
    }

    @Test
    void otherBodiesAreHashedAsBytesAndStayReadable() throws Exception {
        MockHttpServletRequest request = request("POST", "/x", "text/plain", "Hello");
        RequestFingerprinter.Fingerprinted result = fingerprinter.fingerprint(request, resolution("/x"), "s");
        assertThat(result.fingerprint()).isNotEqualTo(fingerprint(request("POST", "/x", "text/plain", "hello"), "/x", "s"));
        assertThat(StreamUtils.copyToString(result.request().getInputStream(), StandardCharsets.UTF_8)).isEqualTo("Hello");
        assertThat(StreamUtils.copyToString(result.request().getInputStream(), StandardCharsets.UTF_8)).isEqualTo("Hello");
        assertThat(result.request().getReader().readLine()).isEqualTo("Hello");
        assertThat(result.request().getContentLength()).isEqualTo(5);
    }

    @Test
    void invalidJsonAndOversizedBodiesAreRejected() {
        assertThatThrownBy(() -> fingerprint(request("POST", "/x", "application/json", "{"), "/x", "s"))
                .isInstanceOfSatisfying(RequestRejectedException.class, e -> assertThat(e.problem()).isEqualTo(IdempotencyProblem.INVALID_JSON));
        assertThatThrownBy(() -> fingerprint(request("POST", "/x", "text/plain", "x".repeat(1025)), "/x", "s"))
                .isInstanceOfSatisfying(RequestRejectedException.class, e -> assertThat(e.problem()).isEqualTo(IdempotencyProblem.REQUEST_TOO_LARGE));
        MockHttpServletRequest chunked = new MockHttpServletRequest("POST", "/x") {
            @Override
            public int getContentLength() {
                return -1;
            }

            @Override
            public long getContentLengthLong() {
                return -1;
            }
        };
        chunked.setContent(new byte[2048]);
        assertThatThrownBy(() -> fingerprint(chunked, "/x", "s"))
                .isInstanceOfSatisfying(RequestRejectedException.class, e -> assertThat(e.problem()).isEqualTo(IdempotencyProblem.REQUEST_TOO_LARGE));
    }

    /** A request whose Content-Length says one thing while its stream carries another. */
    private static MockHttpServletRequest declaring(long declaredLength, String body) {
        MockHttpServletRequest request = new MockHttpServletRequest("POST", "/x") {
            @Override
            public int getContentLength() {
                return (int) declaredLength;
            }

            @Override
            public long getContentLengthLong() {
                return declaredLength;
            }
        };
        request.setContentType("text/plain");
        request.setContent(body.getBytes(StandardCharsets.UTF_8));
        return request;
    }

    @Test
    void theWholeBodyIsFingerprintedAndKeptWhateverLengthItDeclares() throws Exception {
        RequestFingerprint declaredExactly = fingerprint(declaring(11, "hello world"), "/x", "s");
        for (long declared : new long[] {-1, 0, 5, 10}) {
            RequestFingerprinter.Fingerprinted result = fingerprinter.fingerprint(declaring(declared, "hello world"), resolution("/x"), "s");
            assertThat(result.fingerprint()).as("declared %d", declared).isEqualTo(declaredExactly);
            assertThat(StreamUtils.copyToString(result.request().getInputStream(), StandardCharsets.UTF_8)).isEqualTo("hello world");
        }
        assertThat(fingerprint(declaring(5, "hello"), "/x", "s")).isNotEqualTo(declaredExactly);
    }

    @Test
    void aBodyLongerThanItDeclaresIsStillLimited() {
        assertThatThrownBy(() -> fingerprint(declaring(1000, "x".repeat(1025)), "/x", "s"))
                .isInstanceOfSatisfying(RequestRejectedException.class, e -> assertThat(e.problem()).isEqualTo(IdempotencyProblem.REQUEST_TOO_LARGE));
        assertThatThrownBy(() -> fingerprint(declaring(1024, "x".repeat(1025)), "/x", "s"))
                .isInstanceOfSatisfying(RequestRejectedException.class, e -> assertThat(e.problem()).isEqualTo(IdempotencyProblem.REQUEST_TOO_LARGE));
        assertThatCode(() -> fingerprint(declaring(1000, "x".repeat(1024)), "/x", "s")).doesNotThrowAnyException();
    }

    @Test
    void emptyJsonBodyIsNotAnError() throws Exception {
        assertThat(fingerprint(request("POST", "/x", "application/json", ""), "/x", "s")).isNotNull();
    }
}
