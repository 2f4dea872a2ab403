package dev.sallyport.core.internal;

import dev.sallyport.api.AccessRequest;
import dev.sallyport.api.Principal;
import dev.sallyport.api.ProxyRequest;
import dev.sallyport.core.ProxyManager;
import dev.sallyport.core.Resolver;
import dev.sallyport.core.internal.net.Addresses;
import dev.sallyport.core.internal.policy.RuleChain;
import dev.sallyport.core.internal.route.RouteTable;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;

/** {@link ProxyManager#explain}: the rules' verdict on a request, resolved like a real one, without connecting. */
final class Explain {

    private Explain() {
    }

    static CompletableFuture<ProxyManager.Explanation> explain(RuleChain rules, Resolver resolver, ProxyRequest request,
                                                               Principal principal, RouteTable routes) {
        CompletableFuture<ProxyManager.Explanation> result = new CompletableFuture<>();
        InetAddress literal = Addresses.literal(request.targetHost());
        Consumer<List<InetAddress>> decide = addresses -> {
            RuleChain.Verdict verdict = rules.evaluateAll(request, principal, addresses);
            InetAddress about = addresses.get(0);
            if (!verdict.allowed()) {
                for (InetAddress address : addresses) {
                    if (!rules.evaluate(new AccessRequest(request, principal, address)).allowed()) {
                        about = address;
                        break;
                    }
                }
            }
            String route = verdict.allowed() ? routes.route(request.targetHost(), request.targetPort(), addresses.get(0),
                    principal, request.client().getAddress()).name() : null;
            result.complete(new ProxyManager.Explanation(verdict.decision().verdict(), verdict.rule(),
                    verdict.decision().reason(), about, route));
        };
        if (literal != null) {
            decide.accept(List.of(literal));
        } else {
            CompletionStage<List<InetAddress>> lookup;
            try {
                lookup = Objects.requireNonNull(resolver.resolve(request.targetHost()), "resolver returned null");
            } catch (RuntimeException e) {
                lookup = CompletableFuture.failedFuture(e);
            }
            lookup.whenComplete((addresses, error) -> {
                if (error == null && addresses != null && !addresses.isEmpty()) {
                    decide.accept(addresses);
                } else {
                    result.completeExceptionally(error instanceof CompletionException && error.getCause() != null
                            ? error.getCause() : error != null ? error : new UnknownHostException(request.targetHost()));
                }
            });
        }
        return result;
    }
}
