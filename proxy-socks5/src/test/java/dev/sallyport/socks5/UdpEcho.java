package dev.sallyport.socks5;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.util.Arrays;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;

/** A UDP echo server on a loopback address, port 0, recording every payload it received. */
final class UdpEcho implements AutoCloseable {

    private final DatagramSocket socket;
    private final Queue<byte[]> received = new ConcurrentLinkedQueue<>();
    private final Thread thread;

    UdpEcho(InetAddress loopback) {
        try {
            socket = new DatagramSocket(new InetSocketAddress(loopback, 0));
        } catch (SocketException e) {
            throw new UncheckedIOException(e);
        }
        thread = new Thread(this::serve, "udp-echo");
        thread.setDaemon(true);
        thread.start();
    }

    UdpEcho() {
        this(InetAddress.getLoopbackAddress());
    }

    int port() {
        return socket.getLocalPort();
    }

    InetSocketAddress address() {
        return (InetSocketAddress) socket.getLocalSocketAddress();
    }

    /** Every payload received so far, as text. */
    java.util.List<String> received() {
        return received.stream().map(b -> new String(b, java.nio.charset.StandardCharsets.UTF_8)).toList();
    }

    private void serve() {
        byte[] buf = new byte[65536];
        while (!socket.isClosed()) {
            DatagramPacket packet = new DatagramPacket(buf, buf.length);
            try {
                socket.receive(packet);
                received.add(Arrays.copyOfRange(buf, 0, packet.getLength()));
                socket.send(new DatagramPacket(buf, packet.getLength(), packet.getSocketAddress()));
            } catch (IOException e) {
                return;
            }
        }
    }

    @Override
    public void close() {
        socket.close();
    }
}
