package dev.idempotency.spring.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.idempotency.core.RequestFingerprint;
import dev.idempotency.spring.IdempotencyProblem;
import java.nio.charset.StandardCharsets;
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

    private RequestFingerprint fingerprint(MockHttpServletRequest request, String pattern, String scope) throws Exception {
        return fingerprinter.fingerprint(request, pattern, scope).fingerprint();
    }

    @Test
    void jsonIsCanonicalisedIncludingPlusJsonTypes() throws Exception {
        RequestFingerprint a = fingerprint(request("POST", "/x", "application/json", "{\"a\":1,\"b\":2}"), "/x", "s");
        RequestFingerprint b = fingerprint(request("POST", "/x", "application/json;charset=UTF-8", " { \"b\":2 , \"a\":1.0 } "), "/x", "s");
        RequestFingerprint c = fingerprint(request("POST", "/x", "application/merge-patch+json", "{\"b\":2,\"a\":1}"), "/x", "s");
        assertThat(a).isEqualTo(b).isEqualTo(c);
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
                .isEqualTo(fingerprint(request("POST", "/x", "application/xml", "<a/>"), "/x", "s"));
    }

    @Test
    void aJsonBodyWithoutADeclaredCharsetIsReadAsUtf8ThroughTheReader() throws Exception {
        MockHttpServletRequest request = request("POST", "/x", "application/json", "{\"name\":\"Zoë €\"}");
        assertThat(request.getCharacterEncoding()).isNull();
        RequestFingerprinter.Fingerprinted result = fingerprinter.fingerprint(request, "/x", "s");
        assertThat(result.request().getReader().readLine()).isEqualTo("{\"name\":\"Zoë €\"}");
        MockHttpServletRequest text = request("POST", "/x", "text/plain", null);
        text.setContent("Zoë".getBytes(StandardCharsets.ISO_8859_1));
        assertThat(fingerprinter.fingerprint(text, "/x", "s").request().getReader().readLine()).isEqualTo("Zoë");
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
        RequestFingerprinter.Fingerprinted result = fingerprinter.fingerprint(request, "/x", "s");
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

    @Test
    void emptyJsonBodyIsNotAnError() throws Exception {
        assertThat(fingerprint(request("POST", "/x", "application/json", ""), "/x", "s")).isNotNull();
    }
}
