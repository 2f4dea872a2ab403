package dev.sallyport.core;

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
enum Transport {
    EPOLL {
        @Override
        IoHandlerFactory ioHandlerFactory() {
            return EpollIoHandler.newFactory();
        }

        @Override
        Class<? extends ServerSocketChannel> serverChannelClass() {
            return EpollServerSocketChannel.class;
        }

        @Override
        Class<? extends SocketChannel> socketChannelClass() {
            return EpollSocketChannel.class;
        }

        @Override
        SocketChannel newSocketChannel() {
            return new EpollSocketChannel();
        }

        @Override
        Class<? extends DatagramChannel> datagramChannelClass() {
            return EpollDatagramChannel.class;
        }
    },
    NIO {
        @Override
        IoHandlerFactory ioHandlerFactory() {
            return NioIoHandler.newFactory();
        }

        @Override
        Class<? extends ServerSocketChannel> serverChannelClass() {
            return NioServerSocketChannel.class;
        }

        @Override
        Class<? extends SocketChannel> socketChannelClass() {
            return NioSocketChannel.class;
        }

        @Override
        SocketChannel newSocketChannel() {
            return new NioSocketChannel();
        }

        @Override
        Class<? extends DatagramChannel> datagramChannelClass() {
            return NioDatagramChannel.class;
        }
    };

    abstract IoHandlerFactory ioHandlerFactory();

    abstract Class<? extends ServerSocketChannel> serverChannelClass();

    abstract Class<? extends SocketChannel> socketChannelClass();

    /** An unregistered client socket channel (no reflection, unlike a Bootstrap's factory). */
    abstract SocketChannel newSocketChannel();

    abstract Class<? extends DatagramChannel> datagramChannelClass();

    /** Epoll when allowed and available, otherwise NIO. */
    static Transport choose(boolean nativeAllowed) {
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
