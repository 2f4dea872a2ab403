package dev.sallyport.core.internal;

import dev.sallyport.core.IoTransport;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollChannelOption;
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
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringChannelOption;
import io.netty.channel.uring.IoUringDatagramChannel;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringServerSocketChannel;
import io.netty.channel.uring.IoUringSocketChannel;

import java.util.ArrayList;
import java.util.List;

/** The I/O transport: native io_uring or epoll where they run, NIO everywhere. */
public enum Transport {
    IO_URING {
        @Override
        public IoHandlerFactory ioHandlerFactory() {
            return IoUringIoHandler.newFactory();
        }

        @Override
        public Class<? extends ServerSocketChannel> serverChannelClass() {
            return IoUringServerSocketChannel.class;
        }

        @Override
        public Class<? extends SocketChannel> socketChannelClass() {
            return IoUringSocketChannel.class;
        }

        @Override
        public SocketChannel newSocketChannel() {
            return new IoUringSocketChannel();
        }

        @Override
        public Class<? extends DatagramChannel> datagramChannelClass() {
            return IoUringDatagramChannel.class;
        }

        @Override
        public void reusePort(ServerBootstrap bootstrap) {
            bootstrap.option(IoUringChannelOption.SO_REUSEPORT, true);
        }

        @Override
        Throwable unavailabilityCause() {
            return IoUring.isAvailable() ? null : IoUring.unavailabilityCause();
        }
    },
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

        @Override
        public void reusePort(ServerBootstrap bootstrap) {
            bootstrap.option(EpollChannelOption.SO_REUSEPORT, true);
        }

        @Override
        Throwable unavailabilityCause() {
            return Epoll.isAvailable() ? null : Epoll.unavailabilityCause();
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

        @Override
        Throwable unavailabilityCause() {
            return null;
        }
    };

    public abstract IoHandlerFactory ioHandlerFactory();

    public abstract Class<? extends ServerSocketChannel> serverChannelClass();

    public abstract Class<? extends SocketChannel> socketChannelClass();

    /** An unregistered client socket channel (no reflection, unlike a Bootstrap's factory). */
    public abstract SocketChannel newSocketChannel();

    public abstract Class<? extends DatagramChannel> datagramChannelClass();

    /**
     * Sets SO_REUSEPORT on a listening socket's bootstrap, so that every I/O thread can have a
     * socket of its own on one port; NIO has none and is never asked (one shared acceptor).
     */
    public void reusePort(ServerBootstrap bootstrap) {
        throw new UnsupportedOperationException(id() + " has no SO_REUSEPORT");
    }

    /** Why this transport cannot run here (its native library or the kernel); null when it can. */
    abstract Throwable unavailabilityCause();

    /** The transport chosen for {@code requested}, and the lines that tell the log why the others were passed over. */
    public record Choice(Transport transport, List<String> passedOver) {
    }

    /**
     * The transport for {@code requested}: {@code AUTO} takes the first that runs of io_uring,
     * epoll and NIO; a named native one that cannot run here fails, naming why.
     *
     * @throws IllegalStateException when the named transport cannot run here
     */
    public static Choice choose(IoTransport requested) {
        List<String> passedOver = new ArrayList<>();
        for (Transport candidate : values()) {
            if (requested != IoTransport.AUTO && !candidate.name().equals(requested.name())) {
                continue;
            }
            Throwable cause = candidate.unavailabilityCause();
            if (cause == null) {
                return new Choice(candidate, List.copyOf(passedOver));
            }
            if (requested != IoTransport.AUTO) {
                throw new IllegalStateException("transport: " + candidate.id() + " cannot run here ("
                        + reason(cause) + ") (expected: auto, or a transport this host runs)");
            }
            passedOver.add(candidate.id() + " unavailable: " + reason(cause));
        }
        throw new AssertionError("NIO always runs");
    }

    /** The name operators type: {@code io_uring}, {@code epoll}, {@code nio}. */
    public String id() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    private static String reason(Throwable cause) {
        String message = cause.getMessage();
        return message == null ? cause.getClass().getSimpleName() : message.lines().findFirst().orElse(message);
    }
}
