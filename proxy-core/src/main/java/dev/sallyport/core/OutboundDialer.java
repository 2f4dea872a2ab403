package dev.sallyport.core;

import dev.sallyport.api.ConnectionPool;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;

import java.net.InetSocketAddress;
import java.time.Duration;

/** Opens outbound connections on the caller's event loop with core's options. */
final class OutboundDialer implements ConnectionPool.Dialer {

    @ChannelHandler.Sharable
    private static final class Empty extends ChannelInitializer<Channel> {
        @Override
        protected void initChannel(Channel ch) {
            // The relay or the pool's user adds handlers once the connection is admitted.
        }
    }

    private static final ChannelHandler EMPTY = new Empty();

    private final Bootstrap template;

    OutboundDialer(Transport transport, Duration connectTimeout) {
        this.template = new Bootstrap()
                .channel(transport.socketChannelClass())
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) connectTimeout.toMillis())
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .option(ChannelOption.AUTO_READ, false)
                .option(ChannelOption.WRITE_BUFFER_WATER_MARK, Engine.WATER_MARK)
                .handler(EMPTY);
    }

    @Override
    public Future<Channel> dial(InetSocketAddress address, EventLoop eventLoop) {
        ChannelFuture connect = template.clone(eventLoop).connect(address);
        Promise<Channel> promise = eventLoop.newPromise();
        connect.addListener(f -> {
            if (f.isSuccess()) {
                if (!promise.trySuccess(connect.channel())) {
                    connect.channel().close();
                }
            } else {
                promise.tryFailure(f.cause());
            }
        });
        promise.addListener(f -> {
            if (f.isCancelled()) {
                connect.cancel(false);
                connect.channel().close();
            }
        });
        return promise;
    }
}
