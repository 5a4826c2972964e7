/*
 * Transform oracle: runs the REAL Kafka Connect / Debezium transforms, predicates and converters
 * over the cases in transforms/oracle/cases/*.json and writes what they produced to
 * transforms/tests/fixtures/*.json, which Weir's Rust tests assert against.
 *
 * Run it through transforms/oracle/generate (which builds the classpath and compiles this file);
 * the encoding is described in transforms/oracle/README.md.
 *
 *   java -cp <classes>:<connect + debezium classpath> Oracle CASES_DIR FIXTURES_DIR [NAME.json...]
 *
 * Plain Java 17; the only library used besides Kafka Connect and Debezium is Jackson (which
 * Kafka Connect ships).
 */

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.connect.connector.ConnectRecord;
import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaAndValue;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.header.ConnectHeaders;
import org.apache.kafka.connect.header.Header;
import org.apache.kafka.connect.sink.SinkRecord;
import org.apache.kafka.connect.source.SourceRecord;
import org.apache.kafka.connect.storage.Converter;
import org.apache.kafka.connect.storage.HeaderConverter;
import org.apache.kafka.connect.transforms.Transformation;
import org.apache.kafka.connect.transforms.predicates.Predicate;

import java.io.IOException;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

public final class Oracle {

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    /** Lines up to this width are written on one line by the pretty printer. */
    private static final int LINE_WIDTH = 100;

    /** A problem in the corpus or the harness (not in a transform): aborts the run. */
    static final class OracleError extends RuntimeException {
        private static final long serialVersionUID = 1L;

        OracleError(String message) {
            super(message);
        }
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 2) {
            System.err.println("usage: Oracle CASES_DIR FIXTURES_DIR [NAME.json...]");
            System.exit(2);
        }
        Path casesDir = Path.of(args[0]);
        Path outDir = Path.of(args[1]);
        List<Path> files = new ArrayList<>();
        if (args.length > 2) {
            for (int i = 2; i < args.length; i++) {
                files.add(casesDir.resolve(Path.of(args[i]).getFileName()));
            }
        } else {
            try (Stream<Path> s = Files.list(casesDir)) {
                files = s.filter(p -> p.getFileName().toString().endsWith(".json")).sorted().collect(Collectors.toList());
            }
        }
        Files.createDirectories(outDir);
        int total = 0;
        for (Path file : files) {
            int n;
            try {
                n = processFile(file, outDir.resolve(file.getFileName()));
            } catch (OracleError e) {
                System.err.println("oracle: " + file.getFileName() + ": " + e.getMessage());
                System.exit(1);
                return;
            }
            System.err.printf("oracle: %-45s %4d cases%n", file.getFileName(), n);
            total += n;
        }
        System.err.printf("oracle: %d cases in %d files%n", total, files.size());
    }

    // ---------------------------------------------------------------------------------------
    // Files
    // ---------------------------------------------------------------------------------------

    private static int processFile(Path file, Path out) throws IOException {
        JsonNode root = MAPPER.readTree(file.toFile());
        if (!root.isObject() || !root.path("cases").isArray()) {
            throw new OracleError("expected an object with a \"cases\" array");
        }
        Map<String, JsonNode> defs = new HashMap<>();
        root.path("definitions").properties().forEach(e -> defs.put(e.getKey(), e.getValue()));

        ObjectNode fixture = NODES.objectNode();
        if (root.has("description")) {
            fixture.set("description", root.get("description"));
        }
        fixture.put("source", "transforms/oracle/cases/" + file.getFileName());
        ObjectNode versions = fixture.putObject("versions");
        versions.put("kafka", org.apache.kafka.common.utils.AppInfoParser.getVersion());
        versions.put("debezium", debeziumVersion());
        ArrayNode outCases = fixture.putArray("cases");

        Set<String> names = new HashSet<>();
        for (JsonNode rawCase : root.get("cases")) {
            JsonNode c = expand(rawCase, defs, new ArrayList<>());
            String name = c.path("name").asText(null);
            if (name == null || name.isEmpty()) {
                throw new OracleError("a case has no name: " + shortText(c));
            }
            if (!names.add(name)) {
                throw new OracleError("duplicate case name: " + name);
            }
            try {
                outCases.add(runCase((ObjectNode) c));
            } catch (OracleError e) {
                throw new OracleError("case " + name + ": " + e.getMessage());
            } catch (RuntimeException e) {
                OracleError err = new OracleError("case " + name + ": harness failure: " + e);
                err.initCause(e);
                throw err;
            }
        }
        Files.writeString(out, pretty(fixture, 0) + "\n", StandardCharsets.UTF_8);
        return names.size();
    }

    private static String debeziumVersion() {
        try {
            Class<?> c = Class.forName("io.debezium.transforms.ExtractNewRecordState");
            Object t = c.getDeclaredConstructor().newInstance();
            return (String) c.getMethod("version").invoke(t);
        } catch (ReflectiveOperationException | LinkageError e) {
            return "unavailable";
        }
    }

    /**
     * Replaces every {"$def": "name"} with a copy of definitions[name] (itself expanded). In an
     * object with other keys too, "$def" splices the definition's (object) entries in its place,
     * less the keys the object sets itself: {"field": "before", "$def": "row_schema"}.
     */
    private static JsonNode expand(JsonNode node, Map<String, JsonNode> defs, List<String> stack) {
        if (node.isObject()) {
            if (node.size() == 1 && node.has("$def")) {
                return definition(node.get("$def").asText(), defs, stack);
            }
            ObjectNode copy = NODES.objectNode();
            node.properties().forEach(e -> {
                if (e.getKey().equals("$def")) {
                    JsonNode def = definition(e.getValue().asText(), defs, stack);
                    if (!def.isObject()) {
                        throw new OracleError("definition " + e.getValue().asText() + " is not an object and cannot be spliced");
                    }
                    def.properties().forEach(d -> {
                        if (!node.has(d.getKey())) {
                            copy.set(d.getKey(), d.getValue());
                        }
                    });
                } else {
                    copy.set(e.getKey(), expand(e.getValue(), defs, stack));
                }
            });
            return copy;
        }
        if (node.isArray()) {
            ArrayNode copy = NODES.arrayNode();
            node.forEach(n -> copy.add(expand(n, defs, stack)));
            return copy;
        }
        return node.deepCopy();
    }

    private static JsonNode definition(String name, Map<String, JsonNode> defs, List<String> stack) {
        JsonNode def = defs.get(name);
        if (def == null) {
            throw new OracleError("unknown definition: " + name);
        }
        if (stack.contains(name)) {
            throw new OracleError("recursive definition: " + name);
        }
        stack.add(name);
        JsonNode expanded = expand(def, defs, stack);
        stack.remove(stack.size() - 1);
        return expanded;
    }

    // ---------------------------------------------------------------------------------------
    // Cases
    // ---------------------------------------------------------------------------------------

    private static ObjectNode runCase(ObjectNode c) {
        if (c.has("transform")) {
            return runTransform(c);
        }
        if (c.has("predicate")) {
            return runPredicate(c);
        }
        if (c.has("converter")) {
            if (c.has("fromConnect") || c.has("toConnect")) {
                return runConverter(c);
            }
            if (c.has("fromConnectHeader") || c.has("toConnectHeader")) {
                return runHeaderConverter(c);
            }
        }
        throw new OracleError("unknown kind of case (needs transform, predicate or converter)");
    }

    private static Map<String, Object> config(JsonNode c) {
        Map<String, Object> config = new LinkedHashMap<>();
        JsonNode node = c.path("config");
        if (!node.isMissingNode() && !node.isObject()) {
            throw new OracleError("config must be an object of strings");
        }
        node.properties().forEach(e -> {
            JsonNode v = e.getValue();
            if (v.isNull()) {
                config.put(e.getKey(), null);
            } else if (v.isTextual()) {
                config.put(e.getKey(), v.asText());
            } else {
                throw new OracleError("config value of " + e.getKey() + " must be a string or null");
            }
        });
        return config;
    }

    /** The case's own fields (less those replaced), in their order, as the start of its fixture. */
    private static ObjectNode fixtureOf(ObjectNode c, String... replaced) {
        Set<String> skip = Set.of(replaced);
        ObjectNode out = NODES.objectNode();
        c.properties().forEach(e -> {
            if (!skip.contains(e.getKey())) {
                out.set(e.getKey(), e.getValue());
            }
        });
        return out;
    }

    /** Object identity hashes (Foo@1b2c3d4e) in a message would change from run to run. */
    private static final java.util.regex.Pattern IDENTITY_HASH =
            java.util.regex.Pattern.compile("([A-Za-z_$][A-Za-z0-9_$.]*)@[0-9a-f]{4,8}\\b");

    private static ObjectNode errorNode(Throwable t) {
        ObjectNode err = NODES.objectNode();
        err.put("class", t.getClass().getSimpleName());
        if (t.getMessage() == null) {
            err.putNull("message");
        } else {
            err.put("message", IDENTITY_HASH.matcher(t.getMessage()).replaceAll("$1@<hash>"));
        }
        return err;
    }

    private static ObjectNode wrapError(Throwable t) {
        ObjectNode o = NODES.objectNode();
        o.set("error", errorNode(t));
        return o;
    }

    private static Object instantiate(String className) {
        try {
            return Class.forName(className).getDeclaredConstructor().newInstance();
        } catch (ReflectiveOperationException e) {
            throw new OracleError("cannot instantiate " + className + ": " + e);
        }
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static ObjectNode runTransform(ObjectNode c) {
        String className = c.get("transform").asText();
        boolean sink = c.path("sink").asBoolean(false);
        boolean many = c.has("inputs");
        if (many == c.has("input")) {
            throw new OracleError("a transform case needs exactly one of input and inputs");
        }
        List<JsonNode> inputs = new ArrayList<>();
        if (many) {
            c.get("inputs").forEach(inputs::add);
        } else {
            inputs.add(c.get("input"));
        }
        // Build every input record first (and re-encode it, in its canonical form, before any
        // transform can touch it: some transforms add headers to their input record in place).
        List<ConnectRecord> records = new ArrayList<>();
        ArrayNode normalized = NODES.arrayNode();
        for (JsonNode in : inputs) {
            ConnectRecord r = decodeRecord(in, sink);
            records.add(r);
            normalized.add(encodeRecord(r));
        }
        ObjectNode out = fixtureOf(c, "input", "inputs");
        // keep "input"/"inputs" where the case had it
        ObjectNode ordered = NODES.objectNode();
        c.properties().forEach(e -> {
            switch (e.getKey()) {
                case "input" -> ordered.set("input", normalized.get(0));
                case "inputs" -> ordered.set("inputs", normalized);
                default -> ordered.set(e.getKey(), out.get(e.getKey()));
            }
        });

        Transformation t = (Transformation) instantiate(className);
        try {
            t.configure(config(c));
        } catch (Exception e) {
            ordered.set("configError", errorNode(e));
            return ordered;
        }
        ArrayNode outputs = NODES.arrayNode();
        try {
            for (ConnectRecord r : records) {
                JsonNode result;
                ConnectRecord produced;
                try {
                    produced = t.apply(r);
                } catch (Exception e) {
                    outputs.add(wrapError(e));
                    continue;
                }
                result = produced == null ? NullNode.getInstance() : encodeRecord(produced);
                outputs.add(result);
            }
        } finally {
            t.close();
        }
        if (many) {
            ordered.set("outputs", outputs);
        } else {
            ordered.set("output", outputs.get(0));
        }
        return ordered;
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static ObjectNode runPredicate(ObjectNode c) {
        String className = c.get("predicate").asText();
        boolean sink = c.path("sink").asBoolean(false);
        ConnectRecord r = decodeRecord(c.get("input"), sink);
        ObjectNode out = NODES.objectNode();
        c.properties().forEach(e -> out.set(e.getKey(), e.getKey().equals("input") ? encodeRecord(r) : e.getValue()));
        Predicate p = (Predicate) instantiate(className);
        try {
            p.configure(config(c));
        } catch (Exception e) {
            out.set("configError", errorNode(e));
            return out;
        }
        try {
            out.put("output", p.test(r));
        } catch (Exception e) {
            out.set("output", wrapError(e));
        } finally {
            p.close();
        }
        return out;
    }

    private static ObjectNode runConverter(ObjectNode c) {
        String className = c.get("converter").asText();
        boolean isKey = c.path("isKey").asBoolean(false);
        String topic = c.path("topic").asText("topic");
        ObjectNode out = NODES.objectNode();
        Object converterObj = instantiate(className);
        if (!(converterObj instanceof Converter converter)) {
            throw new OracleError(className + " is not a Converter");
        }
        // Decode the input first (corpus errors must not be reported as converter errors).
        Schema inSchema = null;
        Object inValue = null;
        byte[] inBytes = null;
        if (c.has("fromConnect")) {
            JsonNode fc = c.get("fromConnect");
            inSchema = decodeSchema(fc.get("schema"));
            inValue = decodeValue(fc.get("value"), inSchema, "fromConnect.value");
        } else {
            inBytes = decodeBytesInput(c.get("toConnect"));
        }
        final Schema schema = inSchema;
        final Object value = inValue;
        c.properties().forEach(e -> {
            switch (e.getKey()) {
                case "fromConnect" -> {
                    ObjectNode fc = NODES.objectNode();
                    fc.set("schema", encodeSchema(schema));
                    fc.set("value", encodeValue(value, schema, "fromConnect.value"));
                    out.set("fromConnect", fc);
                }
                case "toConnect" -> out.set("toConnect", bytesNode(decodeBytesInput(e.getValue())));
                default -> out.set(e.getKey(), e.getValue());
            }
        });
        try {
            converter.configure(config(c), isKey);
        } catch (Exception e) {
            out.set("configError", errorNode(e));
            return out;
        }
        try {
            if (c.has("fromConnect")) {
                byte[] bytes = converter.fromConnectData(topic, schema, value);
                out.set("output", bytesNode(bytes));
            } else {
                SchemaAndValue sv = converter.toConnectData(topic, inBytes);
                out.set("output", schemaAndValueNode(sv, "output"));
            }
        } catch (Exception e) {
            out.set("output", wrapError(e));
        }
        return out;
    }

    private static ObjectNode runHeaderConverter(ObjectNode c) {
        String className = c.get("converter").asText();
        String topic = c.path("topic").asText("topic");
        String headerKey = c.path("headerKey").asText("header");
        Object converterObj = instantiate(className);
        if (!(converterObj instanceof HeaderConverter converter)) {
            throw new OracleError(className + " is not a HeaderConverter");
        }
        Schema inSchema = null;
        Object inValue = null;
        byte[] inBytes = null;
        if (c.has("fromConnectHeader")) {
            JsonNode fc = c.get("fromConnectHeader");
            inSchema = decodeSchema(fc.get("schema"));
            inValue = decodeValue(fc.get("value"), inSchema, "fromConnectHeader.value");
        } else {
            inBytes = decodeBytesInput(c.get("toConnectHeader"));
        }
        final Schema schema = inSchema;
        final Object value = inValue;
        ObjectNode out = NODES.objectNode();
        c.properties().forEach(e -> {
            switch (e.getKey()) {
                case "fromConnectHeader" -> {
                    ObjectNode fc = NODES.objectNode();
                    fc.set("schema", encodeSchema(schema));
                    fc.set("value", encodeValue(value, schema, "fromConnectHeader.value"));
                    out.set("fromConnectHeader", fc);
                }
                case "toConnectHeader" -> out.set("toConnectHeader", bytesNode(decodeBytesInput(e.getValue())));
                default -> out.set(e.getKey(), e.getValue());
            }
        });
        try {
            converter.configure(config(c));
        } catch (Exception e) {
            out.set("configError", errorNode(e));
            return out;
        }
        try {
            if (c.has("fromConnectHeader")) {
                out.set("output", bytesNode(converter.fromConnectHeader(topic, headerKey, schema, value)));
            } else {
                out.set("output", schemaAndValueNode(converter.toConnectHeader(topic, headerKey, inBytes), "output"));
            }
        } catch (Exception e) {
            out.set("output", wrapError(e));
        }
        return out;
    }

    private static ObjectNode schemaAndValueNode(SchemaAndValue sv, String where) {
        ObjectNode o = NODES.objectNode();
        Schema s = sv == null ? null : sv.schema();
        Object v = sv == null ? null : sv.value();
        o.set("schema", encodeSchema(s));
        o.set("value", encodeValue(v, s, where));
        return o;
    }

    /** {"bytes": base64|null} or {"utf8": "text"} (the latter a convenience for writing cases). */
    private static byte[] decodeBytesInput(JsonNode n) {
        if (n == null || !n.isObject()) {
            throw new OracleError("expected {\"bytes\": base64|null} or {\"utf8\": text}");
        }
        if (n.has("bytes")) {
            JsonNode b = n.get("bytes");
            return b.isNull() ? null : Base64.getDecoder().decode(b.asText());
        }
        if (n.has("utf8")) {
            return n.get("utf8").asText().getBytes(StandardCharsets.UTF_8);
        }
        throw new OracleError("expected {\"bytes\": base64|null} or {\"utf8\": text}");
    }

    /** {"bytes": base64|null}, plus "utf8" (informational) when the bytes are valid UTF-8. */
    private static ObjectNode bytesNode(byte[] bytes) {
        ObjectNode o = NODES.objectNode();
        if (bytes == null) {
            o.putNull("bytes");
            return o;
        }
        o.put("bytes", Base64.getEncoder().encodeToString(bytes));
        try {
            String text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString();
            o.put("utf8", text);
        } catch (CharacterCodingException e) {
            // not text: bytes only
        }
        return o;
    }

    // ---------------------------------------------------------------------------------------
    // Records
    // ---------------------------------------------------------------------------------------

    private static final Set<String> RECORD_KEYS = Set.of(
            "topic", "partition", "keySchema", "key", "valueSchema", "value", "timestamp", "headers", "offset");

    @SuppressWarnings("rawtypes")
    private static ConnectRecord decodeRecord(JsonNode n, boolean sink) {
        if (n == null || !n.isObject()) {
            throw new OracleError("a record must be an object");
        }
        n.fieldNames().forEachRemaining(k -> {
            if (!RECORD_KEYS.contains(k)) {
                throw new OracleError("unknown record key: " + k);
            }
        });
        if (!n.path("topic").isTextual()) {
            throw new OracleError("a record needs a topic");
        }
        String topic = n.get("topic").asText();
        Integer partition = n.path("partition").isNumber() ? n.get("partition").intValue() : null;
        Schema keySchema = decodeSchema(n.get("keySchema"));
        Object key = decodeValue(n.get("key"), keySchema, "key");
        Schema valueSchema = decodeSchema(n.get("valueSchema"));
        Object value = decodeValue(n.get("value"), valueSchema, "value");
        Long timestamp = n.path("timestamp").isNumber() ? n.get("timestamp").longValue() : null;
        ConnectHeaders headers = new ConnectHeaders();
        for (JsonNode h : n.path("headers")) {
            Schema hs = decodeSchema(h.get("schema"));
            Object hv = decodeValue(h.get("value"), hs, "header " + h.path("key").asText());
            headers.add(h.get("key").asText(), new SchemaAndValue(hs, hv));
        }
        if (sink) {
            long offset = n.path("offset").asLong(0);
            return new SinkRecord(topic, partition == null ? 0 : partition, keySchema, key, valueSchema, value, offset,
                    timestamp, timestamp == null ? TimestampType.NO_TIMESTAMP_TYPE : TimestampType.CREATE_TIME, headers);
        }
        if (n.has("offset")) {
            throw new OracleError("offset is only for sink records (\"sink\": true)");
        }
        return new SourceRecord(new HashMap<>(), new HashMap<>(), topic, partition, keySchema, key, valueSchema, value,
                timestamp, headers);
    }

    @SuppressWarnings("rawtypes")
    private static ObjectNode encodeRecord(ConnectRecord r) {
        ObjectNode o = NODES.objectNode();
        o.put("topic", r.topic());
        if (r.kafkaPartition() == null) {
            o.putNull("partition");
        } else {
            o.put("partition", r.kafkaPartition());
        }
        o.set("keySchema", encodeSchema(r.keySchema()));
        o.set("key", encodeValue(r.key(), r.keySchema(), "key"));
        o.set("valueSchema", encodeSchema(r.valueSchema()));
        o.set("value", encodeValue(r.value(), r.valueSchema(), "value"));
        if (r.timestamp() == null) {
            o.putNull("timestamp");
        } else {
            o.put("timestamp", r.timestamp());
        }
        ArrayNode headers = o.putArray("headers");
        for (Header h : r.headers()) {
            ObjectNode hn = headers.addObject();
            hn.put("key", h.key());
            hn.set("schema", encodeSchema(h.schema()));
            hn.set("value", encodeValue(h.value(), h.schema(), "header " + h.key()));
        }
        if (r instanceof SinkRecord s) {
            o.put("offset", s.kafkaOffset());
        }
        return o;
    }

    // ---------------------------------------------------------------------------------------
    // Schemas
    // ---------------------------------------------------------------------------------------

    private static final Set<String> SCHEMA_KEYS = Set.of(
            "type", "optional", "name", "version", "doc", "parameters", "default", "fields", "field", "items", "keys", "values");

    static Schema decodeSchema(JsonNode n) {
        if (n == null || n.isNull()) {
            return null;
        }
        if (!n.isObject() || !n.path("type").isTextual()) {
            throw new OracleError("a schema must be an object with a type: " + shortText(n));
        }
        n.fieldNames().forEachRemaining(k -> {
            if (!SCHEMA_KEYS.contains(k)) {
                throw new OracleError("unknown schema key " + k + " in " + shortText(n));
            }
        });
        String type = n.get("type").asText();
        SchemaBuilder b = switch (type) {
            case "int8" -> SchemaBuilder.int8();
            case "int16" -> SchemaBuilder.int16();
            case "int32" -> SchemaBuilder.int32();
            case "int64" -> SchemaBuilder.int64();
            case "float" -> SchemaBuilder.float32();
            case "double" -> SchemaBuilder.float64();
            case "boolean" -> SchemaBuilder.bool();
            case "string" -> SchemaBuilder.string();
            case "bytes" -> SchemaBuilder.bytes();
            case "array" -> SchemaBuilder.array(requireSchema(n, "items"));
            case "map" -> SchemaBuilder.map(requireSchema(n, "keys"), requireSchema(n, "values"));
            case "struct" -> {
                SchemaBuilder sb = SchemaBuilder.struct();
                for (JsonNode f : n.path("fields")) {
                    if (!f.path("field").isTextual()) {
                        throw new OracleError("a struct field needs a \"field\" name: " + shortText(f));
                    }
                    ObjectNode fs = ((ObjectNode) f).deepCopy();
                    fs.remove("field");
                    sb.field(f.get("field").asText(), decodeSchema(fs));
                }
                yield sb;
            }
            default -> throw new OracleError("unknown schema type " + type);
        };
        if (n.path("optional").asBoolean(false)) {
            b.optional();
        }
        if (n.hasNonNull("name")) {
            b.name(n.get("name").asText());
        }
        if (n.hasNonNull("version")) {
            b.version(n.get("version").intValue());
        }
        if (n.hasNonNull("doc")) {
            b.doc(n.get("doc").asText());
        }
        if (n.has("parameters") && !n.get("parameters").isNull()) {
            Map<String, String> params = new LinkedHashMap<>();
            n.get("parameters").properties().forEach(e -> params.put(e.getKey(), e.getValue().asText()));
            b.parameters(params);
        }
        if (n.hasNonNull("default")) {
            // A struct default must be a Struct whose schema *is* the builder (Connect compares them).
            b.defaultValue(decodeValue(n.get("default"), b, "default"));
        }
        return b.build();
    }

    private static Schema requireSchema(JsonNode n, String key) {
        Schema s = decodeSchema(n.get(key));
        if (s == null) {
            throw new OracleError("schema of type " + n.get("type").asText() + " needs " + key);
        }
        return s;
    }

    static JsonNode encodeSchema(Schema s) {
        if (s == null) {
            return NullNode.getInstance();
        }
        ObjectNode o = NODES.objectNode();
        o.put("type", switch (s.type()) {
            case INT8 -> "int8";
            case INT16 -> "int16";
            case INT32 -> "int32";
            case INT64 -> "int64";
            case FLOAT32 -> "float";
            case FLOAT64 -> "double";
            case BOOLEAN -> "boolean";
            case STRING -> "string";
            case BYTES -> "bytes";
            case ARRAY -> "array";
            case MAP -> "map";
            case STRUCT -> "struct";
        });
        o.put("optional", s.isOptional());
        if (s.name() != null) {
            o.put("name", s.name());
        }
        if (s.version() != null) {
            o.put("version", s.version());
        }
        if (s.doc() != null) {
            o.put("doc", s.doc());
        }
        if (s.parameters() != null) {
            ObjectNode p = o.putObject("parameters");
            s.parameters().forEach(p::put);
        }
        if (s.defaultValue() != null) {
            o.set("default", encodeValue(s.defaultValue(), s, "default"));
        }
        switch (s.type()) {
            case STRUCT -> {
                ArrayNode fields = o.putArray("fields");
                for (Field f : s.fields()) {
                    ObjectNode fn = fields.addObject();
                    fn.put("field", f.name());
                    ((ObjectNode) encodeSchema(f.schema())).properties().forEach(e -> fn.set(e.getKey(), e.getValue()));
                }
            }
            case ARRAY -> o.set("items", encodeSchema(s.valueSchema()));
            case MAP -> {
                o.set("keys", encodeSchema(s.keySchema()));
                o.set("values", encodeSchema(s.valueSchema()));
            }
            default -> {
            }
        }
        return o;
    }

    // ---------------------------------------------------------------------------------------
    // Values
    // ---------------------------------------------------------------------------------------

    /** Decodes a typed value; schema (may be null) is only needed to build Structs. */
    static Object decodeValue(JsonNode n, Schema schema, String where) {
        if (n == null || n.isNull()) {
            return null;
        }
        if (!n.isObject() || n.size() != 1) {
            throw new OracleError(where + ": a typed value is null or a one-key object: " + shortText(n));
        }
        Map.Entry<String, JsonNode> e = n.properties().iterator().next();
        JsonNode v = e.getValue();
        switch (e.getKey()) {
            case "boolean":
                requireKind(v.isBoolean(), where, n);
                return v.booleanValue();
            case "int8":
                requireKind(v.canConvertToInt() && v.isIntegralNumber() && v.intValue() >= Byte.MIN_VALUE && v.intValue() <= Byte.MAX_VALUE, where, n);
                return (byte) v.intValue();
            case "int16":
                requireKind(v.canConvertToInt() && v.isIntegralNumber() && v.intValue() >= Short.MIN_VALUE && v.intValue() <= Short.MAX_VALUE, where, n);
                return (short) v.intValue();
            case "int32":
                requireKind(v.isIntegralNumber() && v.canConvertToInt(), where, n);
                return v.intValue();
            case "int64":
                requireKind(v.isIntegralNumber() && v.canConvertToLong(), where, n);
                return v.longValue();
            case "float32":
                if (v.isTextual()) {
                    return (float) specialDouble(v.asText(), where);
                }
                requireKind(v.isNumber(), where, n);
                return Float.parseFloat(v.asText());
            case "float64":
                if (v.isTextual()) {
                    return specialDouble(v.asText(), where);
                }
                requireKind(v.isNumber(), where, n);
                return Double.parseDouble(v.asText());
            case "string":
                requireKind(v.isTextual(), where, n);
                return v.asText();
            case "bytes":
                requireKind(v.isTextual(), where, n);
                return Base64.getDecoder().decode(v.asText());
            case "decimal":
                requireKind(v.isTextual(), where, n);
                return new BigDecimal(v.asText());
            case "date":
                requireKind(v.isIntegralNumber(), where, n);
                return new java.util.Date(v.longValue());
            case "array": {
                requireKind(v.isArray(), where, n);
                Schema items = schema == null ? null : schema.valueSchema();
                List<Object> list = new ArrayList<>();
                int i = 0;
                for (JsonNode item : v) {
                    list.add(decodeValue(item, items, where + "[" + i++ + "]"));
                }
                return list;
            }
            case "map": {
                requireKind(v.isArray(), where, n);
                Schema ks = schema == null ? null : schema.keySchema();
                Schema vs = schema == null ? null : schema.valueSchema();
                Map<Object, Object> map = new LinkedHashMap<>();
                for (JsonNode entry : v) {
                    if (!entry.isArray() || entry.size() != 2) {
                        throw new OracleError(where + ": a map entry is [key, value]: " + shortText(entry));
                    }
                    map.put(decodeValue(entry.get(0), ks, where + " key"), decodeValue(entry.get(1), vs, where + " value"));
                }
                return map;
            }
            case "struct": {
                requireKind(v.isArray(), where, n);
                if (schema == null || schema.type() != Schema.Type.STRUCT) {
                    throw new OracleError(where + ": a struct value needs an enclosing struct schema");
                }
                Struct struct = new Struct(schema);
                for (JsonNode entry : v) {
                    if (!entry.isArray() || entry.size() != 2 || !entry.get(0).isTextual()) {
                        throw new OracleError(where + ": a struct entry is [\"field\", value]: " + shortText(entry));
                    }
                    String fieldName = entry.get(0).asText();
                    Field f = schema.field(fieldName);
                    if (f == null) {
                        throw new OracleError(where + ": no field " + fieldName + " in the struct schema");
                    }
                    Object fieldValue = decodeValue(entry.get(1), f.schema(), where + "." + fieldName);
                    if (fieldValue != null) {
                        // (a field left unset is null; put() would refuse null for a required field)
                        struct.put(f, fieldValue);
                    }
                }
                return struct;
            }
            default:
                throw new OracleError(where + ": unknown value type " + e.getKey());
        }
    }

    private static void requireKind(boolean ok, String where, JsonNode n) {
        if (!ok) {
            throw new OracleError(where + ": malformed typed value " + shortText(n));
        }
    }

    private static double specialDouble(String s, String where) {
        return switch (s) {
            case "NaN" -> Double.NaN;
            case "Infinity" -> Double.POSITIVE_INFINITY;
            case "-Infinity" -> Double.NEGATIVE_INFINITY;
            default -> throw new OracleError(where + ": a float given as a string must be NaN, Infinity or -Infinity");
        };
    }

    /**
     * Encodes a Java/Connect value as a typed value. The schema (may be null) is the one that
     * encloses the value; a Struct is checked against it (its fields are written in the order of
     * its own schema, which must have the same field names).
     */
    static JsonNode encodeValue(Object value, Schema schema, String where) {
        if (value == null) {
            return NullNode.getInstance();
        }
        ObjectNode o = NODES.objectNode();
        if (value instanceof Boolean b) {
            o.put("boolean", b);
        } else if (value instanceof Byte b) {
            o.put("int8", b.intValue());
        } else if (value instanceof Short s) {
            o.put("int16", s.intValue());
        } else if (value instanceof Integer i) {
            o.put("int32", i);
        } else if (value instanceof Long l) {
            o.put("int64", l);
        } else if (value instanceof Float f) {
            if (f.isNaN() || f.isInfinite()) {
                o.put("float32", f.isNaN() ? "NaN" : f > 0 ? "Infinity" : "-Infinity");
            } else {
                o.put("float32", f);
            }
        } else if (value instanceof Double d) {
            if (d.isNaN() || d.isInfinite()) {
                o.put("float64", d.isNaN() ? "NaN" : d > 0 ? "Infinity" : "-Infinity");
            } else {
                o.put("float64", d);
            }
        } else if (value instanceof String s) {
            o.put("string", s);
        } else if (value instanceof byte[] bytes) {
            o.put("bytes", Base64.getEncoder().encodeToString(bytes));
        } else if (value instanceof ByteBuffer buf) {
            ByteBuffer dup = buf.duplicate();
            byte[] bytes = new byte[dup.remaining()];
            dup.get(bytes);
            o.put("bytes", Base64.getEncoder().encodeToString(bytes));
        } else if (value instanceof BigDecimal d) {
            o.put("decimal", d.toPlainString());
        } else if (value instanceof java.util.Date d) {
            o.put("date", d.getTime());
        } else if (value instanceof List<?> list) {
            ArrayNode a = o.putArray("array");
            Schema items = schema == null ? null : schema.valueSchema();
            int i = 0;
            for (Object item : list) {
                a.add(encodeValue(item, items, where + "[" + i++ + "]"));
            }
        } else if (value instanceof Map<?, ?> map) {
            ArrayNode a = o.putArray("map");
            Schema ks = schema == null || schema.type() != Schema.Type.MAP ? null : schema.keySchema();
            Schema vs = schema == null || schema.type() != Schema.Type.MAP ? null : schema.valueSchema();
            for (Map.Entry<?, ?> entry : map.entrySet()) {
                ArrayNode pair = a.addArray();
                pair.add(encodeValue(entry.getKey(), ks, where + " key"));
                pair.add(encodeValue(entry.getValue(), vs, where + " value"));
            }
        } else if (value instanceof Struct struct) {
            Schema own = struct.schema();
            if (schema != null) {
                List<String> ownNames = own.fields().stream().map(Field::name).collect(Collectors.toList());
                List<String> enclosing = schema.type() == Schema.Type.STRUCT
                        ? schema.fields().stream().map(Field::name).collect(Collectors.toList()) : null;
                if (!ownNames.equals(enclosing)) {
                    throw new OracleError(where + ": Struct with fields " + ownNames
                            + " under a schema with fields " + enclosing + " cannot be encoded losslessly");
                }
            }
            ArrayNode a = o.putArray("struct");
            for (Field f : own.fields()) {
                ArrayNode pair = a.addArray();
                pair.add(f.name());
                Schema fieldSchema = schema != null ? schema.field(f.name()).schema() : f.schema();
                pair.add(encodeValue(struct.getWithoutDefault(f.name()), fieldSchema, where + "." + f.name()));
            }
        } else {
            throw new OracleError(where + ": cannot encode a value of class " + value.getClass().getName()
                    + " (" + value + ")");
        }
        return o;
    }

    // ---------------------------------------------------------------------------------------
    // Output: deterministic pretty printing (short nodes on one line, others one item a line)
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
        if (n.isObject()) {
            StringBuilder sb = new StringBuilder("{");
            Iterator<Map.Entry<String, JsonNode>> it = n.properties().iterator();
            while (it.hasNext()) {
                Map.Entry<String, JsonNode> e = it.next();
                sb.append(quote(e.getKey())).append(": ").append(compact(e.getValue()));
                if (it.hasNext()) {
                    sb.append(", ");
                }
            }
            return sb.append('}').toString();
        }
        if (n.isArray()) {
            StringBuilder sb = new StringBuilder("[");
            Iterator<JsonNode> it = n.elements();
            while (it.hasNext()) {
                sb.append(compact(it.next()));
                if (it.hasNext()) {
                    sb.append(", ");
                }
            }
            return sb.append(']').toString();
        }
        try {
            return MAPPER.writeValueAsString(n);
        } catch (JsonProcessingException e) {
            throw new OracleError("cannot write " + n);
        }
    }

    private static String quote(String s) {
        try {
            return MAPPER.writeValueAsString(s);
        } catch (JsonProcessingException e) {
            throw new OracleError("cannot quote " + s);
        }
    }

    private static String shortText(JsonNode n) {
        String s = n == null ? "null" : n.toString();
        return s.length() > 200 ? s.substring(0, 200) + "..." : s;
    }
}
