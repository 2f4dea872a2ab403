package dev.sallyport.core;

import dev.sallyport.api.AuthBackend;
import dev.sallyport.api.AuthContext;
import dev.sallyport.api.AuthResult;
import dev.sallyport.api.Credentials;
import dev.sallyport.api.Limits;
import dev.sallyport.api.UserStore;
import dev.sallyport.core.internal.policy.InMemoryUserStore;
import dev.sallyport.core.testing.NullFrontend;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link ProxyManager#users()} hands out the store logins are checked against, or fails saying why. */
@Timeout(30)
class UsersStoreTest {

    private final ClassLoader frontend = NullFrontend.loader();

    /** A host's backend that keeps its users elsewhere: not a {@link UserStore}. */
    private static final class TokenService implements AuthBackend {
        @Override
        public String name() {
            return "token-service";
        }

        @Override
        public CompletionStage<AuthResult> authenticate(Credentials credentials, AuthContext context) {
            return CompletableFuture.completedFuture(AuthResult.notMine());
        }
    }

    @Test
    void users_onAnOpenProxy_failsNamingWhatToConfigure() {
        try (ProxyManager proxy = ProxyManager.builder().classLoader(frontend).socks5(0).start()) {
            assertThatThrownBy(proxy::users)
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageStartingWith("users: authentication is off, so a user created here could never log in")
                    .hasMessageContaining("user(...)")
                    .hasMessageContaining("userStore(...)")
                    .hasMessageContaining("auth(...) with a backend that is a UserStore");
        }
    }

    @Test
    void users_withABackendThatIsNoUserStore_failsNamingTheBackend() {
        try (ProxyManager proxy = ProxyManager.builder().classLoader(frontend).socks5(0).auth(new TokenService()).start()) {
            assertThatThrownBy(proxy::users)
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageStartingWith("users: no auth backend is a UserStore (backends: [token-service])")
                    .hasMessageContaining("userStore(...)");
        }
    }

    @Test
    void users_withTheHostsStoreNextToItsBackend_isThatStore() {
        try (InMemoryUserStore store = new InMemoryUserStore();
             ProxyManager proxy = ProxyManager.builder().classLoader(frontend).socks5(0).auth(new TokenService())
                     .userStore(store).start()) {
            assertThat(proxy.users()).isSameAs(store);
        }
    }

    @Test
    void users_withInMemoryUsers_isTheStoreLoginsUse() throws Exception {
        try (ProxyManager proxy = ProxyManager.builder().classLoader(frontend).socks5(0).user("alice", "pw").start()) {
            proxy.users().create("bob", "bob-pw", Limits.NONE).toCompletableFuture().get();

            assertThat(proxy.users().list().toCompletableFuture().get()).extracting(u -> u.name())
                    .containsExactlyInAnyOrder("alice", "bob");
        }
    }

    @Test
    void users_withAuthenticationRequiredAndNoUsersYet_isTheInMemoryStore() throws Exception {
        try (ProxyManager proxy = ProxyManager.builder().classLoader(frontend).socks5(0).requireAuthentication(true)
                .start()) {
            proxy.users().create("carol", Limits.NONE).toCompletableFuture().get();

            assertThat(proxy.users().find("carol").toCompletableFuture().get()).isPresent();
        }
    }
}
