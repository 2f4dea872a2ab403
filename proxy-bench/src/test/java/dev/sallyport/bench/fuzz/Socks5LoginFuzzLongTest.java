package dev.sallyport.bench.fuzz;

import net.jqwik.api.Tag;

/**
 * The long fuzz run of the RFC 1929 login: the property of {@link SocksProperties.Login}, tagged
 * {@code fuzz} so that the default build leaves it out, with as many tries as {@code -Dfuzz.tries}
 * says (default 1,000,000). See {@link DecoderFuzzTest} for the command.
 */
@Tag("fuzz")
class Socks5LoginFuzzLongTest extends SocksProperties.Login {
}
