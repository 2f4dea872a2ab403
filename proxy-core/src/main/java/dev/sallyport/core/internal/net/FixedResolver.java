package dev.sallyport.core.internal.net;

import dev.sallyport.core.Resolver;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/** A resolver backed by a fixed table. */
public final class FixedResolver implements Resolver {

    private final Map<String, List<InetAddress>> hosts;

    public FixedResolver(Map<String, List<InetAddress>> hosts) {
        Objects.requireNonNull(hosts, "hosts");
        Map<String, List<InetAddress>> copy = new HashMap<>();
        hosts.forEach((name, addresses) -> {
            Objects.requireNonNull(name, "hosts: null name");
            if (addresses == null || addresses.isEmpty()) {
                throw new IllegalArgumentException("hosts: " + name + " (expected: at least one address)");
            }
            copy.put(name.toLowerCase(Locale.ROOT), List.copyOf(addresses));
        });
        this.hosts = Map.copyOf(copy);
    }

    @Override
    public CompletionStage<List<InetAddress>> resolve(String host) {
        List<InetAddress> addresses = hosts.get(host.toLowerCase(Locale.ROOT));
        if (addresses == null) {
            return CompletableFuture.failedFuture(new UnknownHostException(host));
        }
        return CompletableFuture.completedFuture(addresses);
    }

    @Override
    public String toString() {
        return "Resolver.fixed" + hosts.keySet();
    }
}
