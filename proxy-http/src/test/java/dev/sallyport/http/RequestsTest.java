package dev.sallyport.http;

import dev.sallyport.api.Credentials;
import dev.sallyport.api.Outcome;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

import static org.assertj.core.api.Assertions.assertThat;

/** Request preparation: the checks and rewrites of a request head before anything is dialled. */
class RequestsTest {

    private static HttpRequest request(HttpMethod method, String uri, String... headers) {
        HttpRequest request = new DefaultHttpRequest(HttpVersion.HTTP_1_1, method, uri);
        for (int i = 0; i < headers.length; i += 2) {
            request.headers().add(headers[i], headers[i + 1]);
        }
        return request;
    }

    private static HttpHeaders proxyAuthorization(String value) {
        return new DefaultHttpHeaders().add("Proxy-Authorization", value);
    }

    private static String basic(String userAndPassword) {
        return "Basic " + Base64.getEncoder().encodeToString(userAndPassword.getBytes(StandardCharsets.UTF_8));
    }

    private static Refusal refusal(Requests.Verdict verdict) {
        assertThat(verdict).isInstanceOf(Refusal.class);
        return (Refusal) verdict;
    }

    // ---- forward: target, scheme ----

    @Test
    void forward_absoluteHttpUri_isAdmittedWithItsTarget() {
        Requests.Verdict verdict = Requests.forward(request(HttpMethod.GET, "http://origin.test:8000/p?q=1"), false);
        assertThat(verdict).isEqualTo(new Requests.Admit(
                new Target("http", "origin.test", 8000, "origin.test:8000", "/p?q=1"), Credentials.none()));
    }

    @Test
    void forward_originFormOrAsterisk_isRefused400WithAHint() {
        for (String uri : new String[] {"/index.html", "*"}) {
            Refusal refusal = refusal(Requests.forward(request(HttpMethod.GET, uri), false));
            assertThat(refusal.status().code()).isEqualTo(400);
            assertThat(refusal.text()).isEqualTo(Requests.ORIGIN_FORM_HINT).contains("http://");
            assertThat(refusal.outcome()).isEqualTo(Outcome.PROTOCOL_ERROR);
            assertThat(refusal.close()).isFalse();
        }
    }

    @Test
    void forward_malformedAbsoluteUri_isRefused400() {
        Refusal refusal = refusal(Requests.forward(request(HttpMethod.GET, "http://user@origin.test/"), false));
        assertThat(refusal.status().code()).isEqualTo(400);
        assertThat(refusal.text()).isEqualTo("malformed request target");
    }

    @Test
    void forward_aSchemeOtherThanHttp_isRefused501Unsupported() {
        for (String uri : new String[] {"https://origin.test/", "ftp://origin.test/file"}) {
            Refusal refusal = refusal(Requests.forward(request(HttpMethod.GET, uri), false));
            assertThat(refusal.status().code()).isEqualTo(501);
            assertThat(refusal.outcome()).isEqualTo(Outcome.UNSUPPORTED_COMMAND);
            assertThat(refusal.text()).contains("scheme " + uri.substring(0, uri.indexOf(':')), "CONNECT");
        }
    }

    // ---- forward: the head as the origin gets it ----

    @Test
    void forward_rewritesTheHead_hostFromTheUri_viaAdded_originFormTarget_http11() {
        HttpRequest request = new DefaultHttpRequest(HttpVersion.HTTP_1_0, HttpMethod.GET, "http://origin.test:8000/p?q=1#f");
        request.headers().add("Host", "wrong.example").add("Via", "1.0 upstream").add("X-Public", "keep-me");
        assertThat(Requests.forward(request, false)).isInstanceOf(Requests.Admit.class);
        assertThat(request.uri()).isEqualTo("/p?q=1");
        assertThat(request.protocolVersion()).isEqualTo(HttpVersion.HTTP_1_1);
        assertThat(request.headers().getAll("Host")).containsExactly("origin.test:8000");
        assertThat(request.headers().getAll("Via")).containsExactly("1.0 upstream", ProxyHeaders.VIA);
        assertThat(request.headers().get("X-Public")).isEqualTo("keep-me");
    }

    @Test
    void forward_removesHopByHopFields_includingThoseNamedByConnection_butNotFramingOnes() {
        HttpRequest request = request(HttpMethod.POST, "http://origin.test/",
                "Connection", "keep-alive, X-Private", "Connection", "content-length, Transfer-Encoding, host",
                "X-Private", "drop-me", "Keep-Alive", "timeout=5", "Proxy-Connection", "keep-alive", "TE", "trailers",
                "Trailer", "X-T", "Upgrade", "h2c", "Proxy-Authorization", basic("a:b"), "Proxy-Authenticate", "x",
                "Content-Length", "3", "X-Public", "keep-me");
        assertThat(Requests.forward(request, false)).isInstanceOf(Requests.Admit.class);
        assertThat(request.headers().names()).containsExactlyInAnyOrder("Content-Length", "X-Public", "via", "host");
    }

    @Test
    void forward_optionsWithoutAnyPath_goesOutAsAsterisk_otherwiseThePath() {
        assertThat(Requests.originUri(HttpMethod.OPTIONS, "http://origin.test", Target.absolute("http://origin.test")))
                .isEqualTo("*");
        assertThat(Requests.originUri(HttpMethod.OPTIONS, "http://origin.test/", Target.absolute("http://origin.test/")))
                .isEqualTo("/");
        assertThat(Requests.originUri(HttpMethod.OPTIONS, "http://origin.test?q", Target.absolute("http://origin.test?q")))
                .isEqualTo("/?q");
        assertThat(Requests.originUri(HttpMethod.GET, "http://origin.test", Target.absolute("http://origin.test")))
                .isEqualTo("/");
    }

    // ---- Max-Forwards ----

    @Test
    void maxForwardsZero_onOptionsOrTrace_isAnsweredHere_onAProxyWithoutLogin() {
        // With a login required, the login comes first: RequestsLoginFirstTest.
        for (HttpMethod method : new HttpMethod[] {HttpMethod.OPTIONS, HttpMethod.TRACE}) {
            HttpRequest request = request(method, "http://origin.test/", "Max-Forwards", "0");
            assertThat(Requests.forward(request, false)).isEqualTo(Requests.AnswerHere.INSTANCE);
            assertThat(request.uri()).isEqualTo("http://origin.test/");
        }
    }

    @Test
    void maxForwards_onOptionsOrTrace_isDecremented() {
        for (HttpMethod method : new HttpMethod[] {HttpMethod.OPTIONS, HttpMethod.TRACE}) {
            HttpRequest request = request(method, "http://origin.test/", "Max-Forwards", "3");
            assertThat(Requests.forward(request, false)).isInstanceOf(Requests.Admit.class);
            assertThat(request.headers().get("Max-Forwards")).isEqualTo("2");
        }
    }

    @Test
    void maxForwards_notANumber_isRefused400() {
        for (String value : new String[] {"", "x", "-1", "1234567890", "1 2"}) {
            Refusal refusal = refusal(Requests.forward(
                    request(HttpMethod.TRACE, "http://origin.test/", "Max-Forwards", value), false));
            assertThat(refusal.status().code()).as(value).isEqualTo(400);
            assertThat(refusal.text()).isEqualTo("Max-Forwards is not a number");
        }
    }

    @Test
    void maxForwards_onOtherMethods_isLeftAlone() {
        HttpRequest request = request(HttpMethod.GET, "http://origin.test/", "Max-Forwards", "0");
        assertThat(Requests.forward(request, false)).isInstanceOf(Requests.Admit.class);
        assertThat(request.headers().get("Max-Forwards")).isEqualTo("0");
    }

    @Test
    void parseMaxForwards_acceptsUpToNineDigits_trimmed() {
        assertThat(Requests.parseMaxForwards("0")).isZero();
        assertThat(Requests.parseMaxForwards(" 12 ")).isEqualTo(12);
        assertThat(Requests.parseMaxForwards("999999999")).isEqualTo(999_999_999);
        assertThat(Requests.parseMaxForwards("+1")).isEqualTo(-1);
    }

    // ---- credentials ----

    @Test
    void credentials_basic_areUserNameAndPassword_splitAtTheFirstColon() {
        assertThat(Requests.credentials(proxyAuthorization(basic("alice:s3cr:et"))))
                .isEqualTo(Credentials.password("alice", "s3cr:et"));
        assertThat(Requests.credentials(proxyAuthorization("bAsIc   " + basic("bo:").substring(6))))
                .isEqualTo(Credentials.password("bo", ""));
    }

    @Test
    void credentials_bearer_isAToken() {
        assertThat(Requests.credentials(proxyAuthorization("Bearer abc.def"))).isEqualTo(Credentials.token("abc.def"));
    }

    @Test
    void credentials_absent_areNone() {
        assertThat(Requests.credentials(new DefaultHttpHeaders())).isSameAs(Credentials.none());
    }

    @Test
    void credentials_undecodableOrOfAnotherScheme_areMalformed() {
        for (String value : new String[] {"Basic", "Basic   ", "Basic !!!", basic("no-colon"), basic(":no-user"),
                "Digest username=\"a\"", "Bearer "}) {
            assertThat(Requests.credentials(proxyAuthorization(value))).as(value).isSameAs(Requests.MALFORMED);
        }
    }

    @Test
    void admit_withoutRequiredCredentials_isAChallenge_reportedAsALoginWithoutCredentials_keepsTheConnection() {
        Requests.Verdict verdict = Requests.forward(request(HttpMethod.GET, "http://origin.test/"), true);
        assertThat(verdict).isInstanceOf(Requests.LoginRefused.class);
        Requests.LoginRefused login = (Requests.LoginRefused) verdict;
        assertThat(login.target()).isEqualTo(Target.absolute("http://origin.test/"));
        assertThat(login.reason()).isEqualTo("no_credentials");
        Refusal refusal = login.refusal();
        assertThat(refusal.status().code()).isEqualTo(407);
        assertThat(refusal.outcome()).as("reported through loginRefused, not recorded on the connection").isNull();
        assertThat(refusal.close()).isFalse();
    }

    @Test
    void admit_undecodableCredentials_failAuthentication_andClose() {
        HttpRequest request = request(HttpMethod.GET, "http://origin.test/", "Proxy-Authorization", "Basic !!!");
        Requests.LoginRefused login = (Requests.LoginRefused) Requests.forward(request, true);
        assertThat(login.reason()).isEqualTo("malformed_credentials");
        assertThat(login.target()).isEqualTo(Target.absolute("http://origin.test/"));
        Refusal refusal = login.refusal();
        assertThat(refusal.status().code()).isEqualTo(407);
        assertThat(refusal.outcome()).as("reported through loginRefused, not recorded on the connection").isNull();
        assertThat(refusal.close()).isTrue();
        // Refused heads are not rewritten.
        assertThat(request.uri()).isEqualTo("http://origin.test/");
    }

    @Test
    void admit_requiredCredentials_goWithTheTarget() {
        HttpRequest request = request(HttpMethod.GET, "http://origin.test/", "Proxy-Authorization", basic("alice:pw"));
        Requests.Verdict verdict = Requests.forward(request, true);
        assertThat(verdict).isInstanceOf(Requests.Admit.class);
        assertThat(((Requests.Admit) verdict).credentials()).isEqualTo(Credentials.password("alice", "pw"));
        assertThat(request.headers().contains("Proxy-Authorization")).isFalse();
    }

    @Test
    void admit_credentialsNotRequired_areNotRead() {
        HttpRequest request = request(HttpMethod.GET, "http://origin.test/", "Proxy-Authorization", "Basic !!!");
        assertThat(((Requests.Admit) Requests.forward(request, false)).credentials()).isSameAs(Credentials.none());
    }

    // ---- CONNECT ----

    @Test
    void connect_hostAndPort_isAdmittedWithCredentials() {
        HttpRequest request = request(HttpMethod.CONNECT, "origin.test:443", "Proxy-Authorization", "Bearer t0k");
        assertThat(Requests.connect(request, true)).isEqualTo(new Requests.Admit(
                new Target(null, "origin.test", 443, "origin.test:443", null), Credentials.token("t0k")));
    }

    @Test
    void connect_withoutPort_isRefused400() {
        Refusal refusal = refusal(Requests.connect(request(HttpMethod.CONNECT, "origin.test"), false));
        assertThat(refusal.status().code()).isEqualTo(400);
        assertThat(refusal.outcome()).isEqualTo(Outcome.PROTOCOL_ERROR);
        assertThat(refusal.text()).isEqualTo("CONNECT needs host:port as its target");
    }
}
