/*
 * Connect protocol oracle: encodes and decodes Kafka Connect's group protocol formats (member
 * metadata, assignments) with Kafka Connect's OWN classes, over the cases in
 * runtime/oracle/cases/connect_protocol.json, and writes the bytes and what they decode to into
 * runtime/tests/fixtures/connect_protocol.json, which Weir's Rust tests assert against.
 *
 * Run it through runtime/oracle/generate (which builds the classpath and compiles this file);
 * the encoding is described in runtime/oracle/README.md.
 *
 *   java -cp <classes>:<connect classpath> ConnectProtocolOracle CASES.json FIXTURE.json
 *
 * Plain Java 17; the only library used besides Kafka Connect is Jackson (which it ships).
 */

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.kafka.common.message.JoinGroupRequestData.JoinGroupRequestProtocol;
import org.apache.kafka.common.message.JoinGroupRequestData.JoinGroupRequestProtocolCollection;
import org.apache.kafka.connect.runtime.distributed.ConnectProtocol;
import org.apache.kafka.connect.runtime.distributed.ConnectProtocolCompatibility;
import org.apache.kafka.connect.runtime.distributed.ExtendedAssignment;
import org.apache.kafka.connect.runtime.distributed.ExtendedWorkerState;
import org.apache.kafka.connect.runtime.distributed.IncrementalCooperativeConnectProtocol;
import org.apache.kafka.connect.util.ConnectorTaskId;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

public final class ConnectProtocolOracle {

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final HexFormat HEX = HexFormat.of();
    /** Lines up to this width are written on one line by the pretty printer. */
    private static final int LINE_WIDTH = 100;

    /** A problem in the corpus (not in Kafka Connect): aborts the run. */
    static final class OracleError extends RuntimeException {
        private static final long serialVersionUID = 1L;

        OracleError(String message) {
            super(message);
        }
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 2) {
            System.err.println("usage: ConnectProtocolOracle CASES.json FIXTURE.json");
            System.exit(2);
        }
        JsonNode root = MAPPER.readTree(Path.of(args[0]).toFile());
        if (!root.path("cases").isArray()) {
            fail("expected an object with a \"cases\" array");
        }
        ObjectNode fixture = NODES.objectNode();
        fixture.set("description", root.path("description"));
        fixture.put("source", "runtime/oracle/cases/" + Path.of(args[0]).getFileName());
        ObjectNode versions = fixture.putObject("versions");
        versions.put("kafka", org.apache.kafka.common.utils.AppInfoParser.getVersion());
        versions.put("java", System.getProperty("java.specification.version"));
        ArrayNode out = fixture.putArray("cases");
        Set<String> names = new HashSet<>();
        for (JsonNode c : root.get("cases")) {
            String name = c.path("name").asText("");
            if (name.isEmpty() || !names.add(name)) {
                fail("a case without a name, or a duplicate name: " + c);
            }
            try {
                out.add(run((ObjectNode) c.deepCopy()));
            } catch (OracleError e) {
                fail("case " + name + ": " + e.getMessage());
            }
        }
        Files.writeString(Path.of(args[1]), pretty(fixture, 0) + "\n", StandardCharsets.UTF_8);
        System.err.printf("oracle: %s: %d cases%n", Path.of(args[1]).getFileName(), names.size());
    }

    private static void fail(String message) {
        throw new OracleError(message);
    }

    // ---------------------------------------------------------------------------------------
    // Cases
    // ---------------------------------------------------------------------------------------

    private static ObjectNode run(ObjectNode c) {
        switch (c.path("kind").asText()) {
            case "join" -> join(c);
            case "assignment" -> assignment(c);
            case "decodeMetadata" -> decode(c, false);
            case "decodeAssignment" -> decode(c, true);
            default -> fail("unknown kind " + c.path("kind"));
        }
        return c;
    }

    /** What WorkerCoordinator.metadata() offers in JoinGroup for a mode and a worker state. */
    private static void join(ObjectNode c) {
        ConnectProtocolCompatibility mode = ConnectProtocolCompatibility.compatibility(c.path("mode").asText());
        ExtendedAssignment held = c.path("assignment").isNull() ? null : assignmentFrom(c.get("assignment"));
        ExtendedWorkerState state = new ExtendedWorkerState(c.path("url").asText(), c.path("configOffset").asLong(), held);
        JoinGroupRequestProtocolCollection offered = switch (mode) {
            case EAGER -> ConnectProtocol.metadataRequest(state);
            case COMPATIBLE -> IncrementalCooperativeConnectProtocol.metadataRequest(state, false);
            case SESSIONED -> IncrementalCooperativeConnectProtocol.metadataRequest(state, true);
        };
        ArrayNode protocols = c.putArray("protocols");
        for (JoinGroupRequestProtocol p : offered) {
            ObjectNode protocol = protocols.addObject();
            protocol.put("name", p.name());
            protocol.put("metadata", HEX.formatHex(p.metadata()));
            protocol.set("decoded", metadataJson(
                    IncrementalCooperativeConnectProtocol.deserializeMetadata(ByteBuffer.wrap(p.metadata()))));
        }
    }

    /** What the leader sends: version 0 as ConnectProtocol writes it, later versions as IncrementalCooperativeConnectProtocol. */
    private static void assignment(ObjectNode c) {
        ExtendedAssignment a = assignmentFrom(c.get("assignment"));
        ByteBuffer bytes;
        if (a.version() == 0) {
            if (!a.revokedConnectors().isEmpty() || !a.revokedTasks().isEmpty() || a.delay() != 0) {
                fail("a version 0 assignment has no revocations nor delay");
            }
            bytes = ConnectProtocol.serializeAssignment(new ConnectProtocol.Assignment(
                    a.error(), a.leader(), a.leaderUrl(), a.offset(), a.connectors(), a.tasks()));
        } else if (a.version() == 1 || a.version() == 2) {
            bytes = IncrementalCooperativeConnectProtocol.serializeAssignment(a, a.version() == 2);
        } else {
            throw new OracleError("Kafka Connect writes versions 0 to 2, not " + a.version());
        }
        byte[] written = bytes(bytes);
        c.put("bytes", HEX.formatHex(written));
        c.set("decoded", assignmentJson(IncrementalCooperativeConnectProtocol.deserializeAssignment(ByteBuffer.wrap(written))));
    }

    /** Hand-made bytes through the decoder a member (assignment) or the incremental leader (metadata) uses. */
    private static void decode(ObjectNode c, boolean assignment) {
        byte[] input = HEX.parseHex(c.path("hex").asText().replaceAll("\\s", ""));
        c.put("bytes", HEX.formatHex(input));
        try {
            ByteBuffer buffer = ByteBuffer.wrap(input);
            c.set("decoded", assignment
                    ? assignmentJson(IncrementalCooperativeConnectProtocol.deserializeAssignment(buffer))
                    : metadataJson(IncrementalCooperativeConnectProtocol.deserializeMetadata(buffer)));
        } catch (RuntimeException e) {
            ObjectNode error = c.putObject("error");
            error.put("class", e.getClass().getSimpleName());
            error.put("message", e.getMessage());
        }
    }

    // ---------------------------------------------------------------------------------------
    // Values
    // ---------------------------------------------------------------------------------------

    private static ExtendedAssignment assignmentFrom(JsonNode a) {
        return new ExtendedAssignment(
                (short) a.path("version").asInt(),
                (short) a.path("error").asInt(),
                a.path("leader").asText(),
                a.path("leaderUrl").asText(),
                a.path("configOffset").asLong(),
                strings(a.path("connectors")),
                tasks(a.path("tasks")),
                strings(a.path("revokedConnectors")),
                tasks(a.path("revokedTasks")),
                a.path("delay").asInt());
    }

    private static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }

    private static List<ConnectorTaskId> tasks(JsonNode array) {
        List<ConnectorTaskId> out = new ArrayList<>();
        array.forEach(n -> out.add(new ConnectorTaskId(n.path("connector").asText(), n.path("task").asInt())));
        return out;
    }

    private static ObjectNode metadataJson(ExtendedWorkerState state) {
        ObjectNode o = NODES.objectNode();
        o.put("url", state.url());
        o.put("configOffset", state.offset());
        // ExtendedWorkerState stands a null assignment in with the EMPTY one.
        o.set("assignment", state.assignment() == ExtendedAssignment.empty()
                ? NODES.nullNode() : assignmentJson(state.assignment()));
        return o;
    }

    private static ObjectNode assignmentJson(ExtendedAssignment a) {
        ObjectNode o = NODES.objectNode();
        o.put("version", a.version());
        o.put("error", a.error());
        o.put("leader", a.leader());
        o.put("leaderUrl", a.leaderUrl());
        o.put("configOffset", a.offset());
        o.set("connectors", stringsJson(a.connectors()));
        o.set("tasks", tasksJson(a.tasks()));
        o.set("revokedConnectors", stringsJson(a.revokedConnectors()));
        o.set("revokedTasks", tasksJson(a.revokedTasks()));
        o.put("delay", a.delay());
        return o;
    }

    private static ArrayNode stringsJson(Collection<String> strings) {
        ArrayNode out = NODES.arrayNode();
        strings.forEach(out::add);
        return out;
    }

    private static ArrayNode tasksJson(Collection<ConnectorTaskId> tasks) {
        ArrayNode out = NODES.arrayNode();
        tasks.forEach(t -> out.addObject().put("connector", t.connector()).put("task", t.task()));
        return out;
    }

    private static byte[] bytes(ByteBuffer buffer) {
        byte[] out = new byte[buffer.remaining()];
        buffer.duplicate().get(out);
        return out;
    }

    // ---------------------------------------------------------------------------------------
    // Output: deterministic pretty printing (short nodes on one line, others one item a line),
    // as transforms/oracle/Oracle.java writes its fixtures
    // ---------------------------------------------------------------------------------------

    static String pretty(JsonNode n, int indent) {
        return pretty(n, indent, indent);
    }

    /** indent: of the line the node starts on; column: where the node itself starts. */
    static String pretty(JsonNode n, int indent, int column) {
        String flat = compact(n);
        if (column + flat.length() <= LINE_WIDTH || !n.isContainerNode() || n.isEmpty()) {
            return flat;
        }
        int inner = indent + 2;
        String pad = " ".repeat(inner);
        StringBuilder sb = new StringBuilder();
        if (n.isObject()) {
            sb.append("{\n");
            Iterator<Map.Entry<String, JsonNode>> it = n.properties().iterator();
            while (it.hasNext()) {
                Map.Entry<String, JsonNode> e = it.next();
                String k = quote(e.getKey()) + ": ";
                sb.append(pad).append(k).append(pretty(e.getValue(), inner, inner + k.length()));
                sb.append(it.hasNext() ? ",\n" : "\n");
            }
            sb.append(" ".repeat(indent)).append('}');
        } else {
            sb.append("[\n");
            Iterator<JsonNode> it = n.elements();
            while (it.hasNext()) {
                sb.append(pad).append(pretty(it.next(), inner, inner));
                sb.append(it.hasNext() ? ",\n" : "\n");
            }
            sb.append(" ".repeat(indent)).append(']');
        }
        return sb.toString();
    }

    static String compact(JsonNode n) {
        if (n.isContainerNode()) {
            boolean object = n.isObject();
            StringBuilder sb = new StringBuilder(object ? "{" : "[");
            Iterator<Map.Entry<String, JsonNode>> fields = n.properties().iterator();
            Iterator<JsonNode> elements = n.elements();
            boolean first = true;
            while (object ? fields.hasNext() : elements.hasNext()) {
                if (!first) {
                    sb.append(", ");
                }
                first = false;
                if (object) {
                    Map.Entry<String, JsonNode> e = fields.next();
                    sb.append(quote(e.getKey())).append(": ").append(compact(e.getValue()));
                } else {
                    sb.append(compact(elements.next()));
                }
            }
            return sb.append(object ? '}' : ']').toString();
        }
        return quote(n);
    }

    private static String quote(Object value) {
        try {
            return MAPPER.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new OracleError("cannot write " + value);
        }
    }
}
