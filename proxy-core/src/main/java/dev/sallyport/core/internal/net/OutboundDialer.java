package dev.sallyport.core.internal.net;

import dev.sallyport.core.internal.Engine;
import dev.sallyport.core.internal.Transport;

import dev.sallyport.api.ConnectionPool;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.SocketChannel;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.function.Consumer;

/**
 * Opens outbound connections on the caller's event loop with core's options. No {@code Bootstrap}:
 * a dial is on every session's path, and a bootstrap clone copies its option map, sets options
 * through a generic loop, adds and removes an initializer and creates the channel by reflection.
 */
public final class OutboundDialer implements ConnectionPool.Dialer {

    private final Transport transport;
    private final int connectTimeoutMillis;

    public OutboundDialer(Transport transport, Duration connectTimeout) {
        this.transport = transport;
        this.connectTimeoutMillis = (int) connectTimeout.toMillis();
    }

    @Override
    public Future<Channel> dial(InetSocketAddress address, EventLoop eventLoop) {
        return open(address, null, eventLoop, null);
    }

    /**
     * Connects to {@code remote} from {@code local} (null: the kernel's choice). {@code setup}, when
     * given, fills the pipeline before the connect, so a handler may take the connect over (an
     * upstream proxy's handshake), and may set a shorter connect timeout.
     */
    public Future<Channel> open(SocketAddress remote, InetSocketAddress local, EventLoop eventLoop,
                                Consumer<Channel> setup) {
        Promise<Channel> promise = eventLoop.newPromise();
        SocketChannel channel;
        try {
            channel = transport.newSocketChannel();
            // Reads start when the relay (or the pool's user) is in place. TCP_NODELAY: Netty's
            // socket channels set it at creation on every platform but Android; setting it again
            // would be one more syscall per session.
            channel.config()
                    .setAllowHalfClosure(true)
                    .setConnectTimeoutMillis(connectTimeoutMillis)
                    .setWriteBufferWaterMark(Engine.WATER_MARK)
                    .setAutoRead(false);
        } catch (RuntimeException e) {
            // Out of file descriptors, for one.
            return promise.setFailure(e);
        }
        eventLoop.register(channel).addListener(registered -> {
            if (!registered.isSuccess()) {
                channel.close();
                promise.tryFailure(registered.cause());
                return;
            }
            if (setup != null) {
                try {
                    setup.accept(channel);
                } catch (RuntimeException e) {
                    channel.close();
                    promise.tryFailure(e);
                    return;
                }
            }
            ChannelFuture connect = local == null ? channel.connect(remote) : channel.connect(remote, local);
            connect.addListener(f -> {
                if (f.isSuccess()) {
                    if (!promise.trySuccess(channel)) {
                        channel.close();
                    }
                } else {
                    channel.close();
                    promise.tryFailure(f.cause());
                }
            });
        });
        promise.addListener(f -> {
            if (f.isCancelled()) {
                channel.close();
            }
        });
        return promise;
    }
}
