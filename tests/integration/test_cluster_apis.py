"""APIs beyond produce and fetch, checked on the wire and with real clients:
OffsetForLeaderEpoch across a leader change (KIP-320's truncation check),
DescribeCluster, DeleteRecords on every replica across a failover,
IncrementalAlterConfigs next to AlterConfigs' replacing, DescribeLogDirs,
DescribeProducers,
ListOffsets by time inside a batch and MAX_TIMESTAMP, the
broker's own defaults for auto-created topics, and transactions refused at
once."""
import json
import os
import struct
import subprocess
import sys
import time
import unittest
import uuid

from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, ConfigResource, NewPartitions, NewTopic

sys.path.insert(0, os.path.dirname(__file__))
from kafka_wire_groups import GroupClient, Writer  # noqa: E402
from rill_cluster import RILL, Broker, Cluster  # noqa: E402
from test_consumer_groups import broker_count, partition_state, wait_until  # noqa: E402
from test_kafka_clients import consume_all  # noqa: E402

OFFSET_FOR_LEADER_EPOCH, DESCRIBE_CLUSTER = 23, 60
NONE, NOT_LEADER, FENCED_LEADER_EPOCH = 0, 6, 74


def end_of_epoch(client, topic, partition, epoch, current_epoch=-1):
    """OffsetForLeaderEpoch v4: (error, leader_epoch, end_offset)."""
    w = (Writer().i32(-1)
         .carray([topic], lambda w, t: w.cstr(t).carray(
             [partition], lambda w, p: w.i32(p).i32(current_epoch).i32(epoch).tags()).tags())
         .tags())
    r = client.call(OFFSET_FOR_LEADER_EPOCH, 4, w)
    r.i32()
    out = []

    def read_topic(r):
        r.cstr()

        def read_partition(r):
            error = r.i16()
            r.i32()
            out.append((error, r.i32(), r.i64()))
            r.tags()
        r.carray(read_partition)
        r.tags()
    r.carray(read_topic)
    return out[0]


def describe_cluster(client):
    r = client.call(DESCRIBE_CLUSTER, 1, Writer().i8(0).i8(1).tags())
    r.i32()
    error = r.i16()
    r.cstr()  # error message
    r.i8()  # endpoint type
    cluster_id, controller = r.cstr(), r.i32()

    def broker(r):
        b = (r.i32(), r.cstr(), r.i32(), r.cstr())
        r.tags()
        return b
    brokers = r.carray(broker)
    return error, cluster_id, controller, brokers


class LeaderEpochTest(unittest.TestCase):
    def test_offset_for_leader_epoch_and_describe_cluster_across_a_leader_change(self):
        cluster = Cluster(controller_extra=["--session.timeout.ms=3000"],
                          broker_extra=["--heartbeat.interval.ms=100"]).start()
        try:
            admin = AdminClient({"bootstrap.servers": cluster.bootstrap})
            wait_until(lambda: broker_count(admin) == 3, what="3 brokers")
            topic = f"epochs-{uuid.uuid4().hex[:6]}"
            admin.create_topics([NewTopic(topic, 1, 3)])[topic].result(30)
            wait_until(lambda: len(partition_state(admin, topic)[1]) == 3,
                       what="full ISR")
            p = Producer({"bootstrap.servers": cluster.bootstrap, "acks": "all"})
            for i in range(10):
                p.produce(topic, value=b"first", partition=0)
            self.assertEqual(p.flush(30), 0)
            first_leader = partition_state(admin, topic)[0]
            cluster.brokers[first_leader - 1].kill9()
            wait_until(lambda: partition_state(admin, topic)[0]
                       not in (-1, first_leader), timeout_s=30, what="a new leader")
            for i in range(5):
                p.produce(topic, value=b"second", partition=0)
            self.assertEqual(p.flush(30), 0)
            leader = partition_state(admin, topic)[0]
            c = GroupClient("127.0.0.1", cluster.brokers[leader - 1].port)
            self.assertEqual(end_of_epoch(c, topic, 0, 0), (NONE, 0, 10), "epoch 0 ends where epoch 1 began")
            error, epoch, end = end_of_epoch(c, topic, 0, 99)
            self.assertEqual((error, end), (NONE, 15), "a later epoch: the newest known, to the log end")
            self.assertGreaterEqual(epoch, 1)
            self.assertEqual(end_of_epoch(c, topic, 0, 0, current_epoch=0)[0], FENCED_LEADER_EPOCH)
            other = next(b for b in cluster.brokers if b.broker_id not in (leader, first_leader))
            o = GroupClient("127.0.0.1", other.port)
            self.assertEqual(end_of_epoch(o, topic, 0, 0)[0], NOT_LEADER)
            error, cluster_id, controller, brokers = describe_cluster(c)
            self.assertEqual((error, cluster_id), (NONE, "rill-cluster"))
            alive = sorted(b.broker_id for b in cluster.brokers if b.broker_id != first_leader)
            self.assertEqual(sorted(b[0] for b in brokers), alive, "a fenced broker is not listed")
            self.assertEqual(controller, alive[0])
            self.assertEqual(describe_cluster(o)[2], controller, "every broker names the same controller")
            c.close()
            o.close()
        finally:
            cluster.stop()
            cluster.cleanup()


def watermarks(consumer, topic, partition=0):
    """(low, high) of a partition, or None while no leader answers."""
    try:
        return consumer.get_watermark_offsets(TopicPartition(topic, partition), timeout=5)
    except KafkaException:
        return None


class DeleteRecordsTest(unittest.TestCase):
    def delete_records(self, cluster, topic, offset):
        return subprocess.run([RILL, "topics", "delete-records", f"--topic={topic}", "--partition=0",
                               f"--offset={offset}", "--json", f"--bootstrap={cluster.bootstrap}"],
                              capture_output=True, text=True, timeout=60)

    def test_records_before_an_offset_go_on_every_replica_and_stay_gone_across_failover(self):
        cluster = Cluster(controller_extra=["--session.timeout.ms=3000"],
                          broker_extra=["--heartbeat.interval.ms=100"]).start()
        try:
            admin = AdminClient({"bootstrap.servers": cluster.bootstrap})
            wait_until(lambda: broker_count(admin) == 3, what="3 brokers")
            topic, compacted = f"trimmed-{uuid.uuid4().hex[:6]}", f"compacted-{uuid.uuid4().hex[:6]}"
            admin.create_topics([NewTopic(topic, 1, 3, config={"segment.bytes": "65536"}),
                                 NewTopic(compacted, 1, 3, config={"cleanup.policy": "compact"})])[topic].result(30)
            wait_until(lambda: len(partition_state(admin, topic)[1]) == 3, what="full ISR")
            p = Producer({"bootstrap.servers": cluster.bootstrap, "acks": "all", "linger.ms": 0})
            for i in range(100):
                p.produce(topic, key=str(i), value=b"x" * (10 + (i * 7919) % 20000), partition=0)
                p.produce(compacted, key=str(i), value=b"c", partition=0)
                p.poll(0)
            self.assertEqual(p.flush(30), 0)

            r = self.delete_records(cluster, topic, 40)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(json.loads(r.stdout)["low_watermark"], 40)
            c = Consumer({"bootstrap.servers": cluster.bootstrap, "group.id": "trim-check",
                          "enable.auto.commit": False})
            self.assertEqual(watermarks(c, topic), (40, 100))
            # Past the high watermark, and on a compact-only topic: refused.
            r = self.delete_records(cluster, topic, 1000)
            self.assertNotEqual(r.returncode, 0)
            self.assertIn("Offset out of range", r.stderr)
            r = self.delete_records(cluster, compacted, 10)
            self.assertNotEqual(r.returncode, 0)
            self.assertIn("olicy", r.stderr)
            # Followers learn the new log start from their next fetches; a new
            # leader then serves from 40 as well.
            for i in range(100, 110):
                p.produce(topic, key=str(i), value=b"y", partition=0)
            self.assertEqual(p.flush(30), 0)
            time.sleep(1)
            leader = partition_state(admin, topic)[0]
            cluster.brokers[leader - 1].kill9()
            wait_until(lambda: partition_state(admin, topic)[0] not in (-1, leader), timeout_s=30,
                       what="a new leader")
            c.close()
            # A fresh client: librdkafka 2.0.2's watermark query can wait for
            # a dead leader past its timeout.
            c = Consumer({"bootstrap.servers": cluster.bootstrap, "group.id": "trim-check",
                          "enable.auto.commit": False})
            wait_until(lambda: watermarks(c, topic) == (40, 110), timeout_s=30,
                       what="the new leader's log start and end")
            c.assign([TopicPartition(topic, 0, -2)])  # from the log start
            first = None
            deadline = time.time() + 20
            while first is None and time.time() < deadline:
                m = c.poll(0.5)
                if m is not None and not m.error():
                    first = m
            self.assertIsNotNone(first)
            self.assertEqual((first.offset(), first.key()), (40, b"40"))
            # -1: everything up to the high watermark.
            r = self.delete_records(cluster, topic, -1)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(json.loads(r.stdout)["low_watermark"], 110)
            c.close()
        finally:
            cluster.stop()
            cluster.cleanup()


DESCRIBE_LOG_DIRS, INCREMENTAL_ALTER_CONFIGS = 35, 44
SET, DELETE, APPEND, SUBTRACT = 0, 1, 2, 3
INVALID_CONFIG, INVALID_REQUEST, UNKNOWN_TOPIC = 40, 42, 3


def incremental_alter(client, topic, ops, validate_only=False):
    """IncrementalAlterConfigs v1 on one topic: [(name, op, value)] -> (error, message)."""
    w = (Writer().carray([topic], lambda w, t: w.i8(2).cstr(t).carray(
        ops, lambda w, o: w.cstr(o[0]).i8(o[1]).cstr(o[2]).tags()).tags())
        .i8(1 if validate_only else 0).tags())
    r = client.call(INCREMENTAL_ALTER_CONFIGS, 1, w)
    r.i32()
    out = []

    def result(r):
        error, message = r.i16(), r.cstr()
        r.i8()
        r.cstr()
        r.tags()
        out.append((error, message))
    r.carray(result)
    return out[0]


def describe_log_dirs(client, topics=None):
    """DescribeLogDirs v4: (log_dir, {(topic, partition): bytes}, total, usable)."""
    w = Writer()
    if topics is None:
        w.uvarint(0)  # a null compact array
    else:
        w.carray(list(topics.items()), lambda w, t: w.cstr(t[0]).carray(t[1], lambda w, p: w.i32(p)).tags())
    r = client.call(DESCRIBE_LOG_DIRS, 4, w.tags())
    r.i32()
    assert r.i16() == 0
    dirs = []

    def result(r):
        r.i16()
        log_dir = r.cstr()
        sizes = {}

        def topic(r):
            name = r.cstr()

            def partition(r):
                index, size = r.i32(), r.i64()
                r.i64()
                r.boolean()
                r.tags()
                sizes[(name, index)] = size
            r.carray(partition)
            r.tags()
        r.carray(topic)
        total, usable = r.i64(), r.i64()
        r.tags()
        dirs.append((log_dir, sizes, total, usable))
    r.carray(result)
    return dirs[0]


DESCRIBE_PRODUCERS = 61


def describe_producers(client, topic, partitions):
    """DescribeProducers v0: {partition: (error, [(id, epoch, last_sequence, last_timestamp)])}."""
    w = Writer().carray([topic], lambda w, t: w.cstr(t).carray(partitions, lambda w, p: w.i32(p)).tags()).tags()
    r = client.call(DESCRIBE_PRODUCERS, 0, w)
    r.i32()
    out = {}

    def topic_result(r):
        r.cstr()

        def partition(r):
            index, error = r.i32(), r.i16()
            r.cstr()

            def producer(r):
                p = (r.i64(), r.i32(), r.i32(), r.i64())
                r.i32()
                r.i64()
                r.tags()
                return p
            out[index] = (error, r.carray(producer))
            r.tags()
        r.carray(partition)
        r.tags()
    r.carray(topic_result)
    return out


class ConfigsAndLogDirsTest(unittest.TestCase):
    def test_producer_ids_never_repeat_across_a_quick_restart(self):
        """Producer ids come in blocks stored before use: a broker restarted
        within the same second must not hand out an id a producer already
        used (that producer's sequence state would make the new one's first
        batches look like duplicates, acknowledged but not stored)."""
        with Broker() as b:
            admin = AdminClient({"bootstrap.servers": b.bootstrap})
            topic = f"pids-{uuid.uuid4().hex[:6]}"
            admin.create_topics([NewTopic(topic, 1, 1)])[topic].result(30)
            ids = []
            for round_ in range(3):
                p = Producer({"bootstrap.servers": b.bootstrap, "enable.idempotence": True})
                for i in range(5):
                    p.produce(topic, value=f"{round_}:{i}".encode(), partition=0)
                self.assertEqual(p.flush(30), 0)
                c = GroupClient("127.0.0.1", b.port)
                ids = [pid for pid, _, _, _ in describe_producers(c, topic, [0])[0][1]]
                c.close()
                b.stop()
                b.start()  # at once: well within the second
            self.assertEqual(len(ids), 3, "three producers, three distinct ids")
            got = consume_all(b.bootstrap, topic, [0], 15)
            self.assertEqual(sorted(m.value().decode() for m in got),
                             sorted(f"{r}:{i}" for r in range(3) for i in range(5)))

    def test_describe_producers_lists_idempotent_producers_of_a_partition(self):
        with Broker() as b:
            admin = AdminClient({"bootstrap.servers": b.bootstrap})
            topic = f"producers-{uuid.uuid4().hex[:6]}"
            admin.create_topics([NewTopic(topic, 2, 1)])[topic].result(30)
            p = Producer({"bootstrap.servers": b.bootstrap, "enable.idempotence": True, "linger.ms": 0})
            before_ms = int(time.time() * 1000)
            for i in range(30):
                p.produce(topic, value=f"v{i}".encode(), partition=0)
                if i % 5 == 0:
                    p.flush(10)  # several batches
            self.assertEqual(p.flush(30), 0)
            c = GroupClient("127.0.0.1", b.port)
            got = describe_producers(c, topic, [0, 1, 7])
            error, producers = got[0]
            self.assertEqual(error, NONE)
            self.assertEqual(len(producers), 1)
            pid, epoch, last_sequence, last_ts = producers[0]
            self.assertGreaterEqual(pid, 0)
            self.assertEqual((epoch, last_sequence), (0, 29))
            self.assertGreaterEqual(last_ts, before_ms - 1000)
            self.assertEqual(got[1], (NONE, []))
            self.assertEqual(got[7][0], UNKNOWN_TOPIC)
            c.close()


    def overrides(self, admin, topic):
        res = ConfigResource("topic", topic)
        entries = admin.describe_configs([res])[res].result(30)
        return {k: e.value for k, e in entries.items() if not e.is_default}

    def test_unset_topic_configs_show_what_the_broker_runs_with(self):
        """A topic config the topic does not set is answered with the broker
        setting behind it (log.retention.ms for retention.ms), marked
        default, not with Kafka's built-in default."""
        with Broker(extra=["--log.retention.ms=123456789", "--message.max.bytes=2000000"]) as b:
            admin = AdminClient({"bootstrap.servers": b.bootstrap})
            topic = f"defaults-{uuid.uuid4().hex[:6]}"
            admin.create_topics([NewTopic(topic, 1, 1, config={"segment.bytes": "2097152"})])[topic].result(30)
            res = ConfigResource("topic", topic)
            entries = admin.describe_configs([res])[res].result(30)
            self.assertEqual((entries["retention.ms"].value, entries["retention.ms"].is_default), ("123456789", True))
            self.assertEqual(entries["max.message.bytes"].value, "2000000")
            self.assertEqual((entries["segment.bytes"].value, entries["segment.bytes"].is_default), ("2097152", False))
            self.assertEqual(entries["cleanup.policy"].value, "delete")  # no broker setting behind it

    def test_incremental_and_replacing_alterations_and_log_dir_sizes(self):
        with Broker() as b:
            admin = AdminClient({"bootstrap.servers": b.bootstrap})
            topic = f"configured-{uuid.uuid4().hex[:6]}"
            admin.create_topics([NewTopic(topic, 2, 1, config={"retention.ms": "60000"})])[topic].result(30)
            c = GroupClient("127.0.0.1", b.port)
            # IncrementalAlterConfigs touches only what it names.
            self.assertEqual(incremental_alter(c, topic, [("segment.bytes", SET, "1048576")]), (NONE, None))
            self.assertEqual(self.overrides(admin, topic), {"retention.ms": "60000", "segment.bytes": "1048576"})
            self.assertEqual(incremental_alter(c, topic, [("cleanup.policy", APPEND, "compact")]), (NONE, None))
            self.assertEqual(self.overrides(admin, topic)["cleanup.policy"], "delete,compact")
            self.assertEqual(incremental_alter(c, topic, [("cleanup.policy", SUBTRACT, "delete"),
                                                          ("retention.ms", DELETE, None)]), (NONE, None))
            self.assertEqual(self.overrides(admin, topic), {"segment.bytes": "1048576", "cleanup.policy": "compact"})
            # Refusals: a bad value, APPEND on a scalar, a name twice, an unknown topic; validate_only changes nothing.
            self.assertEqual(incremental_alter(c, topic, [("segment.bytes", SET, "abc")])[0], INVALID_CONFIG)
            self.assertEqual(incremental_alter(c, topic, [("retention.ms", APPEND, "5")])[0], INVALID_CONFIG)
            self.assertEqual(incremental_alter(c, topic, [("retention.ms", SET, "5"), ("retention.ms", DELETE, None)])[0],
                             INVALID_REQUEST)
            self.assertEqual(incremental_alter(c, "no-such-topic", [("retention.ms", SET, "5")])[0], UNKNOWN_TOPIC)
            self.assertEqual(incremental_alter(c, topic, [("retention.ms", SET, "5")], validate_only=True), (NONE, None))
            self.assertNotIn("retention.ms", self.overrides(admin, topic))
            # AlterConfigs replaces every override (Kafka's semantics) ...
            res = ConfigResource("topic", topic, set_config={"retention.ms": "120000"})
            admin.alter_configs([res])[res].result(30)
            self.assertEqual(self.overrides(admin, topic), {"retention.ms": "120000"})
            # ... and `rill topics alter-config` keeps the others by sending them along.
            r = subprocess.run([RILL, "topics", "alter-config", f"--topic={topic}", "--config=segment.bytes=2097152",
                                f"--bootstrap={b.bootstrap}"], capture_output=True, text=True, timeout=60)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(self.overrides(admin, topic), {"retention.ms": "120000", "segment.bytes": "2097152"})

            p = Producer({"bootstrap.servers": b.bootstrap})
            for i in range(50):
                p.produce(topic, key=str(i), value=b"z" * 1000, partition=0)
            self.assertEqual(p.flush(30), 0)
            log_dir, sizes, total, usable = describe_log_dirs(c)
            self.assertEqual(log_dir, b.data_dir + "/data")
            self.assertGreater(sizes[(topic, 0)], 50 * 1000)
            self.assertEqual(sizes[(topic, 1)], 0)
            self.assertGreater(total, usable)
            self.assertGreater(usable, 0)
            _, only, _, _ = describe_log_dirs(c, {topic: [1]})
            self.assertEqual(only, {(topic, 1): 0})
            c.close()


class CreatePartitionsTest(unittest.TestCase):
    def test_topics_and_partitions_are_placed_where_asked_and_serve_at_once(self):
        cluster = Cluster(broker_extra=["--heartbeat.interval.ms=100"]).start()
        try:
            admin = AdminClient({"bootstrap.servers": cluster.bootstrap})
            wait_until(lambda: broker_count(admin) == 3, what="3 brokers")
            topic = f"grow-{uuid.uuid4().hex[:6]}"
            admin.create_topics([NewTopic(topic, 1, 3)])[topic].result(30)
            admin.create_partitions([NewPartitions(topic, 3)], validate_only=True)[topic].result(30)
            self.assertEqual(len(admin.list_topics(topic, timeout=10).topics[topic].partitions), 1)
            admin.create_partitions([NewPartitions(topic, 3, replica_assignment=[[2, 3, 1], [3, 1, 2]])]
                                    )[topic].result(30)
            md = admin.list_topics(topic, timeout=10).topics[topic].partitions
            self.assertEqual(sorted(md), [0, 1, 2])
            self.assertEqual((md[1].replicas, md[2].replicas), ([2, 3, 1], [3, 1, 2]))
            self.assertEqual((md[1].leader, md[2].leader), (2, 3))
            with self.assertRaises(KafkaException) as fewer:
                admin.create_partitions([NewPartitions(topic, 2)])[topic].result(30)
            self.assertEqual(fewer.exception.args[0].code(), 37)  # INVALID_PARTITIONS
            with self.assertRaises(KafkaException) as twice:
                admin.create_partitions([NewPartitions(topic, 4, replica_assignment=[[1, 1, 2]])])[topic].result(30)
            self.assertEqual(twice.exception.args[0].code(), 39)  # INVALID_REPLICA_ASSIGNMENT
            placed = f"placed-{uuid.uuid4().hex[:6]}"
            admin.create_topics([NewTopic(placed, 2, replica_assignment=[[3, 2], [1, 3]])])[placed].result(30)
            md = admin.list_topics(placed, timeout=10).topics[placed].partitions
            self.assertEqual((md[0].replicas, md[1].replicas, md[0].leader), ([3, 2], [1, 3], 3))
            p = Producer({"bootstrap.servers": cluster.bootstrap, "acks": "all"})
            for part in range(3):
                p.produce(topic, value=f"to {part}".encode(), partition=part)
            self.assertEqual(p.flush(30), 0, "the new partitions take acks=all writes at once")
            c = Consumer({"bootstrap.servers": cluster.bootstrap, "group.id": "grow"})
            for part in range(3):
                low, high = c.get_watermark_offsets(TopicPartition(topic, part), 10)
                self.assertEqual((low, high), (0, 1))
            c.close()
        finally:
            cluster.stop()
            cluster.cleanup()


def fetch_v4(conn, topic, partitions, max_bytes, correlation=7):
    """Fetch v4 of every partition from offset 0: {partition: records bytes}."""
    body = struct.pack(">hhi", 1, 4, correlation) + struct.pack(">h", 4) + b"test"
    body += struct.pack(">iiiib", -1, 0, 0, max_bytes, 0)
    body += struct.pack(">i", 1) + struct.pack(">h", len(topic)) + topic.encode()
    body += struct.pack(">i", len(partitions))
    for p in partitions:
        body += struct.pack(">iqi", p, 0, 1 << 20)
    conn.send(struct.pack(">i", len(body)) + body)
    data = conn.receive()
    at = 8  # correlation, throttle
    (topics,) = struct.unpack_from(">i", data, at)
    at += 4
    out = {}
    for _ in range(topics):
        (n,) = struct.unpack_from(">h", data, at)
        at += 2 + n
        (count,) = struct.unpack_from(">i", data, at)
        at += 4
        for _ in range(count):
            index, _error, _hw, _lso, aborted = struct.unpack_from(">ihqqi", data, at)
            at += 26 + max(aborted, 0) * 16
            (size,) = struct.unpack_from(">i", data, at)
            at += 4 + max(size, 0)
            out[index] = max(size, 0)
    return out


class FetchBudgetTest(unittest.TestCase):
    def test_max_bytes_bounds_the_whole_response(self):
        from kafka_wire import Connection
        with Broker() as b:
            topic = f"budget-{uuid.uuid4().hex[:6]}"
            admin = AdminClient({"bootstrap.servers": b.bootstrap})
            admin.create_topics([NewTopic(topic, 3, 1)])[topic].result(30)
            p = Producer({"bootstrap.servers": b.bootstrap, "linger.ms": 0, "batch.size": 12000})
            for i in range(60):
                p.produce(topic, value=bytes(10000), partition=i % 3)
                p.poll(0)
            self.assertEqual(p.flush(30), 0)
            conn = Connection("127.0.0.1", b.port)
            everything = fetch_v4(conn, topic, [0, 1, 2], 64 << 20)
            self.assertGreater(min(everything.values()), 150000, "all 20 records of each partition")
            bounded = fetch_v4(conn, topic, [0, 1, 2], 50000)
            self.assertLessEqual(sum(bounded.values()), 50000)
            self.assertGreater(bounded[0], 0)
            tiny = fetch_v4(conn, topic, [0, 1, 2], 1)
            self.assertGreater(tiny[0], 0, "the first batch comes whatever its size")
            self.assertEqual((tiny[1], tiny[2]), (0, 0))
            conn.close()


class CompressionTypeTest(unittest.TestCase):
    def test_the_topics_codec_is_what_is_stored(self):
        from kafka_wire import Connection
        with Broker() as b:
            admin = AdminClient({"bootstrap.servers": b.bootstrap})
            topic = f"ztd-{uuid.uuid4().hex[:6]}"
            admin.create_topics([NewTopic(topic, 1, 1, config={"compression.type": "zstd"})])[topic].result(30)
            p = Producer({"bootstrap.servers": b.bootstrap, "compression.type": "gzip", "linger.ms": 10})
            for i in range(50):
                p.produce(topic, value=f"value-{i}-{'y' * 100}".encode(), partition=0)
            self.assertEqual(p.flush(30), 0)
            conn = Connection("127.0.0.1", b.port)
            body = struct.pack(">hhi", 1, 4, 3) + struct.pack(">h", 4) + b"test"
            body += struct.pack(">iiiib", -1, 0, 0, 1 << 20, 0) + struct.pack(">i", 1)
            body += struct.pack(">h", len(topic)) + topic.encode() + struct.pack(">i", 1)
            body += struct.pack(">iqi", 0, 0, 1 << 20)
            conn.send(struct.pack(">i", len(body)) + body)
            data = conn.receive()
            conn.close()
            at = 12 + 2 + len(topic) + 4 + 26 + 4  # to the first batch of partition 0
            (attributes,) = struct.unpack_from(">h", data, at + 21)
            self.assertEqual(attributes & 7, 4, "stored as zstd, as the topic says")
            c = Consumer({"bootstrap.servers": b.bootstrap, "group.id": "ztd"})
            c.assign([TopicPartition(topic, 0, 0)])
            got = []
            deadline = time.time() + 20
            while len(got) < 50 and time.time() < deadline:
                m = c.poll(0.5)
                if m is not None and not m.error():
                    got.append(m.value().decode())
            c.close()
            self.assertEqual(got, [f"value-{i}-{'y' * 100}" for i in range(50)])


class LegacyProduceTest(unittest.TestCase):
    def test_old_message_formats_are_stored_as_record_batches(self):
        with Broker() as b:
            admin = AdminClient({"bootstrap.servers": b.bootstrap})
            cases = [("0.9.0.0", "none"), ("0.9.0.0", "gzip"), ("0.10.0.0", "none"),
                     ("0.10.0.0", "snappy")]
            for version, codec in cases:
                topic = f"legacy-{version.replace('.', '')}-{codec}-{uuid.uuid4().hex[:4]}"
                admin.create_topics([NewTopic(topic, 1, 1)])[topic].result(30)
                # No ApiVersions: Produce v1 (format v0) or v2 (format v1), as old clients send.
                p = Producer({"bootstrap.servers": b.bootstrap, "api.version.request": False,
                              "broker.version.fallback": version, "compression.type": codec,
                              "linger.ms": 20})
                for i in range(10):
                    p.produce(topic, key=f"k{i}", value=f"v{i}", partition=0, timestamp=1_700_000_000_000 + i)
                self.assertEqual(p.flush(30), 0, f"{version} {codec}")
                c = Consumer({"bootstrap.servers": b.bootstrap, "group.id": "legacy",
                              "enable.partition.eof": True})
                c.assign([TopicPartition(topic, 0, 0)])
                got = []
                deadline = time.time() + 20
                while len(got) < 10 and time.time() < deadline:
                    m = c.poll(0.5)
                    if m is not None and not m.error():
                        got.append((m.offset(), m.key(), m.value(), m.timestamp()[1]))
                c.close()
                self.assertEqual([g[:3] for g in got],
                                 [(i, f"k{i}".encode(), f"v{i}".encode()) for i in range(10)], version)
                if version == "0.9.0.0":
                    self.assertTrue(all(g[3] == -1 for g in got), "format v0 has no timestamps")
                else:
                    self.assertEqual([g[3] for g in got], [1_700_000_000_000 + i for i in range(10)])


class ListOffsetsAndDefaultsTest(unittest.TestCase):
    def test_time_lookups_auto_creation_defaults_and_transaction_timeouts(self):
        with Broker(extra=["--num.partitions=3"]) as b:
            topic = f"times-{uuid.uuid4().hex[:6]}"
            admin = AdminClient({"bootstrap.servers": b.bootstrap})
            admin.create_topics([NewTopic(topic, 1, 1)])[topic].result(30)
            p = Producer({"bootstrap.servers": b.bootstrap, "linger.ms": 200})
            base = int(time.time() * 1000) - 60000
            for i in range(5):  # one batch: records at base, base+1000, ..., base+4000
                p.produce(topic, value=f"r{i}".encode(), partition=0, timestamp=base + 1000 * i)
            self.assertEqual(p.flush(30), 0)
            c = Consumer({"bootstrap.servers": b.bootstrap, "group.id": "times"})
            found = c.offsets_for_times([TopicPartition(topic, 0, base + 2500)], 10)
            self.assertEqual(found[0].offset, 3, "the first record at or after the time, inside the batch")
            c.close()

            auto = f"auto-{uuid.uuid4().hex[:6]}"
            wait_until(lambda: len(admin.list_topics(auto, timeout=5).topics[auto].partitions) == 3,
                       what="an auto-created topic with the broker's num.partitions")

            # Transactions on one broker: __transaction_state with the one
            # live broker as its replica; a timeout past
            # transaction.max.timeout.ms is refused at once.
            t = Producer({"bootstrap.servers": b.bootstrap, "transactional.id": "tx-1"})
            t.init_transactions(30)
            too_long = Producer({"bootstrap.servers": b.bootstrap, "transactional.id": "tx-2",
                                 "transaction.timeout.ms": 900001})
            started = time.time()
            with self.assertRaises(KafkaException) as refused:
                too_long.init_transactions(30)
            self.assertLess(time.time() - started, 10, "refused at once, not after the timeout")
            self.assertEqual(refused.exception.args[0].code(), KafkaError.INVALID_TRANSACTION_TIMEOUT)


if __name__ == "__main__":
    unittest.main()
