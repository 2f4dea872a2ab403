package dev.sallyport.bench.fuzz;

import net.jqwik.api.Tag;

/**
 * The long fuzz run of the SOCKS5 request: the property of {@link SocksProperties.Request}, tagged
 * {@code fuzz} so that the default build leaves it out, with as many tries as {@code -Dfuzz.tries}
 * says (default 1,000,000). See {@link DecoderFuzzTest} for the command.
 */
@Tag("fuzz")
class Socks5RequestFuzzLongTest extends SocksProperties.Request {
}
