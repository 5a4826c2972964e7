/*
 * Assignor oracle: plays the scenarios of runtime/oracle/cases/assignor.json through Kafka
 * Connect's OWN IncrementalCooperativeAssignor, round by round, and writes what it assigned and
 * revoked into runtime/tests/fixtures/assignor.json, which Weir's Rust tests replay against
 * Weir's assignor.
 *
 * Run it through runtime/oracle/generate; the format is described in runtime/oracle/README.md.
 *
 *   java -cp <classes>:<connect classpath> \
 *       org.apache.kafka.connect.runtime.distributed.AssignorOracle CASES.json FIXTURE.json
 *
 * It sits in the assignor's package to reach performTaskAssignment(ClusterConfigState, ...), the
 * entry that Kafka Connect's own unit tests drive (the leader's path without a coordinator).
 */
package org.apache.kafka.connect.runtime.distributed;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.kafka.common.utils.LogContext;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.connect.runtime.TargetState;
import org.apache.kafka.connect.runtime.distributed.IncrementalCooperativeAssignor.ClusterAssignment;
import org.apache.kafka.connect.runtime.distributed.WorkerCoordinator.ConnectorsAndTasks;
import org.apache.kafka.connect.storage.ClusterConfigState;
import org.apache.kafka.connect.util.ConnectorTaskId;

import java.nio.file.Path;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Supplier;

public final class AssignorOracle {

    private static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final Comparator<ConnectorTaskId> TASK_ORDER =
        Comparator.comparing(ConnectorTaskId::connector).thenComparingInt(ConnectorTaskId::task);

    /** A clock the scenario sets: each round happens at its "at". */
    static final class ScenarioTime implements Time {
        long now;

        @Override
        public long milliseconds() {
            return now;
        }

        @Override
        public long nanoseconds() {
            return now * 1_000_000L;
        }

        @Override
        public void sleep(long ms) {
            now += ms;
        }

        @Override
        public void waitObject(Object obj, Supplier<Boolean> condition, long deadlineMs) {
            throw new UnsupportedOperationException("the assignor does not wait");
        }
    }

    /** What a member holds. */
    static final class Held {
        final Set<String> connectors = new TreeSet<>();
        final Set<ConnectorTaskId> tasks = new TreeSet<>(TASK_ORDER);

        ConnectorsAndTasks toConnect() {
            return new ConnectorsAndTasks.Builder().with(connectors, tasks).build();
        }
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 2) {
            System.err.println("usage: AssignorOracle CASES.json FIXTURE.json");
            System.exit(2);
        }
        JsonNode root = MAPPER.readTree(Path.of(args[0]).toFile());
        ObjectNode fixture = NODES.objectNode();
        fixture.set("description", root.path("description"));
        fixture.put("source", "runtime/oracle/cases/" + Path.of(args[0]).getFileName());
        ObjectNode versions = fixture.putObject("versions");
        versions.put("kafka", org.apache.kafka.common.utils.AppInfoParser.getVersion());
        versions.put("java", System.getProperty("java.specification.version"));
        ArrayNode out = fixture.putArray("cases");
        Set<String> names = new HashSet<>();
        for (JsonNode c : root.path("cases")) {
            String name = c.path("name").asText("");
            if (name.isEmpty() || !names.add(name)) {
                throw new IllegalArgumentException("a case without a name, or a duplicate name: " + c);
            }
            out.add(play(c));
        }
        MAPPER.writeValue(Path.of(args[1]).toFile(), fixture);
    }

    /** The case with each step's outcome added as "expected". */
    static ObjectNode play(JsonNode scenario) {
        ScenarioTime time = new ScenarioTime();
        IncrementalCooperativeAssignor assignor =
            new IncrementalCooperativeAssignor(new LogContext(), time, scenario.path("maxDelayMs").asInt());
        Map<String, Held> members = new TreeMap<>();
        Map<String, Integer> taskCounts = new TreeMap<>();
        int generation = 0;
        int lastCompleted = -1;
        ObjectNode played = scenario.deepCopy();
        for (JsonNode step : played.withArray("steps")) {
            time.now = step.path("at").asLong();
            if (step.has("connectors")) {
                taskCounts.clear();
                step.get("connectors").properties().forEach(e -> taskCounts.put(e.getKey(), e.getValue().asInt()));
            }
            Set<String> present = new TreeSet<>();
            step.path("members").forEach(m -> present.add(m.asText()));
            members.keySet().retainAll(present);
            present.forEach(m -> members.computeIfAbsent(m, k -> new Held()));
            step.path("holds").properties().forEach(e -> members.put(e.getKey(), held(e.getValue())));

            generation++;
            Map<String, ConnectorsAndTasks> memberAssignments = new HashMap<>();
            members.forEach((m, h) -> memberAssignments.put(m, h.toConnect()));
            ClusterAssignment assignment =
                assignor.performTaskAssignment(snapshot(generation, taskCounts), lastCompleted, generation, memberAssignments);

            ObjectNode expected = ((ObjectNode) step).putObject("expected");
            expected.put("delay", assignor.delay);
            ObjectNode outcome = expected.putObject("members");
            for (Map.Entry<String, Held> e : members.entrySet()) {
                String m = e.getKey();
                Held h = e.getValue();
                ObjectNode o = outcome.putObject(m);
                o.set("assignedConnectors", connectors(assignment.newlyAssignedConnectors(m)));
                o.set("assignedTasks", tasks(assignment.newlyAssignedTasks(m)));
                o.set("revokedConnectors", connectors(assignment.newlyRevokedConnectors(m)));
                o.set("revokedTasks", tasks(assignment.newlyRevokedTasks(m)));
                if (step.path("synced").asBoolean(true)) {
                    h.connectors.removeAll(assignment.newlyRevokedConnectors(m));
                    h.tasks.removeAll(assignment.newlyRevokedTasks(m));
                    h.connectors.addAll(assignment.newlyAssignedConnectors(m));
                    h.tasks.addAll(assignment.newlyAssignedTasks(m));
                }
                o.set("holds", held(h));
            }
            if (step.path("synced").asBoolean(true)) {
                lastCompleted = generation;
            }
        }
        return played;
    }

    /** A config topic snapshot with these connectors, all started, each with its task count. */
    static ClusterConfigState snapshot(long offset, Map<String, Integer> taskCounts) {
        Map<String, Map<String, String>> connectorConfigs = new HashMap<>();
        Map<String, TargetState> targetStates = new HashMap<>();
        Map<ConnectorTaskId, Map<String, String>> taskConfigs = new HashMap<>();
        taskCounts.forEach((c, n) -> {
            connectorConfigs.put(c, Map.of());
            targetStates.put(c, TargetState.STARTED);
            for (int t = 0; t < n; t++) {
                taskConfigs.put(new ConnectorTaskId(c, t), Map.of());
            }
        });
        return new ClusterConfigState(offset, null, new HashMap<>(taskCounts), connectorConfigs, targetStates,
            taskConfigs, Map.of(), Map.of(), Map.of(), Set.of(), Set.of());
    }

    static Held held(JsonNode node) {
        Held h = new Held();
        node.path("connectors").forEach(c -> h.connectors.add(c.asText()));
        node.path("tasks").forEach(t -> h.tasks.add(new ConnectorTaskId(t.path("connector").asText(), t.path("task").asInt())));
        return h;
    }

    static ObjectNode held(Held h) {
        ObjectNode o = NODES.objectNode();
        o.set("connectors", connectors(h.connectors));
        o.set("tasks", tasks(h.tasks));
        return o;
    }

    static ArrayNode connectors(Collection<String> connectors) {
        ArrayNode a = NODES.arrayNode();
        new TreeSet<>(connectors).forEach(a::add);
        return a;
    }

    static ArrayNode tasks(Collection<ConnectorTaskId> tasks) {
        ArrayNode a = NODES.arrayNode();
        TreeSet<ConnectorTaskId> sorted = new TreeSet<>(TASK_ORDER);
        sorted.addAll(tasks);
        for (Iterator<ConnectorTaskId> i = sorted.iterator(); i.hasNext(); ) {
            ConnectorTaskId t = i.next();
            a.addObject().put("connector", t.connector()).put("task", t.task());
        }
        return a;
    }
}
