package dev.sallyport.socks5;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/** A socket that speaks SOCKS5 bytes exactly as a test writes them. */
final class RawClient implements AutoCloseable {

    final Socket socket;
    final DataInputStream in;
    final OutputStream out;

    RawClient(InetSocketAddress proxy) throws IOException {
        socket = new Socket();
        socket.connect(proxy, 5000);
        socket.setSoTimeout(10_000);
        in = new DataInputStream(socket.getInputStream());
        out = socket.getOutputStream();
    }

    RawClient send(int... bytes) throws IOException {
        byte[] raw = new byte[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            raw[i] = (byte) bytes[i];
        }
        out.write(raw);
        out.flush();
        return this;
    }

    RawClient send(byte[] raw) throws IOException {
        out.write(raw);
        out.flush();
        return this;
    }

    byte[] read(int n) throws IOException {
        byte[] raw = new byte[n];
        in.readFully(raw);
        return raw;
    }

    /** Reads until the proxy closes, returning everything that came. */
    byte[] readToEnd() throws IOException {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        in.transferTo(all);
        return all.toByteArray();
    }

    /** True when the proxy closed the connection (EOF or reset) with nothing more to read. */
    boolean closedByPeer() throws IOException {
        try {
            return in.read() == -1;
        } catch (IOException e) {
            return true;
        }
    }

    /** Greeting offering no authentication, expecting it to be selected. */
    RawClient noAuth() throws IOException {
        send(5, 1, 0);
        expect(read(2), 5, 0);
        return this;
    }

    /** Greeting and RFC 1929 login, expecting success. */
    RawClient login(String user, String password) throws IOException {
        send(5, 1, 2);
        expect(read(2), 5, 2);
        byte[] u = user.getBytes(StandardCharsets.UTF_8);
        byte[] p = password.getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream msg = new ByteArrayOutputStream();
        msg.write(1);
        msg.write(u.length);
        msg.writeBytes(u);
        msg.write(p.length);
        msg.writeBytes(p);
        send(msg.toByteArray());
        expect(read(2), 1, 0);
        return this;
    }

    /** CONNECT to an IPv4 loopback port. */
    RawClient connectIpv4(int port) throws IOException {
        return send(5, 1, 0, 1, 127, 0, 0, 1, port >> 8, port & 0xff);
    }

    /** CONNECT to a domain name. */
    RawClient connectDomain(String host, int port) throws IOException {
        byte[] name = host.getBytes(StandardCharsets.US_ASCII);
        ByteArrayOutputStream msg = new ByteArrayOutputStream();
        msg.writeBytes(new byte[] {5, 1, 0, 3, (byte) name.length});
        msg.writeBytes(name);
        msg.write(port >> 8);
        msg.write(port & 0xff);
        return send(msg.toByteArray());
    }

    /** Reads a reply with an IPv4 bound address and returns its REP code. */
    int replyCode() throws IOException {
        byte[] head = read(4);
        if (head[0] != 5) {
            throw new AssertionError("reply version " + head[0]);
        }
        int atyp = head[3];
        read(atyp == 4 ? 18 : 6);
        return head[1] & 0xff;
    }

    static void expect(byte[] actual, int... expected) {
        for (int i = 0; i < expected.length; i++) {
            if ((actual[i] & 0xff) != expected[i]) {
                throw new AssertionError("byte " + i + ": expected " + expected[i] + " but was " + (actual[i] & 0xff));
            }
        }
    }

    static void readFullyOrFail(InputStream in, byte[] buf) throws IOException {
        int off = 0;
        while (off < buf.length) {
            int n = in.read(buf, off, buf.length - off);
            if (n < 0) {
                throw new EOFException("after " + off + " bytes");
            }
            off += n;
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
