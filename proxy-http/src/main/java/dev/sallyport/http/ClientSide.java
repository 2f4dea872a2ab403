package dev.sallyport.http;

import dev.sallyport.api.ProxyRequest;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;

/**
 * What a {@link Forward} may ask of the client connection whose request it carries: the whole
 * contract from the origin side back to the client side (the other way, the client side calls
 * {@code Forward}'s own methods). Implemented by {@link ClientHandler}. Every call is made on the
 * client channel's event loop; exactly one of {@link #responded}, {@link #failed}, {@link #retry}
 * and {@link #broken} ends each forward, and after it the forward calls nothing more.
 */
interface ClientSide {

    /** The client channel: the response is written there, as decoded, without copies. */
    Channel channel();

    /**
     * The response head is going out. {@code delimitedByClose} says its body ends when the origin
     * closes, so the client connection has to close after it too. Returns whether the client
     * connection closes after this response; the head then says {@code Connection: close}.
     */
    boolean closesAfterResponse(boolean delimitedByClose);

    /** The origin can take more of the request body: its socket drained, or the upload pause ended. */
    void bodyWanted();

    /**
     * The response was written to its end. {@code requestComplete} tells whether the client's
     * request was read to its end; if not, the connection cannot carry another request.
     */
    void responded(boolean requestComplete);

    /** The exchange failed before any response byte reached the client: answer with this status and text. */
    void failed(HttpResponseStatus status, String text, boolean requestComplete);

    /**
     * A reused origin connection was lost before any response byte while sending a retryable
     * request: admit {@code request} and send {@code head} (with an empty body) again, as try
     * number {@code attempt}. The client's request was read to its end.
     */
    void retry(HttpRequest head, ProxyRequest request, int attempt);

    /** The exchange broke after part of its response was sent: nothing to do but close. */
    void broken();
}
