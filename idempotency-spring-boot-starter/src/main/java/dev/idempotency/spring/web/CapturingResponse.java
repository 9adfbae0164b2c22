package dev.idempotency.spring.web;

import dev.idempotency.spring.NotReplayableReason;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.WriteListener;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpServletResponseWrapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;

/**
 * Holds back the body of a protected request's response so that it can be stored before the client sees it.
 *
 * <p>Status and headers go straight to the real response (nothing is committed before the filter writes the
 * body). The body is buffered up to {@code limit} bytes. Past the limit the wrapper stops buffering: it writes what it
 * holds to the real response and streams the rest through, and the response is marked not replayable, so memory
 * stays bounded by the limit whatever the handler writes.
 * A {@code sendError} also marks the response not replayable: the error page renders it after the filter returned.
 * An asynchronous request keeps buffering until its work's result is written by the asynchronous dispatch; only a
 * streaming handler switches to streaming when its asynchronous processing starts.
 */
final class CapturingResponse extends HttpServletResponseWrapper {

    private final int limit;
    private final ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    private ServletOutputStream outputStream;
    private PrintWriter writer;
    private Charset writerCharset;
    private boolean streaming;
    private boolean errorSent;
    private NotReplayableReason notReplayable;

    CapturingResponse(HttpServletResponse response, int limit) {
        super(response);
        this.limit = limit;
    }

    /** Why this response cannot be replayed, or {@code null} when its whole body is held. */
    synchronized NotReplayableReason notReplayableReason() {
        return notReplayable;
    }

    synchronized boolean isStreaming() {
        return streaming;
    }

    /** Flushes the writer into the buffer and returns the buffered body. */
    synchronized byte[] body() {
        if (writer != null) {
            writer.flush();
        }
        return buffer.toByteArray();
    }

    /**
     * Stops buffering: what is held goes to the client and later writes go straight through. The response is not
     * stored.
     */
    synchronized void streamThrough(NotReplayableReason reason) throws IOException {
        if (notReplayable == null) {
            notReplayable = reason;
        }
        if (streaming) {
            return;
        }
        if (writer != null) {
            writer.flush();
        }
        streaming = true;
        if (buffer.size() > 0) {
            getResponse().getOutputStream().write(buffer.toByteArray());
            buffer.reset();
        }
    }

    /** Sends the buffered body to the client. */
    synchronized void copyBodyToResponse() throws IOException {
        if (errorSent) {
            // The container renders the error page after the filter returns; flushing now would commit too early.
            return;
        }
        if (streaming) {
            if (writer != null) {
                writer.flush();
            }
            getResponse().flushBuffer();
            return;
        }
        byte[] body = body();
        if (body.length > 0 && !getResponse().isCommitted()) {
            getResponse().setContentLength(body.length);
        }
        if (body.length > 0) {
            getResponse().getOutputStream().write(body);
        }
        buffer.reset();
        streaming = true;
        getResponse().flushBuffer();
    }

    @Override
    public synchronized ServletOutputStream getOutputStream() {
        if (outputStream == null) {
            outputStream = new CapturingOutputStream();
        }
        return outputStream;
    }

    @Override
    public synchronized PrintWriter getWriter() {
        if (writer == null) {
            String encoding = getCharacterEncoding();
            Charset charset = encoding != null ? Charset.forName(encoding) : StandardCharsets.ISO_8859_1;
            // Pin the charset on the real response: the Content-Type sent and stored names the charset of the bytes.
            super.setCharacterEncoding(charset.name());
            writerCharset = charset;
            writer = new PrintWriter(new OutputStreamWriter(getOutputStream(), charset));
        }
        return writer;
    }

    /** Ignored once the writer was obtained (Servlet spec): the bytes are already encoded in its charset. */
    @Override
    public synchronized void setCharacterEncoding(String charset) {
        if (writerCharset == null) {
            super.setCharacterEncoding(charset);
        }
    }

    /** Once the writer was obtained, the media type may change but the charset stays the writer's (Servlet spec). */
    @Override
    public synchronized void setContentType(String type) {
        if (writerCharset == null || type == null) {
            super.setContentType(type);
            return;
        }
        StringBuilder withWriterCharset = new StringBuilder();
        for (String part : type.split(";")) {
            if (part.trim().toLowerCase(java.util.Locale.ROOT).startsWith("charset=")) {
                continue;
            }
            if (withWriterCharset.length() > 0) {
                withWriterCharset.append(';');
            }
            withWriterCharset.append(part.trim());
        }
        super.setContentType(withWriterCharset.append(";charset=").append(writerCharset.name()).toString());
        super.setCharacterEncoding(writerCharset.name());
    }

    @Override
    public synchronized void setLocale(java.util.Locale locale) {
        super.setLocale(locale);
        if (writerCharset != null) {
            super.setCharacterEncoding(writerCharset.name());
        }
    }

    @Override
    public synchronized void flushBuffer() throws IOException {
        if (writer != null) {
            writer.flush();
        }
        if (streaming) {
            super.flushBuffer();
        }
    }

    @Override
    public synchronized void setContentLength(int len) {
        if (streaming) {
            super.setContentLength(len);
        }
    }

    @Override
    public synchronized void setContentLengthLong(long len) {
        if (streaming) {
            super.setContentLengthLong(len);
        }
    }

    @Override
    public synchronized void resetBuffer() {
        if (!streaming) {
            buffer.reset();
        }
        super.resetBuffer();
    }

    @Override
    public synchronized void reset() {
        if (!streaming) {
            buffer.reset();
        }
        super.reset();
    }

    @Override
    public synchronized void sendError(int sc) throws IOException {
        errorSent();
        super.sendError(sc);
    }

    @Override
    public synchronized void sendError(int sc, String msg) throws IOException {
        errorSent();
        super.sendError(sc, msg);
    }

    private void errorSent() {
        errorSent = true;
        if (notReplayable == null) {
            notReplayable = NotReplayableReason.ERROR_SENT;
        }
        buffer.reset();
        streaming = true;
    }

    private synchronized void write(byte[] bytes, int off, int len) throws IOException {
        if (!streaming && buffer.size() + (long) len > limit) {
            streamThrough(NotReplayableReason.TOO_LARGE);
        }
        if (streaming) {
            getResponse().getOutputStream().write(bytes, off, len);
        } else {
            buffer.write(bytes, off, len);
        }
    }

    private final class CapturingOutputStream extends ServletOutputStream {

        @Override
        public void write(int b) throws IOException {
            CapturingResponse.this.write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            CapturingResponse.this.write(b, off, len);
        }

        @Override
        public void flush() throws IOException {
            synchronized (CapturingResponse.this) {
                if (streaming) {
                    getResponse().getOutputStream().flush();
                }
            }
        }

        @Override
        public boolean isReady() {
            synchronized (CapturingResponse.this) {
                if (!streaming) {
                    return true;
                }
            }
            try {
                return getResponse().getOutputStream().isReady();
            } catch (IOException e) {
                return false;
            }
        }

        @Override
        public void setWriteListener(WriteListener listener) {
            try {
                streamThrough(NotReplayableReason.STREAMED);
                getResponse().getOutputStream().setWriteListener(listener);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }
    }
}
