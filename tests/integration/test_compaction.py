"""Log compaction (cleanup.policy=compact) on a 3-broker cluster with real
clients: the latest record of every key stays, at its offset, in order;
tombstones stay for delete.retention.ms; every replica compacts on its own
and a consumer reads the same keys and values from whichever leads, also
after kill -9 of the leader and the restart of its broker."""
import os
import random
import sys
import time
import unittest
import uuid

from confluent_kafka import Consumer, KafkaError, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

sys.path.insert(0, os.path.dirname(__file__))
from rill_cluster import Broker, Cluster  # noqa: E402
from test_consumer_groups import broker_count, partition_state, wait_until  # noqa: E402

KEYS = 20


def read_from_start(bootstrap, topic):
    """[(offset, key, value)] of partition 0 from the log start to its end."""
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": f"cmp-{uuid.uuid4().hex[:6]}",
                  "enable.auto.commit": False, "enable.partition.eof": True, "fetch.wait.max.ms": 100})
    c.assign([TopicPartition(topic, 0, 0)])
    out = []
    deadline = time.time() + 60
    while time.time() < deadline:
        m = c.poll(0.5)
        if m is None:
            continue
        if m.error():
            if m.error().code() == KafkaError._PARTITION_EOF:
                break
            continue
        out.append((m.offset(), m.key().decode(), None if m.value() is None else m.value().decode()))
    c.close()
    return out


def latest_per_key(records):
    latest = {}
    for offset, key, value in records:
        latest[key] = (offset, value)
    return latest


class CompactionTest(unittest.TestCase):
    def test_replicas_compact_and_agree_across_a_leader_kill(self):
        cluster = Cluster(controller_extra=["--session.timeout.ms=3000"],
                          broker_extra=["--heartbeat.interval.ms=100", "--log.cleaner.backoff.ms=200",
                                        "--replica.lag.time.max.ms=3000"]).start()
        try:
            admin = AdminClient({"bootstrap.servers": cluster.bootstrap})
            wait_until(lambda: broker_count(admin) == 3, what="3 brokers")
            topic = f"cmp-{uuid.uuid4().hex[:6]}"
            admin.create_topics([NewTopic(topic, 1, 3, config={
                "cleanup.policy": "compact", "segment.bytes": "20000",
                "min.cleanable.dirty.ratio": "0.01", "delete.retention.ms": "3600000"})])[topic].result(30)
            p = Producer({"bootstrap.servers": cluster.bootstrap, "acks": "all", "linger.ms": 2})
            keyless = []
            p.produce(topic, value=b"no key", partition=0, on_delivery=lambda err, msg: keyless.append(err))
            p.flush(30)
            self.assertEqual(keyless[0].code(), 87, "INVALID_RECORD: a compacted topic needs keys")
            produced = []
            for i in range(3000):
                key = f"k{i % KEYS}"
                value = None if (key == "k0" and i >= 2980) else f"{key}-{i}"
                p.produce(topic, key=key, value=value, partition=0)
                produced.append((key, value))
                if i % 50 == 49:
                    # Small batches, so that segments roll (segment.bytes 20000)
                    # however busy the machine is.
                    self.assertEqual(p.flush(30), 0)
            self.assertEqual(p.flush(30), 0)
            want = {}
            for key, value in produced:
                want[key] = value

            def compacted():
                return len(read_from_start(cluster.bootstrap, topic)) < 2000
            wait_until(compacted, timeout_s=60, what="compaction", step=1)
            first = read_from_start(cluster.bootstrap, topic)
            offsets = [r[0] for r in first]
            self.assertEqual(offsets, sorted(set(offsets)), "offsets stay unique and in order")
            self.assertEqual({k: v for k, (o, v) in latest_per_key(first).items()}, want)
            self.assertIsNone(latest_per_key(first)["k0"][1], "the tombstone stays (delete.retention.ms)")
            for offset, key, value in first:
                if value is not None:
                    self.assertEqual(value, f"{key}-{offset}", "a record keeps its offset")

            leader = partition_state(admin, topic)[0]
            time.sleep(1.5)  # the followers' cleaners run too (every 200 ms)
            cluster.brokers[leader - 1].kill9()
            wait_until(lambda: partition_state(admin, topic)[0]
                       not in (-1, leader), timeout_s=30, what="a new leader")
            second = read_from_start(cluster.bootstrap, topic)
            self.assertEqual(latest_per_key(second), latest_per_key(first),
                             "the new leader has the same latest record of every key, at the same offset")
            self.assertLess(len(second), 2000, "the follower compacted on its own")
            cluster.brokers[leader - 1].start()
            wait_until(lambda: len(partition_state(admin, topic)[1]) == 3,
                       timeout_s=60, what="the restarted broker back in the ISR")
        finally:
            cluster.stop()
            cluster.cleanup()

    def test_batches_of_every_codec_are_compacted(self):
        with Broker(extra=["--log.cleaner.backoff.ms=200"]) as b:
            admin = AdminClient({"bootstrap.servers": b.bootstrap})
            for codec in ("gzip", "snappy", "lz4", "zstd"):
                topic = f"cmp-{codec}-{uuid.uuid4().hex[:6]}"
                admin.create_topics([NewTopic(topic, 1, 1, config={
                    "cleanup.policy": "compact", "segment.bytes": "4000",
                    "min.cleanable.dirty.ratio": "0.01"})])[topic].result(30)
                p = Producer({"bootstrap.servers": b.bootstrap, "compression.type": codec, "linger.ms": 5})
                want = {}
                for i in range(2000):
                    key = f"k{i % 10}"
                    p.produce(topic, key=key, value=f"{key}-{i}-{'x' * 40}", partition=0)
                    want[key] = f"{key}-{i}-{'x' * 40}"
                    if i % 100 == 99:
                        self.assertEqual(p.flush(30), 0)
                self.assertEqual(p.flush(30), 0)
                wait_until(lambda: len(read_from_start(b.bootstrap, topic)) < 1000, timeout_s=30,
                           what=f"compaction of {codec} batches", step=0.5)
                got = read_from_start(b.bootstrap, topic)
                self.assertEqual({k: v for k, (o, v) in latest_per_key(got).items()}, want, codec)
                for offset, key, value in got:
                    self.assertEqual(int(value.split("-")[1]), offset, f"{codec}: a record keeps its offset")

    def test_records_from_10_bytes_to_1_mib_are_compacted(self):
        rng = random.Random(7)
        with Broker(extra=["--log.cleaner.backoff.ms=200", "--message.max.bytes=2000000"]) as b:
            admin = AdminClient({"bootstrap.servers": b.bootstrap})
            topic = f"cmp-mixed-{uuid.uuid4().hex[:6]}"
            admin.create_topics([NewTopic(topic, 1, 1, config={
                "cleanup.policy": "compact", "segment.bytes": "4000000", "min.cleanable.dirty.ratio": "0.01",
                "max.message.bytes": "2000000"})])[topic].result(30)
            p = Producer({"bootstrap.servers": b.bootstrap, "linger.ms": 5, "message.max.bytes": 2000000,
                          "compression.type": "lz4"})
            want = {}
            for i in range(200):
                key = f"k{rng.randrange(20)}"
                size = int(10 * 2 ** rng.uniform(0, 16.6))  # 10 B to 1 MiB, log-uniform
                value = rng.randbytes(size).hex()[:size]  # incompressible
                p.produce(topic, key=key, value=value, partition=0)
                want[key] = value
                if i % 20 == 19:
                    self.assertEqual(p.flush(30), 0)
            self.assertEqual(p.flush(30), 0)
            wait_until(lambda: len(read_from_start(b.bootstrap, topic)) < 100, timeout_s=60,
                       what="compaction of mixed sizes", step=1)
            got = read_from_start(b.bootstrap, topic)
            self.assertEqual({k: v for k, (o, v) in latest_per_key(got).items()}, want)
            offsets = [o for o, _, _ in got]
            self.assertEqual(offsets, sorted(set(offsets)))


if __name__ == "__main__":
    unittest.main()
