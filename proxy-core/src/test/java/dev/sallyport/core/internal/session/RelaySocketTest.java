package dev.sallyport.core.internal.session;

import dev.sallyport.api.Protocol;
import dev.sallyport.core.internal.Engine;
import dev.sallyport.core.internal.Transport;
import dev.sallyport.core.internal.net.OutboundDialer;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The relay on real loopback sockets: a plain JDK client, core's accepted channel and dialed
 * target channel on one event loop, and a plain JDK target. What only a real TCP stack shows:
 * half-close reaching the far peer as end of stream, and a sink that does not read stopping the
 * reads of the source.
 */
@Timeout(30)
class RelaySocketTest {

    private static final Transport TRANSPORT = Transport.choose(dev.sallyport.core.IoTransport.AUTO).transport();
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
    /** Small socket buffers, so that a stalled sink fills them with a few hundred KiB, not tens of MiB. */
    private static final int SOCKET_BUFFER = 64 * 1024;

    private static MultiThreadIoEventLoopGroup group;
    private static Channel server;
    private static final BlockingQueue<Channel> accepted = new LinkedBlockingQueue<>();

    private final ExecutorService writer = Executors.newSingleThreadExecutor();
    private Socket client;
    private ServerSocket targetServer;
    private Socket target;
    private Channel clientChannel;
    private Channel targetChannel;

    @BeforeAll
    static void startServer() throws InterruptedException {
        group = new MultiThreadIoEventLoopGroup(1, TRANSPORT.ioHandlerFactory());
        // The options core's listeners give accepted connections.
        server = new ServerBootstrap().group(group).channel(TRANSPORT.serverChannelClass())
                .childOption(ChannelOption.AUTO_READ, false)
                .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, Engine.WATER_MARK)
                .childOption(ChannelOption.SO_RCVBUF, SOCKET_BUFFER)
                .childHandler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel channel) {
                        channel.pipeline().addLast(DefaultSession.GUARD, new ChannelInboundHandlerAdapter());
                        accepted.add(channel);
                    }
                })
                .bind(LOOPBACK, 0).sync().channel();
    }

    @AfterAll
    static void stopServer() {
        server.close().syncUninterruptibly();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    @AfterEach
    void closeEverything() throws IOException {
        writer.shutdownNow();
        for (AutoCloseable closeable : new AutoCloseable[] {client, target, targetServer}) {
            try {
                if (closeable != null) {
                    closeable.close();
                }
            } catch (Exception e) {
                throw new IOException(e);
            }
        }
        if (clientChannel != null) {
            clientChannel.close().syncUninterruptibly();
        }
        if (targetChannel != null) {
            targetChannel.close().syncUninterruptibly();
        }
    }

    /** Connects a JDK client through a relay to a JDK target. */
    private Relay tunnel() throws Exception {
        targetServer = new ServerSocket();
        targetServer.setReceiveBufferSize(SOCKET_BUFFER);
        targetServer.bind(new InetSocketAddress(LOOPBACK, 0));
        client = new Socket();
        client.setSendBufferSize(SOCKET_BUFFER);
        client.setSoTimeout(10_000);
        client.connect(server.localAddress(), 5_000);
        clientChannel = accepted.poll(10, TimeUnit.SECONDS);
        assertThat(clientChannel).isNotNull();
        targetChannel = new OutboundDialer(TRANSPORT, Duration.ofSeconds(5))
                .dial((InetSocketAddress) targetServer.getLocalSocketAddress(), clientChannel.eventLoop())
                .get(10, TimeUnit.SECONDS);
        target = targetServer.accept();
        target.setSoTimeout(10_000);
        Relay relay = new Relay(new DefaultSession(null, Protocol.SOCKS5, clientChannel), clientChannel, targetChannel,
                Duration.ZERO);
        clientChannel.eventLoop().submit(() -> relay.start(false)).get(10, TimeUnit.SECONDS);
        return relay;
    }

    @Test
    void halfClose_reachesEachPeerAsEndOfStream_whileTheOtherDirectionStillFlows() throws Exception {
        tunnel();

        client.getOutputStream().write("ping".getBytes(StandardCharsets.US_ASCII));
        client.shutdownOutput();
        assertThat(target.getInputStream().readAllBytes()).asString(StandardCharsets.US_ASCII).isEqualTo("ping");

        target.getOutputStream().write("pong".getBytes(StandardCharsets.US_ASCII));
        target.shutdownOutput();
        assertThat(client.getInputStream().readAllBytes()).asString(StandardCharsets.US_ASCII).isEqualTo("pong");

        assertThat(clientChannel.closeFuture().await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(targetChannel.closeFuture().await(10, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void aSinkThatDoesNotRead_stopsTheSourcesReads_andEveryByteArrivesOnceItReads() throws Exception {
        Relay relay = tunnel();
        long total = 16L * 1024 * 1024; // far more than the socket buffers and water marks hold
        CompletableFuture<Void> sent = CompletableFuture.runAsync(() -> send(client, total), writer);

        await().atMost(Duration.ofSeconds(10)).until(() -> !clientChannel.config().isAutoRead());
        long pending = clientChannel.eventLoop()
                .submit(() -> targetChannel.unsafe().outboundBuffer().totalPendingWriteBytes()).get(10, TimeUnit.SECONDS);

        assertThat(sent).isNotDone();
        // The relay stops after the read loop in which the sink went over its high water mark.
        assertThat(pending).isLessThanOrEqualTo(Engine.WATER_MARK.high() + 16L * SOCKET_BUFFER);

        assertThat(drain(target.getInputStream())).isEqualTo(total);
        sent.get(10, TimeUnit.SECONDS);
        assertThat(clientChannel.eventLoop().submit(relay::bytesUp).get(10, TimeUnit.SECONDS)).isEqualTo(total);
    }

    /** Writes {@code total} bytes, then half-closes. */
    private static void send(Socket socket, long total) {
        byte[] chunk = new byte[64 * 1024];
        try {
            OutputStream out = socket.getOutputStream();
            for (long left = total; left > 0; left -= chunk.length) {
                out.write(chunk, 0, (int) Math.min(chunk.length, left));
            }
            socket.shutdownOutput();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Reads to end of stream; returns the byte count. */
    private static long drain(InputStream in) throws IOException {
        return in.transferTo(OutputStream.nullOutputStream());
    }
}
