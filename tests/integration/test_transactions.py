"""Transactions (KIP-98) with a real client, librdkafka (confluent-kafka), on
a 3-broker cluster: committed transactions are read by read_committed
consumers, aborted ones never, and read_uncommitted consumers see both; a
read_committed consumer stops at the last stable offset of an open
transaction; consume-transform-produce commits its input offsets with its
output (send_offsets_to_transaction) and an abort leaves both untouched; a
second producer with the same transactional.id fences the first and aborts
what it left open; a transaction past its timeout is aborted by the
coordinator; a broker restarted while a transaction is open keeps it
open; the coordinator's broker killed with -9 loses nothing committed and
its successor finishes a decided transaction."""
import os
import sys
import time
import unittest
import uuid

from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

sys.path.insert(0, os.path.dirname(__file__))
from rill_cluster import Broker, Cluster  # noqa: E402
from test_cluster import wait_until  # noqa: E402

BROKER = ["--group.initial.rebalance.delay.ms=0",
          "--transaction.abort.timed.out.transaction.cleanup.interval.ms=500",
          "--transaction.state.log.num.partitions=4", "--offsets.topic.num.partitions=4"]


def create_topic(bootstrap, name, partitions, rf=3):
    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(name, partitions, rf)])[name].result(30)


def txn_producer(bootstrap, txn_id, **extra):
    p = Producer({"bootstrap.servers": bootstrap, "transactional.id": txn_id,
                  "linger.ms": 2, **extra})
    p.init_transactions(30)
    return p


def read_all(bootstrap, topic, partitions, isolation, expect=None, timeout_s=20, group=None):
    """Every record of topic as (partition, offset, value), read from the
    start with the given isolation level until expect records (or until the
    consumer has been idle at every partition's end for a second)."""
    conf = {"bootstrap.servers": bootstrap, "group.id": group or f"read-{uuid.uuid4().hex[:6]}",
            "isolation.level": isolation, "auto.offset.reset": "earliest",
            "enable.auto.commit": False, "enable.partition.eof": True, "fetch.wait.max.ms": 50}
    c = Consumer(conf)
    c.assign([TopicPartition(topic, p, 0) for p in range(partitions)])
    out, at_end = [], set()
    deadline = time.time() + timeout_s
    idle_since = None
    while time.time() < deadline:
        m = c.poll(0.2)
        if m is None:
            if expect is None and len(at_end) == partitions:
                idle_since = idle_since or time.time()
                if time.time() - idle_since > 1.0:
                    break
            continue
        if m.error():
            if m.error().code() == KafkaError._PARTITION_EOF:
                at_end.add(m.partition())
                continue
            raise AssertionError(f"consumer error: {m.error()}")
        idle_since = None
        at_end.discard(m.partition())
        out.append((m.partition(), m.offset(), m.value().decode()))
        if expect is not None and len(out) >= expect:
            break
    c.close()
    return out


def values(records):
    return sorted(v for _, _, v in records)


def per_partition_in_order(records):
    by = {}
    for p, o, v in records:
        by.setdefault(p, []).append((o, v))
    return all([o for o, _ in r] == sorted(o for o, _ in r) for r in by.values())


class TransactionTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.cluster = Cluster(brokers=3, broker_extra=BROKER).start()
        cls.bootstrap = cls.cluster.bootstrap

    @classmethod
    def tearDownClass(cls):
        cls.cluster.stop()
        cls.cluster.cleanup()

    def topic(self, partitions=3):
        name = f"tx-{uuid.uuid4().hex[:8]}"
        create_topic(self.bootstrap, name, partitions)
        return name

    def test_committed_and_aborted_transactions(self):
        topic = self.topic()
        p = txn_producer(self.bootstrap, f"tx-{uuid.uuid4().hex[:6]}")
        sizes = [10, 300, 5000, 100000]  # mixed record sizes in each transaction
        for round_, outcome in enumerate(["commit", "abort", "commit", "abort", "commit"]):
            p.begin_transaction()
            for i in range(30):
                body = f"{outcome}-{round_}-{i}-".ljust(sizes[i % len(sizes)], "x")
                p.produce(topic, value=body, partition=i % 3)
            p.flush(30)  # sent before the outcome: an abort must drop them on the brokers
            if outcome == "commit":
                p.commit_transaction(30)
            else:
                p.abort_transaction(30)
        committed = read_all(self.bootstrap, topic, 3, "read_committed", expect=90)
        self.assertEqual(len(committed), 90)
        self.assertTrue(all(v.startswith("commit-") for _, _, v in committed))
        self.assertTrue(per_partition_in_order(committed))
        everything = read_all(self.bootstrap, topic, 3, "read_uncommitted", expect=150)
        self.assertEqual(len(everything), 150, "read_uncommitted reads aborted records too")
        # Each transaction left one marker per partition: offsets skip them.
        last = max(o for p_, o, _ in everything if p_ == 0)
        self.assertEqual(last, 50 + 5 - 1 - 1, "50 records and 5 markers on partition 0")
        self.assertEqual(len(read_all(self.bootstrap, topic, 3, "read_committed")), 90,
                         "nothing more appears once the consumer reaches the end")

    def test_open_transaction_holds_back_read_committed(self):
        topic = self.topic(1)
        p = txn_producer(self.bootstrap, f"tx-{uuid.uuid4().hex[:6]}")
        p.begin_transaction()
        for i in range(5):
            p.produce(topic, value=f"early-{i}", partition=0)
        p.flush(10)
        plain = Producer({"bootstrap.servers": self.bootstrap, "acks": "all"})
        for i in range(5):
            plain.produce(topic, value=f"plain-{i}", partition=0)
        plain.flush(10)
        self.assertEqual(len(read_all(self.bootstrap, topic, 1, "read_committed", timeout_s=4)), 0,
                         "the open transaction's first offset is the last stable offset")
        self.assertEqual(len(read_all(self.bootstrap, topic, 1, "read_uncommitted", expect=10)), 10)
        p.commit_transaction(30)
        got = read_all(self.bootstrap, topic, 1, "read_committed", expect=10)
        self.assertEqual([v for _, _, v in got],
                         [f"early-{i}" for i in range(5)] + [f"plain-{i}" for i in range(5)])

    def test_consume_transform_produce_commits_offsets_with_output(self):
        source, sink = self.topic(2), self.topic(2)
        plain = Producer({"bootstrap.servers": self.bootstrap, "acks": "all"})
        for i in range(40):
            plain.produce(source, value=f"in-{i}", partition=i % 2)
        plain.flush(10)
        group = f"etl-{uuid.uuid4().hex[:6]}"
        consumer = Consumer({"bootstrap.servers": self.bootstrap, "group.id": group,
                             "auto.offset.reset": "earliest", "enable.auto.commit": False,
                             "isolation.level": "read_committed", "session.timeout.ms": 6000})
        consumer.subscribe([source])
        p = txn_producer(self.bootstrap, f"etl-{uuid.uuid4().hex[:6]}")

        def one_batch(commit):
            batch = []
            deadline = time.time() + 20
            while len(batch) < 20 and time.time() < deadline:
                m = consumer.poll(0.5)
                if m is not None and not m.error():
                    batch.append(m)
            self.assertEqual(len(batch), 20)
            p.begin_transaction()
            for m in batch:
                p.produce(sink, value=m.value().decode().replace("in-", "out-"),
                          partition=m.partition())
            p.send_offsets_to_transaction(consumer.position(consumer.assignment()),
                                          consumer.consumer_group_metadata(), 30)
            if commit:
                p.commit_transaction(30)
            else:
                p.abort_transaction(30)
                # Rewind to what the group committed, as an application does.
                committed = consumer.committed(consumer.assignment(), 10)
                for tp in committed:
                    consumer.seek(TopicPartition(tp.topic, tp.partition,
                                                 tp.offset if tp.offset >= 0 else 0))

        one_batch(True)
        one_batch(False)
        one_batch(True)
        out = read_all(self.bootstrap, sink, 2, "read_committed", expect=40)
        self.assertEqual(values(out), sorted(f"out-{i}" for i in range(40)),
                         "every input once in the committed output")
        committed = consumer.committed([TopicPartition(source, 0), TopicPartition(source, 1)], 10)
        self.assertEqual(sum(tp.offset for tp in committed), 40,
                         "the group's offsets moved with the committed transactions only")
        consumer.close()

    def test_new_instance_fences_the_old_and_aborts_its_transaction(self):
        topic = self.topic(1)
        txn_id = f"fence-{uuid.uuid4().hex[:6]}"
        old = txn_producer(self.bootstrap, txn_id)
        old.begin_transaction()
        for i in range(5):
            old.produce(topic, value=f"zombie-{i}", partition=0)
        old.flush(10)
        new = txn_producer(self.bootstrap, txn_id)  # aborts the open transaction
        new.begin_transaction()
        new.produce(topic, value="fresh", partition=0)
        new.commit_transaction(30)
        with self.assertRaises(KafkaException) as caught:
            old.produce(topic, value="late", partition=0)
            old.commit_transaction(10)
        self.assertTrue(caught.exception.args[0].fatal() or
                        caught.exception.args[0].txn_requires_abort(),
                        f"the old instance is fenced: {caught.exception}")
        got = read_all(self.bootstrap, topic, 1, "read_committed", expect=1)
        self.assertEqual([v for _, _, v in got], ["fresh"])
        self.assertEqual(len(read_all(self.bootstrap, topic, 1, "read_committed")), 1)

    def test_a_transaction_past_its_timeout_is_aborted(self):
        topic = self.topic(1)
        p = txn_producer(self.bootstrap, f"slow-{uuid.uuid4().hex[:6]}",
                         **{"transaction.timeout.ms": 2000})
        p.begin_transaction()
        p.produce(topic, value="too-slow", partition=0)
        p.flush(10)
        plain = Producer({"bootstrap.servers": self.bootstrap, "acks": "all"})
        plain.produce(topic, value="after", partition=0)
        plain.flush(10)
        # The coordinator aborts it; the last stable offset moves past it.
        got = read_all(self.bootstrap, topic, 1, "read_committed", expect=1, timeout_s=20)
        self.assertEqual([v for _, _, v in got], ["after"])
        with self.assertRaises(KafkaException):
            p.commit_transaction(10)


class RestartTest(unittest.TestCase):
    def test_an_open_transaction_survives_a_restart(self):
        """A broker stopped while a transaction is open keeps it open: its
        checkpoint (open-transactions beside the log) names the
        transaction's first offset, and read_committed holds there until
        the commit."""
        with Broker(extra=["--transaction.state.log.num.partitions=1"]) as b:
            topic = f"tx-{uuid.uuid4().hex[:8]}"
            create_topic(b.bootstrap, topic, 1, rf=1)
            plain = Producer({"bootstrap.servers": b.bootstrap})
            plain.produce(topic, value=b"before", partition=0)
            plain.flush(10)
            p = txn_producer(b.bootstrap, f"restart-{uuid.uuid4().hex[:6]}",
                             **{"transaction.timeout.ms": 120000})
            p.begin_transaction()
            for i in range(5):
                p.produce(topic, value=f"open-{i}".encode(), partition=0)
            p.flush(10)
            b.stop()
            with open(os.path.join(b.data_dir, "data", f"{topic}-0", "open-transactions")) as f:
                version, log_end, count, _producer, first = f.read().split()
            self.assertEqual((version, log_end, count, first), ("0", "6", "1", "1"))
            b.start()
            got = read_all(b.bootstrap, topic, 1, "read_committed", timeout_s=4)
            self.assertEqual([v for _, _, v in got], ["before"], "held at the open transaction")
            p.commit_transaction(30)
            got = read_all(b.bootstrap, topic, 1, "read_committed", expect=6)
            self.assertEqual([v for _, _, v in got], ["before"] + [f"open-{i}" for i in range(5)])


class CoordinatorFailoverTest(unittest.TestCase):
    def test_coordinator_killed_loses_nothing_committed(self):
        with Cluster(brokers=3, broker_extra=BROKER) as cluster:
            topic = f"tx-{uuid.uuid4().hex[:8]}"
            create_topic(cluster.bootstrap, topic, 3)
            txn_id = f"failover-{uuid.uuid4().hex[:6]}"
            p = txn_producer(cluster.bootstrap, txn_id)
            for round_ in range(3):
                p.begin_transaction()
                for i in range(20):
                    p.produce(topic, value=f"before-{round_}-{i}", partition=i % 3)
                p.commit_transaction(30)
            # The broker that coordinates txn_id: the one FindCoordinator names.
            admin = AdminClient({"bootstrap.servers": cluster.bootstrap})
            md = admin.list_topics("__transaction_state", timeout=10)
            leaders = {part.leader for part in md.topics["__transaction_state"].partitions.values()}
            self.assertTrue(leaders)
            victim = next(b for b in cluster.brokers if b.broker_id in leaders)
            victim.kill9()
            p2 = txn_producer(",".join(b.bootstrap for b in cluster.brokers if b is not victim),
                              txn_id)
            p2.begin_transaction()
            for i in range(20):
                p2.produce(topic, value=f"after-{i}", partition=i % 3)
            p2.commit_transaction(60)
            got = read_all(",".join(b.bootstrap for b in cluster.brokers if b is not victim),
                           topic, 3, "read_committed", expect=80, timeout_s=40)
            self.assertEqual(len(got), 80)
            self.assertEqual(len(set(v for _, _, v in got)), 80)


if __name__ == "__main__":
    unittest.main()
