package dev.sallyport.core.internal.session;

import dev.sallyport.core.internal.Engine;
import dev.sallyport.core.internal.Transport;
import dev.sallyport.core.internal.net.Addresses;
import dev.sallyport.core.internal.policy.RuleChain;
import dev.sallyport.core.internal.policy.UserLimits;

import dev.sallyport.api.AccessRequest;
import dev.sallyport.api.Outcome;
import dev.sallyport.api.Principal;
import dev.sallyport.api.Protocol;
import dev.sallyport.api.ProxyRequest;
import dev.sallyport.core.spi.SessionException;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Promise;
import io.netty.util.concurrent.ScheduledFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The listening side of one BIND request: a server socket on the proxy's address, port 0, that
 * waits for one acceptable peer. A connection from another host is closed at once and counted;
 * the wait goes on until the right peer connects or the wait times out. Confined to the client
 * channel's event loop; the peer's channel is registered on it too.
 */
public final class BindListener {

    private static final Logger log = LoggerFactory.getLogger(BindListener.class);

    private final Services services;
    private final Protocol protocol;
    private final ProxyRequest request;
    private final Principal principal;
    /** The addresses the peer may come from, unmapped; null when any peer the rules allow may. */
    private final List<InetAddress> expected;
    private final Promise<Channel> promise;
    private Channel server;
    private ScheduledFuture<?> timer;

    private BindListener(Services services, Protocol protocol, ProxyRequest request, Principal principal,
                         List<InetAddress> expected, Promise<Channel> promise) {
        this.services = services;
        this.protocol = protocol;
        this.request = request;
        this.principal = principal;
        this.expected = expected == null ? null : expected.stream().map(Addresses::unmapped).toList();
        this.promise = promise;
    }

    /**
     * Listens on {@code on}, port 0, and completes {@code promise} with the first acceptable peer.
     * {@code listening} runs once the socket is bound; the wait of {@code timeout} starts then.
     */
    static void listen(Services services, Protocol protocol, EventLoop loop, ProxyRequest request, Principal principal,
                       InetAddress on, List<InetAddress> expected, Duration timeout,
                       Consumer<InetSocketAddress> listening, Promise<Channel> promise) {
        BindListener listener = new BindListener(services, protocol, request, principal, expected, promise);
        if (listener.takeSlot()) {
            listener.start(loop, on, timeout, listening);
        }
    }

    /**
     * Counts this listener against the user's cap on waiting BIND listeners until its wait ends;
     * over the cap, fails the wait as {@link Outcome#LIMITED} and returns false.
     */
    private boolean takeSlot() {
        int max = services.settings().maxBindListeners();
        if (max == 0) {
            return true;
        }
        String key = UserLimits.key(principal, request.client().getAddress());
        if (!services.limits().openBindListener(key, max)) {
            services.metrics().rejected(protocol, "limit");
            promise.tryFailure(failure(Outcome.LIMITED, "max-bind-listeners",
                    "over the cap of " + max + " waiting BIND listeners", null));
            return false;
        }
        promise.addListener(f -> services.limits().closeBindListener(key));
        return true;
    }

    private void start(EventLoop loop, InetAddress on, Duration timeout, Consumer<InetSocketAddress> listening) {
        Transport transport = services.transport();
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(loop, loop)
                .channel(transport.serverChannelClass())
                .option(ChannelOption.SO_BACKLOG, 8)
                .childOption(ChannelOption.AUTO_READ, false)
                .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, Engine.WATER_MARK)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel peer) {
                        accepted(peer);
                    }
                });
        promise.addListener(f -> close());
        bootstrap.bind(new InetSocketAddress(on, 0)).addListener(f -> {
            io.netty.channel.ChannelFuture bound = (io.netty.channel.ChannelFuture) f;
            if (!bound.isSuccess()) {
                promise.tryFailure(failure(Outcome.ERROR, null, "cannot listen on " + on.getHostAddress(), bound.cause()));
                return;
            }
            server = bound.channel();
            if (promise.isDone()) {
                server.close();
                return;
            }
            timer = loop.schedule(() -> {
                promise.tryFailure(failure(Outcome.CONNECT_TIMEOUT, null, "no peer connected within " + timeout, null));
            }, timeout.toNanos(), TimeUnit.NANOSECONDS);
            InetSocketAddress address = (InetSocketAddress) server.localAddress();
            log.debug("{} BIND from {}: listening on {}", protocol.id(), Addresses.format(request.client()),
                    Addresses.format(address));
            listening.accept(address);
        });
    }

    private void accepted(Channel peer) {
        InetSocketAddress from = (InetSocketAddress) peer.remoteAddress();
        if (promise.isDone() || from == null) {
            peer.close();
            return;
        }
        InetAddress address = Addresses.unmapped(from.getAddress());
        if (expected != null && !expected.contains(address)) {
            refusePeer(peer, from, "bind-peer", "not the expected peer");
            return;
        }
        if (expected == null) {
            // Any peer was allowed: the one that came is checked like a target would be.
            RuleChain.Verdict verdict = services.rules().evaluate(new AccessRequest(request, principal, address));
            if (!verdict.allowed()) {
                refusePeer(peer, from, "rule", "denied by rule " + verdict.rule());
                return;
            }
        }
        // Handed over after the initializer has left the peer's pipeline empty.
        peer.eventLoop().execute(() -> {
            if (!promise.trySuccess(peer)) {
                peer.close();
            }
        });
    }

    private void refusePeer(Channel peer, InetSocketAddress from, String reason, String why) {
        log.debug("{} BIND from {}: refused a connection from {}: {}", protocol.id(), Addresses.format(request.client()),
                Addresses.format(from), why);
        services.metrics().rejected(protocol, reason);
        peer.close();
    }

    private SessionException failure(Outcome outcome, String rule, String message, Throwable cause) {
        return new SessionException(outcome, rule, protocol.id() + " BIND from " + Addresses.format(request.client())
                + " for " + request.targetHost() + ":" + request.targetPort() + ": " + message, cause);
    }

    private void close() {
        if (timer != null) {
            timer.cancel(false);
        }
        if (server != null) {
            server.close();
        }
    }
}
