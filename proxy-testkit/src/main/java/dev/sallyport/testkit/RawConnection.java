package dev.sallyport.testkit;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A client socket that writes bytes exactly as the test spells them and reads the peer's bytes
 * off the wire: the common part of {@link Socks5Client}, {@link Socks4Client} and
 * {@link RawHttpClient}. Reads time out after 10 s unless the test changes
 * {@code socket().setSoTimeout}.
 */
public interface RawConnection extends AutoCloseable {

    /**
     * The socket.
     *
     * @return the socket
     */
    Socket socket();

    /**
     * The socket's input; buffered, so read through this stream only.
     *
     * @return the input stream
     */
    InputStream in();

    /**
     * The socket's output.
     *
     * @return the output stream
     */
    OutputStream out();

    /**
     * Writes {@code bytes} and flushes.
     *
     * @param bytes the bytes
     * @throws IOException on a socket error or a read timeout
     */
    default void send(byte[] bytes) throws IOException {
        out().write(bytes);
        out().flush();
    }

    /**
     * Writes each value as one byte ({@code 0..255}) and flushes.
     *
     * @param bytes the byte values
     * @throws IOException on a socket error or a read timeout
     */
    default void send(int... bytes) throws IOException {
        byte[] raw = new byte[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            raw[i] = (byte) bytes[i];
        }
        send(raw);
    }

    /**
     * Reads exactly {@code n} bytes.
     *
     * @param n the number of bytes
     * @return the bytes
     * @throws EOFException when the peer closes first
     */
    default byte[] read(int n) throws IOException {
        byte[] raw = in().readNBytes(n);
        if (raw.length < n) {
            throw new EOFException("got " + raw.length + " of " + n + " bytes before the end of input");
        }
        return raw;
    }

    /**
     * Reads until the peer closes; returns everything that came.
     *
     * @return the bytes
     * @throws IOException on a socket error or a read timeout
     */
    default byte[] readToEnd() throws IOException {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        in().transferTo(all);
        return all.toByteArray();
    }

    /**
     * Sends {@code data} and half-closes while reading until the peer closes, the two at once (so
     * a peer that answers as it reads, an echo, never stalls on full buffers); returns what came
     * back.
     *
     * @param data the bytes to send
     * @return the bytes that came back
     * @throws IOException on a socket error or a read timeout
     */
    default byte[] exchange(byte[] data) throws IOException {
        CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
            try {
                out().write(data);
                out().flush();
                socket().shutdownOutput();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        byte[] received = readToEnd();
        try {
            writer.get(socket().getSoTimeout() == 0 ? Long.MAX_VALUE : socket().getSoTimeout(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw new IOException("sending failed", e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while sending");
        } catch (TimeoutException e) {
            throw new InterruptedIOException("sending did not finish within the read timeout");
        }
        return received;
    }

    /**
     * Whether the peer closed (end of input or reset) with nothing more to read; false when a byte
     * came instead, or nothing came within the read timeout (a peer that never closes).
     *
     * @return whether the peer closed
     */
    default boolean closedByPeer() {
        try {
            return in().read() == -1;
        } catch (SocketTimeoutException stillOpen) {
            return false;
        } catch (IOException reset) {
            return true;
        }
    }

    @Override
    default void close() throws IOException {
        socket().close();
    }
}
