package dev.sallyport.bench.jmh;

import dev.sallyport.api.Credentials;
import dev.sallyport.api.Outcome;
import dev.sallyport.api.Principal;
import dev.sallyport.api.ProxyRequest;
import dev.sallyport.core.spi.Exchange;
import dev.sallyport.core.spi.Session;
import io.netty.channel.Channel;
import io.netty.util.concurrent.Future;

import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * Core's stand-in for the frontend benchmarks: every login succeeds at once and a relay just
 * closes the outbound channel. A benchmark overrides the step it measures ({@link #connect} or
 * {@link #exchange}); the others refuse to run.
 */
abstract class StubSession implements Session {

    static final InetSocketAddress CLIENT = new InetSocketAddress(InetAddress.getLoopbackAddress(), 40000);

    final Channel channel;
    private final InetSocketAddress listener;
    private final boolean authenticationRequired;

    StubSession(Channel channel, int listenerPort, boolean authenticationRequired) {
        this.channel = channel;
        this.listener = new InetSocketAddress(InetAddress.getLoopbackAddress(), listenerPort);
        this.authenticationRequired = authenticationRequired;
    }

    @Override
    public InetSocketAddress client() {
        return CLIENT;
    }

    @Override
    public InetSocketAddress listener() {
        return listener;
    }

    @Override
    public boolean authenticationRequired() {
        return authenticationRequired;
    }

    @Override
    public Principal principal() {
        return Principal.anonymous();
    }

    @Override
    public Future<Principal> authenticate(Credentials credentials) {
        return channel.eventLoop().newSucceededFuture(Principal.of("bench"));
    }

    @Override
    public Future<Channel> connect(ProxyRequest request) {
        throw new UnsupportedOperationException("connect");
    }

    @Override
    public Future<Exchange> exchange(ProxyRequest request) {
        throw new UnsupportedOperationException("exchange");
    }

    @Override
    public void relay(Channel outbound) {
        outbound.close();
    }

    @Override
    public void fail(Outcome outcome) {
        throw new IllegalStateException("the benchmark's request failed: " + outcome);
    }

    @Override
    public void loginRefused(ProxyRequest request, String reason) {
        throw new IllegalStateException("the benchmark's login was refused: " + reason);
    }
}
