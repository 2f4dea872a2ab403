package dev.sallyport.core.internal;

import dev.sallyport.api.AccessRequest;
import dev.sallyport.api.Principal;
import dev.sallyport.api.ProxyRequest;
import dev.sallyport.core.ProxyManager;
import dev.sallyport.core.Resolver;
import dev.sallyport.core.internal.net.Addresses;
import dev.sallyport.core.internal.policy.RuleChain;
import io.netty.channel.EventLoop;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/** {@link ProxyManager#explain}: the rules' verdict on a request, resolved like a real one, without connecting. */
final class Explain {

    private Explain() {
    }

    static CompletableFuture<ProxyManager.Explanation> explain(RuleChain rules, Resolver resolver, EventLoop loop,
                                                               ProxyRequest request, Principal principal) {
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
            result.complete(new ProxyManager.Explanation(verdict.decision().verdict(), verdict.rule(),
                    verdict.decision().reason(), about));
        };
        if (literal != null) {
            decide.accept(List.of(literal));
        } else {
            resolver.resolve(request.targetHost(), loop).addListener(f -> {
                if (f.isSuccess() && f.getNow() instanceof List<?> list && !list.isEmpty()) {
                    @SuppressWarnings("unchecked")
                    List<InetAddress> addresses = (List<InetAddress>) list;
                    decide.accept(addresses);
                } else {
                    result.completeExceptionally(f.cause() != null ? f.cause()
                            : new UnknownHostException(request.targetHost()));
                }
            });
        }
        return result;
    }
}
