package dev.sallyport.testkit;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;

/**
 * A client socket that writes bytes exactly as the test spells them and reads the peer's bytes
 * off the wire: the common part of {@link Socks5Client}, {@link Socks4Client} and
 * {@link RawHttpClient}. Reads time out after 10 s unless the test changes
 * {@code socket().setSoTimeout}.
 */
public interface RawConnection extends AutoCloseable {

    /** The socket. */
    Socket socket();

    /** The socket's input; buffered, so read through this stream only. */
    InputStream in();

    /** The socket's output. */
    OutputStream out();

    /** Writes {@code bytes} and flushes. */
    default void send(byte[] bytes) throws IOException {
        out().write(bytes);
        out().flush();
    }

    /** Writes each value as one byte ({@code 0..255}) and flushes. */
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
     * @throws EOFException when the peer closes first
     */
    default byte[] read(int n) throws IOException {
        byte[] raw = in().readNBytes(n);
        if (raw.length < n) {
            throw new EOFException("got " + raw.length + " of " + n + " bytes before the end of input");
        }
        return raw;
    }

    /** Reads until the peer closes; returns everything that came. */
    default byte[] readToEnd() throws IOException {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        in().transferTo(all);
        return all.toByteArray();
    }

    /** Whether the peer closed (end of input or reset) with nothing more to read. */
    default boolean closedByPeer() {
        try {
            return in().read() == -1;
        } catch (IOException reset) {
            return true;
        }
    }

    @Override
    default void close() throws IOException {
        socket().close();
    }
}
