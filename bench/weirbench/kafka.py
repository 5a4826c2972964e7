"""The broker side: topics, end offsets and committed offsets, read with confluent-kafka."""

from __future__ import annotations

import time

from confluent_kafka import Consumer, KafkaException, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic


class Broker:
    def __init__(self, bootstrap: str):
        self.bootstrap = bootstrap
        # log_level 4: warnings and worse (not the notices about topics the harness deleted).
        # Never let a metadata refresh of this client re-create a topic the harness deleted
        # (librdkafka's producer-type handles ask the broker to auto-create by default).
        self.admin = AdminClient({"bootstrap.servers": bootstrap, "log_level": 4,
                                  "allow.auto.create.topics": False})
        # Only for metadata and offset requests: it never subscribes or commits.
        self._watcher = Consumer({"bootstrap.servers": bootstrap, "group.id": "weir-bench-watcher",
                                  "enable.auto.commit": False, "log_level": 4})
        self._group_consumers: dict[str, Consumer] = {}

    def close(self):
        self._watcher.close()
        for c in self._group_consumers.values():
            c.close()
        self._group_consumers.clear()

    def create_topic(self, topic: str, partitions: int = 1, config: dict | None = None):
        fs = self.admin.create_topics([NewTopic(topic, num_partitions=partitions, replication_factor=1,
                                                config=config or {})], operation_timeout=30)
        fs[topic].result(timeout=60)
        # Wait until the topic's leader is known, so no client sees it missing.
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            md = self.admin.list_topics(topic=topic, timeout=10)
            t = md.topics.get(topic)
            if t is not None and t.error is None and len(t.partitions) == partitions and all(
                    p.leader >= 0 for p in t.partitions.values()):
                return
            time.sleep(0.1)
        raise RuntimeError(f"topic {topic} did not get leaders in time")

    def delete_topics(self, topics: list[str]):
        topics = [t for t in topics if t]
        if not topics:
            return
        fs = self.admin.delete_topics(topics, operation_timeout=30)
        for t, f in fs.items():
            try:
                f.result(timeout=60)
            except KafkaException:
                pass  # already gone, or never created

    def list_topics(self, prefix: str = "") -> list[str]:
        return [t for t in self.admin.list_topics(timeout=10).topics if t.startswith(prefix)]

    def end_offset(self, topic: str, partitions: int = 1) -> int:
        """Sum of the high watermarks of the topic's partitions (0 if it does not exist yet)."""
        total = 0
        for p in range(partitions):
            try:
                _, high = self._watcher.get_watermark_offsets(TopicPartition(topic, p), timeout=5,
                                                              cached=False)
            except KafkaException:
                return 0
            total += max(high, 0)
        return total

    def committed(self, group: str, topic: str, partitions: int = 1) -> int:
        """Sum of the group's committed offsets on the topic (0 where none)."""
        c = self._group_consumers.get(group)
        if c is None:
            c = Consumer({"bootstrap.servers": self.bootstrap, "group.id": group,
                          "enable.auto.commit": False, "log_level": 4})
            self._group_consumers[group] = c
        try:
            tps = c.committed([TopicPartition(topic, p) for p in range(partitions)], timeout=5)
        except KafkaException:
            return 0
        return sum(max(tp.offset, 0) for tp in tps)

    def read(self, topic: str, start: int, count: int, timeout: float = 300.0):
        """Yields the `count` records of the topic's partition 0 from offset `start` on, as
        confluent-kafka Messages. A consumer of its own, assigned (no group is joined, nothing
        is committed); an error if they are not all there within `timeout` seconds."""
        c = Consumer({"bootstrap.servers": self.bootstrap, "group.id": "weir-bench-reader",
                      "enable.auto.commit": False, "log_level": 4})
        try:
            c.assign([TopicPartition(topic, 0, start)])
            deadline = time.monotonic() + timeout
            left = count
            while left > 0:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"read {count - left:,} of {count:,} records of {topic} "
                                       f"in {timeout:.0f} s")
                for m in c.consume(min(left, 10000), timeout=1.0):
                    if m.error():
                        raise RuntimeError(f"reading {topic}: {m.error()}")
                    left -= 1
                    yield m
                    if left == 0:
                        break
        finally:
            c.close()

    def read_available(self, topic: str, start: int, quiet: float = 2.0):
        """Yields the records of the topic's partition 0 from offset `start` on, until none
        comes for `quiet` seconds (read_committed, librdkafka's default isolation level)."""
        c = Consumer({"bootstrap.servers": self.bootstrap, "group.id": "weir-bench-reader",
                      "enable.auto.commit": False, "log_level": 4})
        try:
            c.assign([TopicPartition(topic, 0, start)])
            while True:
                batch = c.consume(10000, timeout=quiet)
                if not batch:
                    return
                for m in batch:
                    if m.error():
                        raise RuntimeError(f"reading {topic}: {m.error()}")
                    yield m
        finally:
            c.close()

    def forget_group(self, group: str):
        c = self._group_consumers.pop(group, None)
        if c is not None:
            c.close()
        try:
            for f in self.admin.delete_consumer_groups([group], request_timeout=10).values():
                f.result(timeout=15)
        except Exception:  # noqa: BLE001 - cleanup only
            pass
