package dev.sallyport.core;

import dev.sallyport.api.AuthBackend;
import dev.sallyport.api.AuthContext;
import dev.sallyport.api.AuthResult;
import dev.sallyport.api.Credentials;
import dev.sallyport.api.Limits;
import dev.sallyport.api.MetricsSink;
import dev.sallyport.api.Principal;
import dev.sallyport.core.testing.FakeTicker;
import dev.sallyport.core.testing.NullFrontend;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@code builder().forwardAuth(...)}: GET /auth on a listener of its own, over plain sockets. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ForwardAuthListenerTest {

    static final String GOOD = "Authorization: Basic " + basic("alice:s3cret");
    static final String WRONG = "Authorization: Basic " + basic("alice:guess");

    private final FakeTicker ticker = new FakeTicker();
    private final Backend backend = new Backend();
    private final Outcomes outcomes = new Outcomes();
    private ProxyManager proxy;

    static String basic(String userColonPassword) {
        return Base64.getEncoder().encodeToString(userColonPassword.getBytes(StandardCharsets.UTF_8));
    }

    private InetSocketAddress start(String... trusted) {
        proxy = ProxyManager.builder().classLoader(NullFrontend.loader()).socks5(0).auth(backend).ticker(ticker)
                .maxLoginFailures(2).loginBackoff(Duration.ZERO).lockoutDuration(Duration.ofMinutes(5))
                .authCacheTtl(Duration.ZERO).metrics(outcomes)
                .forwardAuth(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), trusted).start();
        return proxy.forwardAuthAddress();
    }

    @AfterEach
    void close() {
        if (proxy != null) {
            proxy.close();
        }
    }

    @Test
    void goodBasic_answers200WithUserAndAttributes_injectionEncoded() throws Exception {
        try (RawHttp http = new RawHttp(start())) {
            RawHttp.Response response = http.exchange(RawHttp.get("/auth", GOOD));

            assertThat(response.status()).isEqualTo(200);
            assertThat(response.header("X-Sallyport-User")).isEqualTo("alice");
            assertThat(response.header("X-Sallyport-Attr-team")).isEqualTo("ops");
            assertThat(response.header("X-Sallyport-Attr-note")).isEqualTo("a%0D%0AX-Evil: 1 100%25 %C3%A9");
            assertThat(response.headers()).doesNotContainKey("x-evil")
                    .noneSatisfy((name, values) -> assertThat(name).contains("credential-version"))
                    .noneSatisfy((name, values) -> assertThat(name).contains("bad"));
            assertThat(response.header("Cache-Control")).isEqualTo("no-store");
        }
        assertThat(outcomes.seen).containsExactly("allowed");
    }

    @Test
    void bearerInProxyAuthorization_winsOverAuthorization() throws Exception {
        try (RawHttp http = new RawHttp(start())) {
            RawHttp.Response response = http.exchange(RawHttp.get("/auth", "Proxy-Authorization: Bearer tok-alice", WRONG));

            assertThat(response.status()).isEqualTo(200);
            assertThat(response.header("X-Sallyport-User")).isEqualTo("alice");
        }
    }

    @Test
    void wrongMissingOrUnreadableCredentials_answer401WithChallenge() throws Exception {
        try (RawHttp http = new RawHttp(start())) {
            for (String field : List.of(WRONG, "Authorization: Digest x=1", "Authorization: Basic !!!", "X-None: 1")) {
                RawHttp.Response response = http.exchange(RawHttp.get("/auth", field));

                assertThat(response.status()).as(field).isEqualTo(401);
                assertThat(response.header("WWW-Authenticate")).startsWith("Basic realm=\"sallyport\"");
                assertThat(response.headers()).doesNotContainKey("x-sallyport-user");
            }
            RawHttp.Response twice = http.exchange(RawHttp.get("/auth", GOOD, GOOD));
            assertThat(twice.status()).as("two Authorization fields").isEqualTo(401);
        }
        assertThat(outcomes.seen).containsOnly("denied");
    }

    @Test
    void repeatedFailures_lockOut_answer429WithRetryAfter_evenForTheRightPassword_untilTheLockoutEnds() throws Exception {
        try (RawHttp http = new RawHttp(start())) {
            assertThat(http.exchange(RawHttp.get("/auth", WRONG)).status()).isEqualTo(401);
            assertThat(http.exchange(RawHttp.get("/auth", WRONG)).status()).isEqualTo(401);

            RawHttp.Response locked = http.exchange(RawHttp.get("/auth", GOOD));
            assertThat(locked.status()).isEqualTo(429);
            assertThat(locked.header("Retry-After")).isEqualTo("300");

            ticker.advance(Duration.ofMinutes(5).plusSeconds(1));
            assertThat(http.exchange(RawHttp.get("/auth", GOOD)).status()).isEqualTo(200);
        }
        assertThat(outcomes.seen).containsExactly("denied", "denied", "locked_out", "allowed");
    }

    @Test
    void backendDown_answers503_andCountsNoFailure() throws Exception {
        backend.down = true;
        try (RawHttp http = new RawHttp(start())) {
            for (int i = 0; i < 3; i++) {
                assertThat(http.exchange(RawHttp.get("/auth", GOOD)).status()).isEqualTo(503);
            }
            backend.down = false;
            assertThat(http.exchange(RawHttp.get("/auth", GOOD)).status()).as("not locked out by an outage").isEqualTo(200);
        }
        assertThat(outcomes.seen).containsExactly("unavailable", "unavailable", "unavailable", "allowed");
    }

    @Test
    void forwardedFor_fromATrustedCaller_namesTheRightMostUntrustedHop() throws Exception {
        try (RawHttp http = new RawHttp(start("127.0.0.0/8", "10.0.0.0/8"))) {
            http.exchange(RawHttp.get("/auth", GOOD, "X-Forwarded-For: 203.0.113.66, 198.51.100.7", "X-Forwarded-For: 10.0.0.2"));

            assertThat(backend.clients).containsExactly(InetAddress.getByName("198.51.100.7"));
        }
    }

    @Test
    void forwardedFor_lockoutFollowsTheForwardedClient_notTheCaller() throws Exception {
        try (RawHttp http = new RawHttp(start("127.0.0.0/8"))) {
            http.exchange(RawHttp.get("/auth", WRONG, "X-Forwarded-For: 198.51.100.7"));
            http.exchange(RawHttp.get("/auth", WRONG, "X-Forwarded-For: 198.51.100.7"));

            assertThat(http.exchange(RawHttp.get("/auth", GOOD, "X-Forwarded-For: 198.51.100.7")).status()).isEqualTo(429);
            assertThat(http.exchange(RawHttp.get("/auth", GOOD, "X-Forwarded-For: 198.51.100.8")).status()).isEqualTo(200);
        }
    }

    @Test
    void forwardedFor_fromAnUntrustedCaller_isIgnored_soSpoofingCannotDodgeTheLockout() throws Exception {
        try (RawHttp http = new RawHttp(start("10.0.0.0/8"))) {
            http.exchange(RawHttp.get("/auth", WRONG, "X-Forwarded-For: 198.51.100.1"));
            http.exchange(RawHttp.get("/auth", WRONG, "X-Forwarded-For: 198.51.100.2"));

            assertThat(http.exchange(RawHttp.get("/auth", GOOD, "X-Forwarded-For: 198.51.100.3")).status()).isEqualTo(429);
            assertThat(backend.clients).allMatch(InetAddress::isLoopbackAddress);
        }
    }

    @Test
    void otherMethodsOnAuth_405_otherPaths_404_head_noBody() throws Exception {
        try (RawHttp http = new RawHttp(start())) {
            RawHttp.Response post = http.exchange(RawHttp.request("POST", "/auth", GOOD, "Content-Length: 0"));
            assertThat(post.status()).isEqualTo(405);
            assertThat(post.header("Allow")).isEqualTo("GET, HEAD");
            assertThat(http.exchange(RawHttp.get("/metrics", GOOD)).status()).isEqualTo(404);
            assertThat(http.exchange(RawHttp.get("/authx", GOOD)).status()).isEqualTo(404);

            RawHttp.Response head = http.exchange(RawHttp.request("HEAD", "/auth?from=nginx", GOOD));
            assertThat(head.status()).isEqualTo(200);
            assertThat(head.header("X-Sallyport-User")).isEqualTo("alice");
            assertThat(http.exchange(RawHttp.get("/auth", GOOD)).body()).as("still in step after HEAD").isEqualTo("ok\n");
        }
    }

    @Test
    void envoyPrefix_takesTheClientsOwnMethodAndPath() throws Exception {
        try (RawHttp http = new RawHttp(start())) {
            RawHttp.Response response = http.exchange(RawHttp.request("DELETE", "/auth/envoy/api/items/7", GOOD,
                    "Content-Length: 0"));

            assertThat(response.status()).isEqualTo(200);
            assertThat(response.header("X-Sallyport-User")).isEqualTo("alice");
        }
    }

    @Test
    void oversizedHead_answers431AndCloses() throws Exception {
        try (RawHttp http = new RawHttp(start())) {
            RawHttp.Response response = http.exchange(RawHttp.get("/auth", GOOD, "X-Padding: " + "a".repeat(9000)));

            assertThat(response.status()).isEqualTo(431);
            assertThat(http.closedByServer()).isTrue();
        }
        assertThat(backend.clients).isEmpty();
    }

    @Test
    void manyForwardedForHops_areReadUpToTheLimit() throws Exception {
        String hops = "198.51.100.9, " + "10.0.0.1, ".repeat(300) + "10.0.0.1";
        try (RawHttp http = new RawHttp(start("127.0.0.0/8", "10.0.0.0/8"))) {
            assertThat(http.exchange(RawHttp.get("/auth", GOOD, "X-Forwarded-For: " + hops)).status()).isEqualTo(200);

            assertThat(backend.clients).containsExactly(InetAddress.getByName("10.0.0.1"));
        }
    }

    @Test
    void slowClient_isClosedAfterTheRequestTimeout() throws Exception {
        proxy = ProxyManager.builder().classLoader(NullFrontend.loader()).socks5(0).auth(backend)
                .handshakeTimeout(Duration.ofMillis(300))
                .forwardAuth(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)).start();
        try (RawHttp http = new RawHttp(proxy.forwardAuthAddress())) {
            http.send("GET /auth HTTP/1.1\r\nHost: a\r\n");

            assertThat(http.closedByServer()).isTrue();
        }
    }

    @Test
    void pipelinedRequests_whileAnAnswerIsPending_areAnsweredInOrder_orTheConnectionClosesAfterTheFirst() throws Exception {
        CompletableFuture<Void> gate = new CompletableFuture<>();
        backend.gate = gate;
        try (RawHttp http = new RawHttp(start())) {
            http.send(RawHttp.get("/auth", GOOD) + RawHttp.get("/auth", WRONG));
            backend.asked.get(5, TimeUnit.SECONDS);
            gate.complete(null);

            RawHttp.Response first = http.read(false);
            assertThat(first.status()).isEqualTo(200);
            assertThat(first.header("X-Sallyport-User")).isEqualTo("alice");
            if ("close".equals(first.header("Connection"))) {
                // The second came while the first was pending: dropped, never answered out of turn.
                assertThat(http.closedByServer()).isTrue();
                return;
            }
            RawHttp.Response second = http.read(false);
            assertThat(second.status()).isEqualTo(401);
            assertThat(second.headers()).doesNotContainKey("x-sallyport-user");
        }
    }

    @Test
    void forwardAuth_withoutLogins_failsToStart_andReleasesItsPorts() throws Exception {
        ProxyManager.Builder builder = ProxyManager.builder().classLoader(NullFrontend.loader()).socks5(0)
                .forwardAuth(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));

        assertThatThrownBy(builder::start).isInstanceOf(IllegalStateException.class)
                .hasMessage("forwardAuth: the proxy requires no login (expected: an auth backend, users, "
                        + "or requireAuthentication(true))");
    }

    @Test
    void forwardAuth_onATakenPort_failsToStart() throws Exception {
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            ProxyManager.Builder builder = ProxyManager.builder().classLoader(NullFrontend.loader()).socks5(0).auth(backend)
                    .forwardAuth(new InetSocketAddress(InetAddress.getLoopbackAddress(), taken.getLocalPort()));

            assertThatThrownBy(builder::start).isInstanceOf(IllegalStateException.class)
                    .hasMessageStartingWith("forwardAuth: cannot listen on 127.0.0.1:" + taken.getLocalPort());
        }
    }

    @Test
    void forwardAuth_rejectsBadArgumentsAtOnce() {
        assertThatThrownBy(() -> ProxyManager.builder().forwardAuth(null)).isInstanceOf(NullPointerException.class)
                .hasMessage("address");
        assertThatThrownBy(() -> ProxyManager.builder().forwardAuth(InetSocketAddress.createUnresolved("example", 1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("forwardAuth: example/<unresolved>:1 (expected: an IP address, not a name to look up)");
        assertThatThrownBy(() -> ProxyManager.builder().forwardAuth(new InetSocketAddress(0), "10.0.0.0/33"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("forwardAuth: '10.0.0.0/33' (expected: a prefix length 0-32)");
    }

    @Test
    void forwardAuth_onAFixedPort_isDeniedAsAProxyTarget() {
        InetSocketAddress fixed = new InetSocketAddress(InetAddress.getLoopbackAddress(), 9180);

        assertThat(ProxyManager.builder().forwardAuth(fixed).config().protectedAddresses).containsExactly(fixed);
        assertThat(ProxyManager.builder().forwardAuth(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
                .config().protectedAddresses).isEmpty();
    }

    @Test
    void forwardAuth_beyondLoopback_needsTrustedCallers() {
        assertThatThrownBy(() -> ProxyManager.builder().forwardAuth(new InetSocketAddress(0)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("forwardAuth: 0.0.0.0:0 is beyond loopback with no trusted callers (expected: the "
                        + "reverse proxies' CIDRs, which alone get answers, or a loopback address)");
    }

    @Test
    void hook_callerNeitherOnLoopbackNorTrusted_gets403_andNoLoginIsTried() throws Exception {
        start("10.0.0.0/8");
        ForwardAuth hook = ForwardAuth.of(proxy, "10.0.0.0/8");
        String good = GOOD.substring("Authorization: ".length());

        ForwardAuth.Reply stranger = hook.check(new ForwardAuth.Request(new InetSocketAddress(
                InetAddress.getByName("192.0.2.1"), 1), List.of(), List.of(good), List.of())).toCompletableFuture().get(5, TimeUnit.SECONDS);
        ForwardAuth.Reply trusted = hook.check(new ForwardAuth.Request(new InetSocketAddress(
                InetAddress.getByName("10.1.1.1"), 1), List.of(), List.of(good), List.of())).toCompletableFuture().get(5, TimeUnit.SECONDS);

        assertThat(stranger.status()).isEqualTo(403);
        assertThat(trusted.status()).isEqualTo(200);
        assertThat(backend.clients).containsExactly(InetAddress.getByName("10.1.1.1"));
        assertThat(outcomes.seen).containsExactly("forbidden", "allowed");
    }

    @Test
    void forwardAuthAddress_whenOff_saysHowToTurnItOn() {
        proxy = ProxyManager.builder().classLoader(NullFrontend.loader()).socks5(0).auth(backend).start();

        assertThatThrownBy(proxy::forwardAuthAddress).isInstanceOf(IllegalStateException.class)
                .hasMessage("forwardAuth: not configured (expected: builder().forwardAuth(address))");
    }

    @Test
    void hook_answersLikeTheListener_andSharesItsLockout() throws Exception {
        InetSocketAddress listener = start();
        ForwardAuth hook = ForwardAuth.of(proxy);
        InetSocketAddress peer = new InetSocketAddress(InetAddress.getLoopbackAddress(), 40000);
        String wrong = WRONG.substring("Authorization: ".length());

        assertThat(hook.check(new ForwardAuth.Request(peer, List.of(), List.of(wrong), List.of())).toCompletableFuture()
                .get(5, TimeUnit.SECONDS).status()).isEqualTo(401);
        assertThat(hook.check(new ForwardAuth.Request(peer, List.of(), List.of(wrong), List.of())).toCompletableFuture()
                .get(5, TimeUnit.SECONDS).status()).isEqualTo(401);

        try (RawHttp http = new RawHttp(listener)) {
            assertThat(http.exchange(RawHttp.get("/auth", GOOD)).status()).isEqualTo(429);
        }
        String good = GOOD.substring("Authorization: ".length());
        assertThat(hook.check(new ForwardAuth.Request(peer, List.of(good), List.of(), List.of())).toCompletableFuture()
                .get(5, TimeUnit.SECONDS).headers()).containsKey("Retry-After");
    }

    @Test
    void hook_afterClose_answers503() throws Exception {
        start();
        ForwardAuth hook = ForwardAuth.of(proxy);
        proxy.close();
        String good = GOOD.substring("Authorization: ".length());

        assertThat(hook.check(new ForwardAuth.Request(new InetSocketAddress(InetAddress.getLoopbackAddress(), 1),
                List.of(), List.of(good), List.of())).toCompletableFuture().get(5, TimeUnit.SECONDS).status()).isEqualTo(503);
    }

    @Test
    void hook_onAManagerWithoutLogins_isRefused() {
        proxy = ProxyManager.builder().classLoader(NullFrontend.loader()).socks5(0).start();

        assertThatThrownBy(() -> ForwardAuth.of(proxy)).isInstanceOf(IllegalStateException.class)
                .hasMessageStartingWith("forwardAuth: the proxy requires no login");
    }

    /** alice with password s3cret or token tok-alice; every client address asked about is recorded. */
    static final class Backend implements AuthBackend {
        final List<InetAddress> clients = new CopyOnWriteArrayList<>();
        final CompletableFuture<Void> asked = new CompletableFuture<>();
        volatile boolean down;
        /** When set, answers wait for it. */
        volatile CompletableFuture<Void> gate;

        @Override
        public CompletionStage<AuthResult> authenticate(Credentials credentials, AuthContext context) {
            clients.add(context.client().getAddress());
            asked.complete(null);
            CompletableFuture<Void> wait = gate;
            if (wait != null) {
                gate = null;
                return wait.thenCompose(ignored -> authenticate(credentials, context));
            }
            if (down) {
                return CompletableFuture.failedFuture(new IllegalStateException("database down"));
            }
            boolean good = credentials instanceof Credentials.UsernamePassword up
                    && up.username().equals("alice") && up.password().equals("s3cret")
                    || credentials instanceof Credentials.BearerToken token && token.token().equals("tok-alice");
            if (!good) {
                return CompletableFuture.completedFuture(AuthResult.failure("bad_password"));
            }
            return CompletableFuture.completedFuture(AuthResult.success(new Principal("alice", Limits.NONE, Map.of(
                    "team", "ops", "note", "a\r\nX-Evil: 1 100% \u00e9", "bad key!", "x",
                    Principal.CREDENTIAL_VERSION, "3"))));
        }
    }

    /** The forward-auth outcomes the sink heard, in order. */
    static final class Outcomes implements MetricsSink {
        final List<String> seen = new CopyOnWriteArrayList<>();

        @Override
        public void forwardAuth(String outcome) {
            seen.add(outcome);
        }
    }

}
