"""Real Kafka clients against a real broker process: kcat and
confluent-kafka (librdkafka) under Debian's /usr/bin/python3."""
import json
import os
import subprocess
import sys
import time
import unittest
import uuid

sys.path.insert(0, os.path.dirname(__file__))
from rill_cluster import Broker  # noqa: E402

from confluent_kafka import Consumer, KafkaError, Producer, TopicPartition  # noqa: E402
from confluent_kafka.admin import AdminClient, NewTopic  # noqa: E402


def topic_name(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def produce_all(bootstrap, topic, records, **config):
    """Produces (key, value, headers, partition) tuples; returns delivery reports."""
    reports = []
    p = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5, **config})

    def on_delivery(err, msg):
        reports.append((err, msg.partition(), msg.offset(), msg.key(), msg.value()))

    for key, value, headers, partition in records:
        kwargs = {"key": key, "value": value, "on_delivery": on_delivery}
        if headers:
            kwargs["headers"] = headers
        if partition is not None:
            kwargs["partition"] = partition
        p.produce(topic, **kwargs)
        p.poll(0)
    remaining = p.flush(30)
    assert remaining == 0, f"{remaining} messages not delivered"
    return reports


def consume_all(bootstrap, topic, partitions, expected, offset=0, timeout_s=30, **config):
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "rill-it", "enable.auto.commit": False,
                  "fetch.wait.max.ms": 100, **config})
    c.assign([TopicPartition(topic, p, offset) for p in partitions])
    out = []
    deadline = time.time() + timeout_s
    while len(out) < expected and time.time() < deadline:
        m = c.poll(0.5)
        if m is None:
            continue
        if m.error():
            if m.error().code() == KafkaError._PARTITION_EOF:
                continue
            raise AssertionError(f"consumer error: {m.error()}")
        out.append(m)
    c.close()
    return out


class KafkaClientsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.broker = Broker(extra=["--message.max.bytes=2097152", "--num.partitions=1"]).start()
        cls.bootstrap = cls.broker.bootstrap

    @classmethod
    def tearDownClass(cls):
        code = cls.broker.stop()
        assert code == 0, f"broker exited with {code} on SIGTERM:\n{cls.broker.log_text()[-3000:]}"

    def test_kcat_lists_brokers_partitions_leaders_replicas_isr(self):
        admin = AdminClient({"bootstrap.servers": self.bootstrap})
        t = topic_name("listed")
        admin.create_topics([NewTopic(t, num_partitions=3, replication_factor=1)])[t].result(10)
        out = subprocess.run(["kcat", "-b", self.bootstrap, "-L", "-J"], capture_output=True, timeout=30)
        self.assertEqual(out.returncode, 0, out.stderr)
        md = json.loads(out.stdout)
        self.assertEqual([b["id"] for b in md["brokers"]], [1])
        topic = next(x for x in md["topics"] if x["topic"] == t)
        self.assertEqual(len(topic["partitions"]), 3)
        for p in topic["partitions"]:
            self.assertEqual(p["leader"], 1)
            self.assertEqual([r["id"] for r in p["replicas"]], [1])
            self.assertEqual([r["id"] for r in p["isrs"]], [1])

    def test_kcat_produces_and_consumes(self):
        t = topic_name("kcat")
        lines = "\n".join(f"line-{i}" for i in range(100)) + "\n"
        p = subprocess.run(["kcat", "-b", self.bootstrap, "-P", "-t", t, "-p", "0"], input=lines.encode(),
                           capture_output=True, timeout=30)
        self.assertEqual(p.returncode, 0, p.stderr)
        c = subprocess.run(["kcat", "-b", self.bootstrap, "-C", "-t", t, "-p", "0", "-o", "beginning", "-e",
                            "-f", "%o:%s\n"], capture_output=True, timeout=30)
        self.assertEqual(c.returncode, 0, c.stderr)
        got = c.stdout.decode().strip().split("\n")
        self.assertEqual(got, [f"{i}:line-{i}" for i in range(100)])

    def test_acks_0_1_all_keys_headers_and_null_values(self):
        for acks in ("0", "1", "all"):
            t = topic_name(f"acks{acks}")
            records = [(f"k{i}".encode(), None if i % 7 == 0 else f"v{i}".encode(),
                        [("h", f"{i}".encode())], None) for i in range(200)]
            reports = produce_all(self.bootstrap, t, records, acks=acks)
            self.assertTrue(all(err is None for err, *_ in reports), reports[:3])
            if acks != "0":
                self.assertEqual(sorted(r[2] for r in reports), list(range(200)))
            msgs = consume_all(self.bootstrap, t, [0], 200)
            self.assertEqual(len(msgs), 200)
            for i, m in enumerate(msgs):
                self.assertEqual(m.offset(), i)
                self.assertEqual(m.key(), f"k{i}".encode())
                self.assertEqual(m.value(), None if i % 7 == 0 else f"v{i}".encode())
                self.assertEqual(m.headers(), [("h", f"{i}".encode())])

    def test_idempotent_producer_writes_each_record_once_in_order(self):
        t = topic_name("idem")
        records = [(None, f"{i}".encode(), None, 0) for i in range(5000)]
        reports = produce_all(self.bootstrap, t, records, **{"enable.idempotence": True, "acks": "all"})
        self.assertTrue(all(err is None for err, *_ in reports))
        msgs = consume_all(self.bootstrap, t, [0], 5000)
        self.assertEqual([m.value() for m in msgs], [f"{i}".encode() for i in range(5000)])

    def test_compressed_batches_pass_through_untouched(self):
        for codec in ("gzip", "snappy", "lz4", "zstd"):
            t = topic_name(codec)
            records = [(None, (f"{codec}-{i}-" + "x" * 100).encode(), None, 0) for i in range(500)]
            reports = produce_all(self.bootstrap, t, records, **{"compression.type": codec})
            self.assertTrue(all(err is None for err, *_ in reports), codec)
            msgs = consume_all(self.bootstrap, t, [0], 500)
            self.assertEqual([m.value() for m in msgs], [r[1] for r in records], codec)

    def test_one_mebibyte_records(self):
        t = topic_name("big")
        value = os.urandom(1 << 20)
        reports = produce_all(self.bootstrap, t, [(None, value, None, 0)] * 3,
                              **{"message.max.bytes": 4 << 20, "compression.type": "none"})
        self.assertTrue(all(err is None for err, *_ in reports), reports)
        msgs = consume_all(self.bootstrap, t, [0], 3, **{"fetch.message.max.bytes": 4 << 20})
        self.assertEqual(len(msgs), 3)
        self.assertTrue(all(m.value() == value for m in msgs))

    def test_many_partitions_auto_created_and_consume_from_latest(self):
        t = topic_name("many")
        admin = AdminClient({"bootstrap.servers": self.bootstrap})
        admin.create_topics([NewTopic(t, num_partitions=32, replication_factor=1)])[t].result(10)
        records = [(None, f"{p}:{i}".encode(), None, p) for p in range(32) for i in range(20)]
        reports = produce_all(self.bootstrap, t, records)
        self.assertTrue(all(err is None for err, *_ in reports))
        msgs = consume_all(self.bootstrap, t, list(range(32)), 640)
        self.assertEqual(len(msgs), 640)
        for m in msgs:
            self.assertEqual(m.value().decode().split(":")[0], str(m.partition()))
        # From latest: only what is produced after the assignment arrives.
        c = Consumer({"bootstrap.servers": self.bootstrap, "group.id": "x", "enable.auto.commit": False})
        lo, hi = c.get_watermark_offsets(TopicPartition(t, 5), timeout=10)
        self.assertEqual((lo, hi), (0, 20))
        c.close()

    def test_auto_created_topic_on_produce(self):
        t = topic_name("auto")
        reports = produce_all(self.bootstrap, t, [(None, b"hello", None, None)])
        self.assertIsNone(reports[0][0])
        md = AdminClient({"bootstrap.servers": self.bootstrap}).list_topics(t, timeout=10)
        self.assertIn(t, md.topics)
        self.assertEqual(len(md.topics[t].partitions), 1)

    def test_consume_by_timestamp(self):
        t = topic_name("ts")
        p = Producer({"bootstrap.servers": self.bootstrap, "linger.ms": 0})
        base = 1_700_000_000_000
        for i in range(50):
            p.produce(t, value=f"{i}".encode(), partition=0, timestamp=base + i * 1000)
            p.flush(10)  # one batch per record, so each batch has its own timestamp
        c = Consumer({"bootstrap.servers": self.bootstrap, "group.id": "ts", "enable.auto.commit": False})
        found = c.offsets_for_times([TopicPartition(t, 0, base + 20_500)], timeout=10)
        self.assertEqual(found[0].offset, 21)
        c.close()

    def test_unknown_topic_with_auto_create_off_is_reported(self):
        with Broker(extra=["--auto.create.topics.enable=false"]) as b:
            md = AdminClient({"bootstrap.servers": b.bootstrap}).list_topics("nope", timeout=10)
            self.assertEqual(md.topics["nope"].error.code(), KafkaError.UNKNOWN_TOPIC_OR_PART)


if __name__ == "__main__":
    unittest.main()
