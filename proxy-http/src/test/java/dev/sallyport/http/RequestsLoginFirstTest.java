package dev.sallyport.http;

import dev.sallyport.api.Credentials;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code Max-Forwards: 0} on OPTIONS and TRACE makes the proxy the final recipient, but a proxy
 * that requires a login answers nobody it does not know: the login comes first.
 */
class RequestsLoginFirstTest {

    private static HttpRequest maxForwardsZero(HttpMethod method, String proxyAuthorization) {
        HttpRequest request = new DefaultHttpRequest(HttpVersion.HTTP_1_1, method, "http://origin.test:81/t");
        request.headers().set("Max-Forwards", "0");
        if (proxyAuthorization != null) {
            request.headers().set("Proxy-Authorization", proxyAuthorization);
        }
        return request;
    }

    @Test
    void withoutCredentials_isChallenged407_beforeAnythingIsAnswered() {
        for (HttpMethod method : new HttpMethod[] {HttpMethod.OPTIONS, HttpMethod.TRACE}) {
            Requests.Verdict verdict = Requests.forward(maxForwardsZero(method, null), true);
            assertThat(verdict).as(method.name()).isInstanceOf(Requests.LoginRefused.class);
            Requests.LoginRefused login = (Requests.LoginRefused) verdict;
            assertThat(login.reason()).isEqualTo("no_credentials");
            Refusal refusal = login.refusal();
            assertThat(refusal.status().code()).isEqualTo(407);
            assertThat(refusal.outcome()).as("reported through loginRefused, not recorded on the connection").isNull();
            assertThat(refusal.close()).isFalse();
        }
    }

    @Test
    void withUndecodableCredentials_isRefused407AndClosed() {
        Refusal refusal = ((Requests.LoginRefused) Requests.forward(maxForwardsZero(HttpMethod.TRACE, "Digest x"), true))
                .refusal();
        assertThat(refusal.status().code()).isEqualTo(407);
        assertThat(refusal.close()).isTrue();
    }

    @Test
    void withCredentials_isAnsweredAfterCoreAcceptsThem() {
        String basic = "Basic " + Base64.getEncoder().encodeToString("alice:pw".getBytes(StandardCharsets.UTF_8));
        HttpRequest request = maxForwardsZero(HttpMethod.TRACE, basic);
        Requests.Verdict verdict = Requests.forward(request, true);
        assertThat(verdict).isEqualTo(new Requests.AnswerAfterLogin(Target.absolute("http://origin.test:81/t"),
                Credentials.password("alice", "pw")));
        assertThat(request.uri()).as("not rewritten for an origin").isEqualTo("http://origin.test:81/t");
    }
}
