package dev.sallyport.bench.load;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;

/**
 * A tunnel on a plain blocking socket, for the latency modes: one thread that sends and then
 * blocks in read measures a round trip with the least client-side machinery in the way.
 */
final class BlockingTunnel implements AutoCloseable {

    private static final int TIMEOUT_MILLIS = 5_000;

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    private BlockingTunnel(Socket socket) throws IOException {
        this.socket = socket;
        this.in = socket.getInputStream();
        this.out = socket.getOutputStream();
    }

    /** Connects and completes the proxy handshake; every step has a 5 s timeout. */
    static BlockingTunnel open(Target target, InetSocketAddress destination) throws IOException {
        Socket socket = new Socket();
        try {
            socket.setTcpNoDelay(true);
            socket.setSoTimeout(TIMEOUT_MILLIS);
            socket.connect(target.firstHop(destination), TIMEOUT_MILLIS);
            BlockingTunnel tunnel = new BlockingTunnel(socket);
            tunnel.handshake(target.dialogue(destination));
            return tunnel;
        } catch (IOException | RuntimeException e) {
            socket.close();
            throw e;
        }
    }

    private void handshake(ProxyDialogue dialogue) throws IOException {
        byte[] first = dialogue.start();
        if (dialogue.done()) {
            return;
        }
        out.write(first);
        ByteBuffer buffer = ByteBuffer.allocate(16 * 1024 + 64);
        while (true) {
            int n = in.read(buffer.array(), buffer.position(), buffer.remaining());
            if (n < 0) {
                throw new EOFException("closed during the proxy handshake");
            }
            buffer.position(buffer.position() + n).flip();
            while (true) {
                ProxyDialogue.Step step = dialogue.receive(buffer);
                if (step.failure() != null) {
                    throw new IOException(step.failure());
                }
                if (step.send() != null) {
                    out.write(step.send());
                } else if (dialogue.done()) {
                    if (buffer.hasRemaining()) {
                        throw new IOException("unexpected bytes after the proxy's reply");
                    }
                    return;
                } else {
                    break;
                }
            }
            buffer.compact();
            if (!buffer.hasRemaining()) {
                throw new IOException("proxy reply too long");
            }
        }
    }

    void write(byte[] bytes) throws IOException {
        out.write(bytes);
    }

    /** Reads exactly {@code into.length} bytes. */
    void readFully(byte[] into) throws IOException {
        int done = 0;
        while (done < into.length) {
            int n = in.read(into, done, into.length - done);
            if (n < 0) {
                throw new EOFException("tunnel closed after " + done + " of " + into.length + " bytes");
            }
            done += n;
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
