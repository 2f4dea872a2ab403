package dev.sallyport.socks5;

import dev.sallyport.api.AuthResult;
import dev.sallyport.api.Principal;
import dev.sallyport.core.ProxyManager;
import dev.sallyport.testkit.Socks5Client;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/** The auth cache: hits skip the backend, refusals are remembered briefly, concurrent misses share one check. */
@Timeout(60)
class AuthCacheTest {

    private static int login(ProxyManager proxy, String user, String password) throws IOException {
        try (Socks5Client client = Socks5Client.open(proxy.address("socks5"))) {
            return client.login(user, password);
        }
    }

    @Test
    void hitsAndRefusalsAreCached_andExpireWithTheTicker() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        AtomicLong now = new AtomicLong();
        try (ProxyManager proxy = ProxyManager.builder().socks5(0).ticker(now::get).loginBackoff(Duration.ZERO)
                .authCacheTtl(Duration.ofMinutes(5)).authCacheNegativeTtl(Duration.ofSeconds(10))
                .auth((credentials, context) -> {
                    calls.incrementAndGet();
                    var up = (dev.sallyport.api.Credentials.UsernamePassword) credentials;
                    return CompletableFuture.completedFuture(up.password().equals("right")
                            ? AuthResult.success(Principal.of(up.username())) : AuthResult.failure("bad_password"));
                }).start()) {
            assertThat(login(proxy, "ann", "right")).isZero();
            assertThat(login(proxy, "ann", "right")).isZero();
            assertThat(calls).hasValue(1);
            assertThat(login(proxy, "ann", "wrong")).isEqualTo(1);
            assertThat(login(proxy, "ann", "wrong")).isEqualTo(1);
            assertThat(calls).hasValue(2);
            now.addAndGet(Duration.ofSeconds(11).toNanos());
            assertThat(login(proxy, "ann", "wrong")).isEqualTo(1);
            assertThat(calls).hasValue(3);
            now.addAndGet(Duration.ofMinutes(5).toNanos());
            assertThat(login(proxy, "ann", "right")).isZero();
            assertThat(calls).hasValue(4);
        }
    }

    @Test
    void concurrentFirstLogins_shareOneBackendCheck() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        CompletableFuture<AuthResult> gate = new CompletableFuture<>();
        ExecutorService clients = Executors.newFixedThreadPool(16);
        try (ProxyManager proxy = ProxyManager.builder().socks5(0).auth((credentials, context) -> {
                 calls.incrementAndGet();
                 return gate;
             }).start()) {
            List<Future<Integer>> logins = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                logins.add(clients.submit(() -> login(proxy, "zed", "pw")));
            }
            org.awaitility.Awaitility.await().until(() -> calls.get() >= 1);
            gate.complete(AuthResult.success(Principal.of("zed")));
            for (Future<Integer> login : logins) {
                assertThat(login.get(20, TimeUnit.SECONDS)).isZero();
            }
            assertThat(calls).hasValue(1);
        } finally {
            clients.shutdownNow();
        }
    }
}
