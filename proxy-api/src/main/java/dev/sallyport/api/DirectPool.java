package dev.sallyport.api;

import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Future;

import java.net.InetSocketAddress;

/** Dials every time, keeps nothing. */
final class DirectPool implements ConnectionPool {

    static final DirectPool INSTANCE = new DirectPool();

    private DirectPool() {
    }

    @Override
    public Future<Channel> acquire(InetSocketAddress address, EventLoop eventLoop, Dialer dialer) {
        return dialer.dial(address, eventLoop);
    }

    @Override
    public String toString() {
        return "ConnectionPool.direct";
    }
}
