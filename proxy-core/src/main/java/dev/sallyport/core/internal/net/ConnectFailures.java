package dev.sallyport.core.internal.net;

import dev.sallyport.api.Outcome;
import io.netty.channel.ConnectTimeoutException;

import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.util.Locale;

/** Maps why a dial failed to an {@link Outcome}, from the exception type and the errno text. */
public final class ConnectFailures {

    private ConnectFailures() {
    }

    public static Outcome outcome(Throwable cause) {
        if (cause instanceof ConnectTimeoutException || cause instanceof SocketTimeoutException) {
            return Outcome.CONNECT_TIMEOUT;
        }
        if (cause instanceof UnknownHostException) {
            return Outcome.DNS_FAILED;
        }
        if (cause instanceof NoRouteToHostException) {
            return Outcome.HOST_UNREACHABLE;
        }
        String message = cause.getMessage() == null ? "" : cause.getMessage().toLowerCase(Locale.ROOT);
        if (message.contains("network is unreachable")) {
            return Outcome.NETWORK_UNREACHABLE;
        }
        if (message.contains("no route to host") || message.contains("host is unreachable")) {
            return Outcome.HOST_UNREACHABLE;
        }
        if (message.contains("timed out")) {
            return Outcome.CONNECT_TIMEOUT;
        }
        if (cause instanceof ConnectException || message.contains("connection refused")) {
            return Outcome.CONNECTION_REFUSED;
        }
        if (cause instanceof SocketException) {
            return Outcome.HOST_UNREACHABLE;
        }
        return Outcome.ERROR;
    }
}
