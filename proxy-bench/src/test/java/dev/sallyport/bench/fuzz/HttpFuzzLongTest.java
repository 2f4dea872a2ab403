package dev.sallyport.bench.fuzz;

import net.jqwik.api.Tag;

/**
 * The long fuzz run of the HTTP request head: the properties of {@link HttpProperties}, tagged
 * {@code fuzz} so that the default build leaves them out, with as many tries each as
 * {@code -Dfuzz.tries} says (default 1,000,000). See {@link DecoderFuzzTest} for the command.
 */
@Tag("fuzz")
class HttpFuzzLongTest extends HttpProperties {
}
