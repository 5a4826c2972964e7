"""The settings every contender gets, in one place, so the comparison stays fair.

Each key below is spelt the same way by librdkafka (Weir, kcat) and by the Java client (Kafka
Connect) and means the same thing there, unless its entry says otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# The producer of a source task, and of the ceiling (kcat -P).
PRODUCER = {
    "acks": "all",
    "enable.idempotence": "true",  # Java's default; librdkafka's is false: set on both
    "max.in.flight.requests.per.connection": "5",  # Kafka Connect's own default would be 1
    "linger.ms": "5",
    "batch.size": "262144",  # bytes per partition batch, on both clients
    "compression.type": "none",
}

# The consumer of a sink task, and of the ceiling (kcat -C). These are both clients' defaults,
# written out so a change of default in either cannot skew the comparison unnoticed.
CONSUMER = {
    "fetch.min.bytes": "1",
    "fetch.max.bytes": "52428800",
    "max.partition.fetch.bytes": "1048576",
    "auto.offset.reset": "earliest",
}
# The longest a fetch waits on the broker: Java `fetch.max.wait.ms`, librdkafka
# `fetch.wait.max.ms` (500 ms on both).
FETCH_WAIT_MS = "500"

# The ceiling's consumer only: librdkafka stops fetching once its local queue holds
# `queued.min.messages` (100,000 by default) and looks again only after a backoff (1 s: with
# kcat's librdkafka 2.0.2 it cannot be changed; later versions call it fetch.queue.backoff.ms).
# A prefetch limit no fetch reaches lets kcat show what the broker can give.
CEILING_CONSUMER = {"queued.min.messages": "10000000"}

CONVERTER = "org.apache.kafka.connect.storage.StringConverter"

# Kafka Connect's JVM as its start scripts run it (connect-standalone.sh's heap and
# kafka-run-class.sh's KAFKA_JVM_PERFORMANCE_OPTS).
CONNECT_JVM_OPTS = [
    "-Xms256M", "-Xmx2G",
    "-server", "-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20", "-XX:InitiatingHeapOccupancyPercent=35",
    "-XX:+ExplicitGCInvokesConcurrent", "-XX:MaxInlineLevel=15", "-Djava.awt.headless=true",
]


@dataclass
class Settings:
    bootstrap: str
    lines: int = 2_000_000
    line_bytes: int = 100  # including the newline
    batch_size: int = 2000  # FileStreamSource `batch.size`: lines per poll
    flush_ms: int = 1000  # offset.flush.interval.ms on both workers
    poll_ms: int = 20  # how often the broker (or the sink's file) is sampled
    idle_window_s: float = 30.0
    idle_settle_s: float = 5.0
    idle_connectors: int = 50
    connect_jvm_opts: list = field(default_factory=lambda: list(CONNECT_JVM_OPTS))
    producer: dict = field(default_factory=lambda: dict(PRODUCER))
    consumer: dict = field(default_factory=lambda: dict(CONSUMER))
    # Extra connector settings for Weir only (--weir-override), to try a fix without a rebuild.
    weir_extra: dict = field(default_factory=dict)
    # s3-sink: N records of B bytes (the separator or newline included) in P partitions, into
    # objects of flush.size records (0: chosen near s3_object_bytes so that it divides N / P).
    s3_records: int = 960_000  # 12 objects of 80,000 records: 16 MB each, 192 MB in all
    s3_record_bytes: int = 200
    s3_partitions: int = 1
    s3_tasks: int = 1
    s3_object_bytes: int = 16_000_000
    s3_flush_size: int = 0
    s3_part_size: int = 26_214_400  # the connector's default (25 MiB): a 16 MB object is one PUT
    s3_format: str = "bytes"  # bytes (ByteArrayConverter) or json (JsonConverter, no schema)
    # cdc: a table of cdc_rows rows (the snapshot), then cdc_inserts rows inserted (the
    # streaming), cdc_insert_batch per transaction, at cdc_rate rows/s at most (0: no limit).
    cdc_rows: int = 1_000_000
    cdc_inserts: int = 200_000
    cdc_insert_batch: int = 100
    cdc_rate: float = 0.0
    cdc_payload_bytes: int = 100  # the `payload` column of each row

    def s3_object_size(self) -> int:
        """Bytes per object: flush.size records."""
        return self.s3_flush_size * self.s3_record_bytes

    def s3_objects(self) -> int:
        return self.s3_records // self.s3_flush_size

    def librdkafka_consumer(self) -> dict:
        return {**self.consumer, "fetch.wait.max.ms": FETCH_WAIT_MS}

    def java_consumer(self) -> dict:
        return {**self.consumer, "fetch.max.wait.ms": FETCH_WAIT_MS}


def s3_flush_size(records_per_partition: int, record_bytes: int, object_bytes: int) -> int:
    """The divisor of `records_per_partition` whose objects come nearest to `object_bytes`
    (by ratio). It must divide: the sink completes an object at flush.size records only, so a
    last, smaller object would never be written and its offsets never committed."""
    want = max(1.0, object_bytes / record_bytes)
    best, best_err = records_per_partition, float("inf")
    d = 1
    while d * d <= records_per_partition:
        if records_per_partition % d == 0:
            for c in (d, records_per_partition // d):
                err = max(c / want, want / c)
                if err < best_err or (err == best_err and c < best):
                    best, best_err = c, err
        d += 1
    return best
