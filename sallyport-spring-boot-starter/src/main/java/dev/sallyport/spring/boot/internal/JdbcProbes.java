package dev.sallyport.spring.boot.internal;

import dev.sallyport.api.AuthBackend;
import dev.sallyport.auth.jdbc.JdbcStore;

import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;

/** The pings of the JDBC stores among the auth backends; loaded only when proxy-auth-jdbc is present. */
final class JdbcProbes {

    private JdbcProbes() {
    }

    static List<Supplier<CompletionStage<Boolean>>> of(List<AuthBackend> backends) {
        return backends.stream().filter(JdbcStore.class::isInstance).map(JdbcStore.class::cast)
                .<Supplier<CompletionStage<Boolean>>>map(store -> store::ping).toList();
    }
}
