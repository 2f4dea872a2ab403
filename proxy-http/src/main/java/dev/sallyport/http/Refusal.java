package dev.sallyport.http;

import dev.sallyport.api.Outcome;
import io.netty.handler.codec.http.HttpResponseStatus;

/**
 * A request the proxy answers itself with an error: the status and a short text for the client.
 *
 * @param outcome what the frontend records for the session ({@code Session.fail}) before answering;
 *                {@code null} when there is nothing to record (a refused login, reported with
 *                {@code Session.loginRefused}, or a refusal core already recorded)
 * @param status  the response status
 * @param text    why, in a few words, for the response body; never a credential
 * @param close   whether the connection closes after the answer, whatever the client asked for
 */
record Refusal(Outcome outcome, HttpResponseStatus status, String text, boolean close) implements Requests.Verdict {

    /** A request the client got wrong: recorded as a protocol error, the connection stays usable when it can. */
    static Refusal protocolError(HttpResponseStatus status, String text) {
        return new Refusal(Outcome.PROTOCOL_ERROR, status, text, false);
    }
}
