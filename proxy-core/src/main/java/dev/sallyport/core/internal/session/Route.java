package dev.sallyport.core.internal.session;

/**
 * How an admitted request reaches its target: chosen by the admission path's route step, after
 * rules and limits and before the dial. Today every request goes {@link #DIRECT}; upstream proxy
 * groups and chosen source addresses plug in here.
 *
 * @param name for logs and summaries
 */
record Route(String name) {

    /** Dial the target from this host, from the address the kernel picks. */
    static final Route DIRECT = new Route("direct");
}
