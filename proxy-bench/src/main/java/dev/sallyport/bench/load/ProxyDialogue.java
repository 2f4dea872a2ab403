package dev.sallyport.bench.load;

import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * The client side of a proxy handshake as a pure state machine over bytes, shared by the Netty
 * client and the blocking one: {@link #start()} gives the first bytes to send, then every
 * {@link #receive} consumes what the proxy sent and says what to do next. Once
 * {@link #done()}, the connection is a tunnel to the destination and any bytes left in the
 * buffer belong to it.
 */
abstract class ProxyDialogue {

    /** What to do after {@link #receive}. */
    @SuppressWarnings("ArrayRecordComponent") // bytes as sent or received, read by the caller, never compared
    record Step(byte[] send, String failure) {
        static final Step MORE = new Step(null, null);
        static final Step DONE = new Step(null, null);

        static Step send(byte[] bytes) {
            return new Step(bytes, null);
        }

        static Step fail(String why) {
            return new Step(null, why);
        }
    }

    /** The bytes to send once connected; empty when the client speaks second or not at all. */
    abstract byte[] start();

    /** Consumes bytes from {@code in} (advancing its position) and returns the next step. */
    abstract Step receive(ByteBuffer in);

    /** Whether the tunnel is up. */
    abstract boolean done();

    static ProxyDialogue direct() {
        return new Direct();
    }

    static ProxyDialogue socks5(InetSocketAddress destination, String user, String password) {
        return new Socks5(destination, user, password);
    }

    static ProxyDialogue httpConnect(InetSocketAddress destination, String user, String password) {
        return new HttpConnect(destination, user, password);
    }

    private static final class Direct extends ProxyDialogue {
        @Override
        byte[] start() {
            return new byte[0];
        }

        @Override
        Step receive(ByteBuffer in) {
            return Step.DONE;
        }

        @Override
        boolean done() {
            return true;
        }
    }

    /** RFC 1928 CONNECT with an IPv4 destination; RFC 1929 username/password when given. */
    private static final class Socks5 extends ProxyDialogue {
        private enum State { METHOD, AUTH, REPLY, DONE }

        private final byte[] request;
        private final byte[] auth;
        private State state = State.METHOD;

        Socks5(InetSocketAddress destination, String user, String password) {
            if (!(destination.getAddress() instanceof Inet4Address ipv4)) {
                throw new IllegalArgumentException("destination: " + destination + " (expected: an IPv4 address)");
            }
            byte[] ip = ipv4.getAddress();
            int port = destination.getPort();
            request = new byte[] {5, 1, 0, 1, ip[0], ip[1], ip[2], ip[3], (byte) (port >>> 8), (byte) port};
            if (user == null) {
                auth = null;
            } else {
                byte[] u = user.getBytes(StandardCharsets.UTF_8);
                byte[] p = password.getBytes(StandardCharsets.UTF_8);
                auth = new byte[3 + u.length + p.length];
                auth[0] = 1;
                auth[1] = (byte) u.length;
                System.arraycopy(u, 0, auth, 2, u.length);
                auth[2 + u.length] = (byte) p.length;
                System.arraycopy(p, 0, auth, 3 + u.length, p.length);
            }
        }

        @Override
        byte[] start() {
            return new byte[] {5, 1, (byte) (auth == null ? 0 : 2)};
        }

        @Override
        Step receive(ByteBuffer in) {
            switch (state) {
                case METHOD -> {
                    if (in.remaining() < 2) {
                        return Step.MORE;
                    }
                    int version = in.get();
                    int method = in.get() & 0xff;
                    if (version != 5 || method != (auth == null ? 0 : 2)) {
                        return Step.fail("socks5: method selection " + version + "/" + method);
                    }
                    state = auth == null ? State.REPLY : State.AUTH;
                    return Step.send(auth == null ? request : auth);
                }
                case AUTH -> {
                    if (in.remaining() < 2) {
                        return Step.MORE;
                    }
                    in.get();
                    int status = in.get();
                    if (status != 0) {
                        return Step.fail("socks5: authentication rejected (" + status + ")");
                    }
                    state = State.REPLY;
                    return Step.send(request);
                }
                case REPLY -> {
                    if (in.remaining() < 5) {
                        return Step.MORE;
                    }
                    int at = in.position();
                    int length = switch (in.get(at + 3)) {
                        case 1 -> 10;
                        case 4 -> 22;
                        case 3 -> 7 + (in.get(at + 4) & 0xff);
                        default -> -1;
                    };
                    if (length < 0) {
                        return Step.fail("socks5: reply address type " + in.get(at + 3));
                    }
                    if (in.remaining() < length) {
                        return Step.MORE;
                    }
                    int reply = in.get(at + 1);
                    in.position(at + length);
                    if (reply != 0) {
                        return Step.fail("socks5: reply " + reply);
                    }
                    state = State.DONE;
                    return Step.DONE;
                }
                default -> {
                    return Step.DONE;
                }
            }
        }

        @Override
        boolean done() {
            return state == State.DONE;
        }
    }

    /** An HTTP/1.1 CONNECT (RFC 9110 section 9.3.6), Basic proxy credentials when given. */
    private static final class HttpConnect extends ProxyDialogue {
        private static final int MAX_HEADER = 16 * 1024;

        private final byte[] request;
        private boolean done;

        HttpConnect(InetSocketAddress destination, String user, String password) {
            String authority = destination.getAddress().getHostAddress() + ":" + destination.getPort();
            StringBuilder text = new StringBuilder(128)
                    .append("CONNECT ").append(authority).append(" HTTP/1.1\r\n")
                    .append("Host: ").append(authority).append("\r\n");
            if (user != null) {
                String token = Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
                text.append("Proxy-Authorization: Basic ").append(token).append("\r\n");
            }
            request = text.append("\r\n").toString().getBytes(StandardCharsets.US_ASCII);
        }

        @Override
        byte[] start() {
            return request;
        }

        @Override
        Step receive(ByteBuffer in) {
            int start = in.position();
            int end = -1;
            for (int i = start; i + 3 < in.limit(); i++) {
                if (in.get(i) == '\r' && in.get(i + 1) == '\n' && in.get(i + 2) == '\r' && in.get(i + 3) == '\n') {
                    end = i + 4;
                    break;
                }
            }
            if (end < 0) {
                return in.remaining() > MAX_HEADER ? Step.fail("http: response header over " + MAX_HEADER + " bytes")
                        : Step.MORE;
            }
            byte[] head = new byte[Math.min(end - start, 64)];
            in.get(start, head);
            in.position(end);
            String statusLine = new String(head, StandardCharsets.ISO_8859_1);
            int lineEnd = statusLine.indexOf('\r');
            statusLine = lineEnd < 0 ? statusLine : statusLine.substring(0, lineEnd);
            // "HTTP/1.1 200 Connection established": the code is the second token.
            String[] parts = statusLine.split(" ", 3);
            if (parts.length < 2 || !parts[0].startsWith("HTTP/1.") || !parts[1].equals("200")) {
                return Step.fail("http: " + statusLine);
            }
            done = true;
            return Step.DONE;
        }

        @Override
        boolean done() {
            return done;
        }
    }
}
