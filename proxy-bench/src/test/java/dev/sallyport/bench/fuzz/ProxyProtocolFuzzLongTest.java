package dev.sallyport.bench.fuzz;

import net.jqwik.api.Tag;

/**
 * The long fuzz run of the PROXY protocol gate: the property of {@link ProxyProtocolProperties},
 * tagged {@code fuzz} so that the default build leaves it out, with as many tries as
 * {@code -Dfuzz.tries} says (default 1,000,000). See {@link DecoderFuzzTest} for the command.
 */
@Tag("fuzz")
class ProxyProtocolFuzzLongTest extends ProxyProtocolProperties {
}
