package dev.sallyport.server;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sallyport.api.Limits;
import dev.sallyport.api.User;

import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/** What {@code users list} prints: a table aligned by display width, or one JSON object. */
final class UserList {

    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm'Z'").withZone(ZoneOffset.UTC);

    private UserList() {
    }

    /**
     * Columns NAME, STATE, MAX-SESS, SESS/S, BANDWIDTH, CREATED, ATTRIBUTES ({@code KEY=VALUE,...});
     * '-' for no limit and no attributes.
     */
    static String table(List<User> users, Map<String, Map<String, String>> attributes) {
        int width = Math.max(4, users.stream().mapToInt(u -> DisplayWidth.of(u.name())).max().orElse(4));
        String format = "%s  %-8s  %9s  %9s  %9s  %-17s  %s%n";
        StringBuilder text = new StringBuilder(String.format(format, DisplayWidth.padRight("NAME", width), "STATE",
                "MAX-SESS", "SESS/S", "BANDWIDTH", "CREATED", "ATTRIBUTES"));
        for (User user : users) {
            Limits l = user.limits();
            String bandwidth = l.uploadBytesPerSecond() == l.downloadBytesPerSecond()
                    ? UsersCommand.formatBandwidth(l.uploadBytesPerSecond())
                    : UsersCommand.formatBandwidth(l.uploadBytesPerSecond()) + ","
                            + UsersCommand.formatBandwidth(l.downloadBytesPerSecond());
            text.append(String.format(format, DisplayWidth.padRight(user.name(), width),
                    user.enabled() ? "enabled" : "disabled",
                    l.maxSessions() == 0 ? "-" : l.maxSessions(), l.sessionsPerSecond() == 0 ? "-" : l.sessionsPerSecond(),
                    bandwidth, TIME.format(user.created()), attributes(attributes.get(user.name()))));
        }
        return text.toString();
    }

    private static String attributes(Map<String, String> attributes) {
        if (attributes == null || attributes.isEmpty()) {
            return "-";
        }
        return attributes.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining(","));
    }

    /**
     * {@code {"users":[{"name":..,"enabled":..,"maxSessions":..,"sessionsPerSecond":..,
     * "uploadBytesPerSecond":..,"downloadBytesPerSecond":..,"created":..,"updated":..,
     * "attributes":{KEY:VALUE,..}}]}}: limits as numbers, 0 for none; times in ISO-8601 UTC.
     */
    static String json(List<User> users, Map<String, Map<String, String>> attributes) {
        ObjectNode root = Json.object();
        ArrayNode array = Json.array(root, "users");
        for (User user : users) {
            Limits l = user.limits();
            ObjectNode entry = array.addObject()
                    .put("name", user.name())
                    .put("enabled", user.enabled())
                    .put("maxSessions", l.maxSessions())
                    .put("sessionsPerSecond", l.sessionsPerSecond())
                    .put("uploadBytesPerSecond", l.uploadBytesPerSecond())
                    .put("downloadBytesPerSecond", l.downloadBytesPerSecond())
                    .put("created", user.created().toString())
                    .put("updated", user.updated() == null ? null : user.updated().toString());
            ObjectNode attributesNode = entry.putObject("attributes");
            attributes.getOrDefault(user.name(), Map.of()).forEach(attributesNode::put);
        }
        return Json.line(root);
    }
}
