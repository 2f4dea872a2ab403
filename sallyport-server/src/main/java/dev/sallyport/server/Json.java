package dev.sallyport.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The server's JSON output ({@code users list}, {@code stats}, {@code sessions}), written by
 * Jackson: one compact object and a newline. Trees rather than bound classes, so the field names
 * and their order are in the code that writes them, and no reflection runs at start.
 */
final class Json {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private Json() {
    }

    static ObjectNode object() {
        return MAPPER.createObjectNode();
    }

    /** A new array, put into {@code parent} under {@code name}. */
    static ArrayNode array(ObjectNode parent, String name) {
        return parent.putArray(name);
    }

    /** {@code node} as one line of JSON. */
    static String line(ObjectNode node) {
        try {
            return MAPPER.writeValueAsString(node) + "\n";
        } catch (JsonProcessingException e) {
            // A tree of strings and numbers always serializes.
            throw new IllegalStateException("JSON output failed", e);
        }
    }
}
