package dev.sallyport.core.internal;

import io.netty.channel.IoHandlerFactory;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;

/** The I/O transport: native epoll where it loads, NIO everywhere else. */
public enum Transport {
    EPOLL {
        @Override
        public IoHandlerFactory ioHandlerFactory() {
            return EpollIoHandler.newFactory();
        }

        @Override
    public Class<? extends ServerSocketChannel> serverChannelClass() {
            return EpollServerSocketChannel.class;
        }

        @Override
    public Class<? extends SocketChannel> socketChannelClass() {
            return EpollSocketChannel.class;
        }

        @Override
        public SocketChannel newSocketChannel() {
            return new EpollSocketChannel();
        }

        @Override
    public Class<? extends DatagramChannel> datagramChannelClass() {
            return EpollDatagramChannel.class;
        }
    },
    NIO {
        @Override
        public IoHandlerFactory ioHandlerFactory() {
            return NioIoHandler.newFactory();
        }

        @Override
    public Class<? extends ServerSocketChannel> serverChannelClass() {
            return NioServerSocketChannel.class;
        }

        @Override
    public Class<? extends SocketChannel> socketChannelClass() {
            return NioSocketChannel.class;
        }

        @Override
        public SocketChannel newSocketChannel() {
            return new NioSocketChannel();
        }

        @Override
    public Class<? extends DatagramChannel> datagramChannelClass() {
            return NioDatagramChannel.class;
        }
    };

    public abstract IoHandlerFactory ioHandlerFactory();

    public abstract Class<? extends ServerSocketChannel> serverChannelClass();

    public abstract Class<? extends SocketChannel> socketChannelClass();

    /** An unregistered client socket channel (no reflection, unlike a Bootstrap's factory). */
    public abstract SocketChannel newSocketChannel();

    public abstract Class<? extends DatagramChannel> datagramChannelClass();

    /** Epoll when allowed and available, otherwise NIO. */
    public static Transport choose(boolean nativeAllowed) {
        return nativeAllowed && Epoll.isAvailable() ? EPOLL : NIO;
    }

    /** Why epoll is not used, for the startup log line. */
    static String unavailabilityReason(boolean nativeAllowed) {
        if (!nativeAllowed) {
            return "native transport disabled";
        }
        Throwable cause = Epoll.unavailabilityCause();
        return cause == null ? "unknown" : String.valueOf(cause.getMessage());
    }
}
