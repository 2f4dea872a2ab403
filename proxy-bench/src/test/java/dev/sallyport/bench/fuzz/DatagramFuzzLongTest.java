package dev.sallyport.bench.fuzz;

import net.jqwik.api.Tag;

/**
 * The long fuzz run of the SOCKS5 UDP request header: the properties of {@link DatagramProperties}, tagged
 * {@code fuzz} so that the default build leaves them out, with as many tries each as
 * {@code -Dfuzz.tries} says (default 1,000,000). See {@link DecoderFuzzTest} for the command.
 */
@Tag("fuzz")
class DatagramFuzzLongTest extends DatagramProperties {
}
