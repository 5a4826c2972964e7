"""`python-counter`: a source that counts, written in Python.

It emits `count` records `{"n": n, "text": "..."}` (schemaless JSON; the key is the text of
`n`) to `topic`, then nothing. The offset is the next `n`, so a restarted task continues
where the last committed record left off.

Built into a WebAssembly component of the `source` world of `weir:connector@0.1.0` by
componentize-py (`scripts/build-plugins python-counter`); it shows the interface is not tied to
Rust. The host instantiates the component once per task, so the task lives in this module's
globals.
"""

import json
from typing import List, Optional, Tuple

from componentize_py_types import Err
from wit_world import exports
from wit_world.imports import host, types

NAME = "python-counter"
VERSION = "0.1.0"

# The one source partition: the counter itself. The host compares partitions as JSON objects,
# so the spacing does not matter.
PARTITION = json.dumps({"generator": NAME})

Config = List[Tuple[str, str]]


class _Task:
    """What an open task knows."""

    def __init__(self, topic: str, count: int, next_n: int) -> None:
        self.topic = topic
        self.count = count
        # The `n` of the next record.
        self.next = next_n


_task: Optional[_Task] = None


def _get(config: Config, key: str) -> Optional[str]:
    for k, v in config:
        if k == key:
            return v
    return None


def _topic(config: Config) -> str:
    topic = (_get(config, "topic") or "").strip()
    if not topic:
        raise Err(types.Error_Config("topic is required"))
    return topic


def _count(config: Config) -> int:
    raw = _get(config, "count")
    if raw is None:
        return 1000
    try:
        count = int(raw.strip())
    except ValueError:
        raise Err(types.Error_Config(f"count: {raw!r} is not an integer"))
    if count < 0:
        raise Err(types.Error_Config(f"count: {count} is negative"))
    return count


def _resume() -> int:
    """The `n` to start at: the committed offset's `next`, or 0."""
    committed = host.committed_offset(PARTITION)
    if committed is None:
        return 0
    try:
        next_n = json.loads(committed)["next"]
    except (ValueError, TypeError, KeyError):
        next_n = None
    if not isinstance(next_n, int) or isinstance(next_n, bool) or next_n < 0:
        raise Err(types.Error_Fatal(f"the committed offset {committed} has no next record number"))
    return next_n


def _guard(call: str, f):
    """Runs `f`, turning an unexpected exception into a fatal error (an uncaught exception
    would trap the instance instead)."""
    try:
        return f()
    except Err:
        raise
    except Exception as e:  # noqa: BLE001 — everything else ends the task with its reason
        raise Err(types.Error_Fatal(f"{call}: {type(e).__name__}: {e}"))


def _record(topic: str, n: int) -> types.SourceRecord:
    value = {"n": n, "text": f"record {n} of {NAME}"}
    return types.SourceRecord(
        source_partition=PARTITION,
        source_offset=json.dumps({"next": n + 1}),
        topic=topic,
        partition=None,
        key=types.Payload(data=types.Data_Text(str(n)), schema=None),
        value=types.Payload(data=types.Data_Json(json.dumps(value)), schema=None),
        timestamp=None,
        headers=[],
    )


class SourceConnector(exports.SourceConnector):
    """The exported `source-connector` interface."""

    def describe(self) -> types.PluginInfo:
        def key(name, kind, default, importance, documentation, minimum=None):
            return types.ConfigKey(
                name=name,
                type=kind,
                default_value=default,
                importance=importance,
                documentation=documentation,
                group=None,
                allowed_values=[],
                min=minimum,
                max=None,
            )

        return types.PluginInfo(
            name=NAME,
            version=VERSION,
            config=[
                key("topic", types.ConfigType.STRING, None, types.Importance.HIGH, "The topic records go to."),
                key(
                    "count",
                    types.ConfigType.LONG,
                    "1000",
                    types.Importance.MEDIUM,
                    "Records to emit in all.",
                    minimum=0.0,
                ),
            ],
        )

    def validate(self, config: Config) -> List[types.ConfigError]:
        # The host checked the declared keys (types, bounds, required); what is left is a topic
        # of blanks.
        topic = _get(config, "topic")
        if topic is not None and not topic.strip():
            return [types.ConfigError(key="topic", message="the topic is blank")]
        return []

    def task_configs(self, config: Config, max_tasks: int) -> List[Config]:
        # One counter, one source partition: a single task, however many are allowed.
        return [list(config)] if max_tasks > 0 else []

    def open(self, config: Config) -> None:
        global _task

        def start() -> _Task:
            task = _Task(_topic(config), _count(config), _resume())
            host.log(host.Level.INFO, f"{NAME} starts at record {task.next} of {task.count}")
            return task

        _task = _guard("open", start)

    def poll(self, max: int) -> List[types.SourceRecord]:
        task = _task
        if task is None:
            raise Err(types.Error_Fatal("the task is not open"))

        # `max` is the WIT parameter's name (it shadows the builtin here).
        def batch() -> List[types.SourceRecord]:
            records = [_record(task.topic, n) for n in range(task.next, min(task.next + max, task.count))]
            task.next += len(records)
            return records

        return _guard("poll", batch)

    def commit(self, offsets: List[Tuple[str, str]]) -> None:
        # Nothing to do: the offsets live in Weir's offset store.
        for partition, offset in offsets:
            host.log(host.Level.DEBUG, f"committed {partition}: {offset}")

    def close(self) -> None:
        global _task
        if _task is not None:
            host.log(host.Level.INFO, f"{NAME} stops before record {_task.next}")
        _task = None
