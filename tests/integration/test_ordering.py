"""Order within a partition, as Kafka users rely on it: the records one
connection sends land in the order it sent them, whatever their sizes, the
number of requests in flight and the acks.

Three independent producers drive it: a raw wire client that pipelines
Produce requests of random sizes, partitions and acks on one connection
(kafka_wire.py, seeded: the seed is printed), librdkafka (confluent-kafka)
with its defaults (no idempotence, many requests in flight) and kafka-python
(pure Python). Everything is read back with librdkafka and compared with
what was sent.
"""
import os
import random
import sys
import threading
import time
import unittest
import uuid

sys.path.insert(0, os.path.dirname(__file__))
import kafka_wire  # noqa: E402
from rill_cluster import Broker, Cluster  # noqa: E402

from confluent_kafka import Consumer, KafkaError, Producer, TopicPartition  # noqa: E402
from confluent_kafka.admin import AdminClient, NewTopic  # noqa: E402

BATCH_BYTES_MAX = 3 << 20
BROKER_LIMITS = ["--message.max.bytes=4194304"]


def value_of(seq, size):
    head = b"%09d|" % seq
    return head + b"x" * max(0, size - len(head))


def seq_of(value):
    return int(value[:9])


def random_size(rng):
    """10 B to 1 MiB, log-uniform: most records small, some very large."""
    return int(10 * (2 ** (rng.random() * 16.7)))


def create_topic(bootstrap, partitions, rf, configs=None):
    name = f"order-{uuid.uuid4().hex[:8]}"
    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(name, num_partitions=partitions, replication_factor=rf,
                                  config=configs or {})])[name].result(30)
    return name


def read_back(bootstrap, topic, partitions, expected, timeout_s=60):
    """{partition: [seq, ...]} in offset order, read with librdkafka."""
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "order-check", "enable.auto.commit": False,
                  "fetch.wait.max.ms": 100, "enable.partition.eof": False})
    c.assign([TopicPartition(topic, p, 0) for p in range(partitions)])
    out = {p: [] for p in range(partitions)}
    got = 0
    deadline = time.time() + timeout_s
    while got < expected and time.time() < deadline:
        for m in c.consume(500, timeout=0.5):
            if m.error():
                if m.error().code() == KafkaError._PARTITION_EOF:
                    continue
                raise AssertionError(f"consumer error: {m.error()}")
            out[m.partition()].append(seq_of(m.value()))
            got += 1
    c.close()
    return out


def misplaced(seqs):
    """How many records sit after a record sent later than them."""
    return sum(1 for a, b in zip(seqs, seqs[1:]) if b < a)


class OrderChecks:
    """Mixed into test classes that set cls.bootstrap, cls.rf and cls.acks_choices."""

    def pipelined_wire_client(self, seed, requests, partitions=4):
        rng = random.Random(seed)
        print(f"\n  seed {seed}: {requests} pipelined requests, {partitions} partitions, rf {self.rf}",
              file=sys.stderr)
        topic = create_topic(self.bootstrap, partitions, self.rf)
        host, port = self.leader_address(topic)
        sent = {p: [] for p in range(partitions)}
        plan = []  # (correlation, acks, {partition: [seqs]})
        seq = 0
        for correlation in range(requests):
            acks = rng.choice(self.acks_choices)
            chosen = rng.sample(range(partitions), rng.randint(1, partitions))
            batches, seqs = {}, {}
            for p in chosen:
                values, total = [], 0
                for _ in range(rng.randint(1, 4)):
                    size = random_size(rng)
                    if values and total + size > BATCH_BYTES_MAX:
                        break
                    values.append(value_of(seq, size))
                    seqs.setdefault(p, []).append(seq)
                    total += size
                    seq += 1
                batches[p] = kafka_wire.record_batch(values)
            plan.append((correlation, acks, seqs, kafka_wire.produce_request(correlation, topic, batches, acks)))
            for p, s in seqs.items():
                sent[p].extend(s)
        conn = kafka_wire.Connection(host, port)
        responses = []
        expecting = [c for c, acks, _, _ in plan if acks != 0]

        def receive():
            for _ in expecting:
                responses.append(kafka_wire.parse_produce_response(conn.receive()))

        reader = threading.Thread(target=receive)
        reader.start()
        for _, _, _, frame in plan:
            conn.send(frame)
        reader.join(120)
        conn.close()
        self.assertFalse(reader.is_alive(), "responses did not all arrive")
        self.assertEqual([c for c, _ in responses], expecting, "responses out of request order")
        base_offsets = {p: [] for p in range(partitions)}
        for correlation, by_partition in responses:
            for p, (error, base) in by_partition.items():
                self.assertEqual(error, 0, f"request {correlation} partition {p}: error {error}")
                base_offsets[p].append(base)
        for p, offsets in base_offsets.items():
            self.assertEqual(offsets, sorted(offsets), f"partition {p}: base offsets not in request order")
        total = sum(len(s) for s in sent.values())
        stored = read_back(self.bootstrap, topic, partitions, total)
        for p in range(partitions):
            self.assertEqual(misplaced(stored[p]), 0, f"partition {p}: records out of order (seed {seed})")
            self.assertEqual(stored[p], sent[p], f"partition {p}: stored differs from sent (seed {seed})")
        print(f"  {total} records in {requests} requests: 0 misplaced", file=sys.stderr)

    def leader_address(self, topic):
        c = Consumer({"bootstrap.servers": self.bootstrap, "group.id": "order-md"})
        md = c.list_topics(topic, timeout=10)
        c.close()
        leaders = {p.leader for p in md.topics[topic].partitions.values()}
        # The wire client talks to one broker: move every partition there.
        leader = min(leaders)
        if len(leaders) > 1:
            raise unittest.SkipTest("partitions led by several brokers")
        b = md.brokers[leader]
        return b.host, b.port

    def librdkafka_mixed_sizes(self, acks, configs=None):
        """The report that found the bug: 1,000 x 100 B then 1,000 x 20 KB, defaults, retries=0."""
        topic = create_topic(self.bootstrap, 1, self.rf, configs)
        p = Producer({"bootstrap.servers": self.bootstrap, "linger.ms": 5, "acks": acks, "retries": 0,
                      "message.max.bytes": 4000000})
        failures = []
        n = 2000
        for i in range(n):
            p.produce(topic, value=value_of(i, 100 if i < n // 2 else 20000), partition=0,
                      on_delivery=lambda err, m: err and failures.append(err))
            p.poll(0)
        self.assertEqual(p.flush(60), 0)
        self.assertEqual(failures, [])
        stored = read_back(self.bootstrap, topic, 1, n)[0]
        self.assertEqual(misplaced(stored), 0, "records out of order")
        self.assertEqual(stored, list(range(n)))

    def kafka_python_mixed_sizes(self):
        from kafka import KafkaProducer
        topic = create_topic(self.bootstrap, 2, self.rf)
        rng = random.Random(7)
        p = KafkaProducer(bootstrap_servers=self.bootstrap, acks=1, linger_ms=2, retries=0,
                          max_in_flight_requests_per_connection=5, max_request_size=4000000,
                          batch_size=256 * 1024, api_version=(2, 5))
        futures = []
        n = 600
        for i in range(n):
            futures.append(p.send(topic, value=value_of(i, random_size(rng)), partition=i % 2))
        p.flush(60)
        for f in futures:
            f.get(timeout=30)
        p.close()
        stored = read_back(self.bootstrap, topic, 2, n)
        for part in range(2):
            self.assertEqual(misplaced(stored[part]), 0, f"partition {part}: records out of order")
            self.assertEqual(stored[part], list(range(part, n, 2)))


class SingleBrokerOrderTest(OrderChecks, unittest.TestCase):
    rf = 1
    acks_choices = (0, 1, -1)

    @classmethod
    def setUpClass(cls):
        cls.broker = Broker(shards=2, extra=BROKER_LIMITS).start()
        cls.bootstrap = cls.broker.bootstrap

    @classmethod
    def tearDownClass(cls):
        code = cls.broker.stop()
        assert code == 0, f"broker exited with {code}:\n{cls.broker.log_text()[-3000:]}"
        cls.broker.cleanup()

    def test_pipelined_requests_of_random_sizes_partitions_and_acks_land_in_request_order(self):
        self.pipelined_wire_client(seed=int(os.environ.get("RILL_ORDER_SEED", "1401")), requests=250)

    def test_librdkafka_defaults_with_mixed_record_sizes_keep_order(self):
        self.librdkafka_mixed_sizes("1")

    def test_kafka_python_with_random_record_sizes_keeps_order(self):
        self.kafka_python_mixed_sizes()


class ReplicatedOrderTest(OrderChecks, unittest.TestCase):
    rf = 3
    acks_choices = (1, -1)

    @classmethod
    def setUpClass(cls):
        cls.cluster = Cluster(brokers=3, broker_extra=BROKER_LIMITS).start()
        cls.bootstrap = cls.cluster.bootstrap

    @classmethod
    def tearDownClass(cls):
        codes = cls.cluster.stop()
        assert codes == [0, 0, 0, 0], f"exit codes {codes}:\n{cls.cluster.logs()}"
        cls.cluster.cleanup()

    def test_librdkafka_acks_all_with_mixed_record_sizes_keeps_order(self):
        self.librdkafka_mixed_sizes("all", {"min.insync.replicas": "2"})

    def test_pipelined_acks_1_and_all_requests_land_in_request_order(self):
        self.pipelined_wire_client(seed=int(os.environ.get("RILL_ORDER_SEED", "1402")), requests=120,
                                   partitions=1)


if __name__ == "__main__":
    unittest.main()
