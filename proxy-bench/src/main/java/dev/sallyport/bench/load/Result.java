package dev.sallyport.bench.load;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * One measurement, printed as a single {@code RESULT key=value ...} line that compare.sh collects
 * and {@code dev.sallyport.bench.compare.CompareReport} aggregates.
 */
final class Result {

    private final Map<String, String> values = new LinkedHashMap<>();

    Result(String mode) {
        put("mode", mode);
    }

    Result put(String key, String value) {
        if (value.indexOf(' ') >= 0 || value.indexOf('=') >= 0) {
            throw new IllegalArgumentException(key + ": '" + value + "' (expected: no spaces or '=')");
        }
        values.put(key, value);
        return this;
    }

    Result put(String key, long value) {
        return put(key, Long.toString(value));
    }

    Result put(String key, double value) {
        return put(key, Double.isNaN(value) ? "nan" : String.format(Locale.ROOT, "%.3f", value));
    }

    String get(String key) {
        return values.get(key);
    }

    Map<String, String> values() {
        return values;
    }

    /** The line: {@code RESULT} then the given prefix fields, then this result's own. */
    String line(Map<String, String> prefix) {
        StringBuilder line = new StringBuilder("RESULT");
        prefix.forEach((k, v) -> line.append(' ').append(k).append('=').append(v));
        values.forEach((k, v) -> line.append(' ').append(k).append('=').append(v));
        return line.toString();
    }
}
