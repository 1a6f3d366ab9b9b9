"""Partition reassignment (KIP-455) on a 4-broker cluster, driven as an
operator does with `rill reassign` (AlterPartitionReassignments and
ListPartitionReassignments) while librdkafka keeps producing with
acks=all: a partition moves off its leader's broker onto a new one, another
changes its replication factor, every acknowledged record is still there in
order afterwards, the old replica's data is deleted, a stuck reassignment
is listed and cancelled, a broker can be drained, and the catch-up of an
added replica keeps to leader.replication.throttled.rate."""
import json
import os
import subprocess
import sys
import threading
import time
import unittest
import uuid

from confluent_kafka import Consumer, KafkaError, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

sys.path.insert(0, os.path.dirname(__file__))
from rill_cluster import RILL, Cluster, make_test_dir, remove_test_dir  # noqa: E402
from test_consumer_groups import broker_count, partition_state, wait_until  # noqa: E402


class ContinuousProducer(threading.Thread):
    """acks=all records "p:n" to each partition until stopped; keeps what was acknowledged."""

    def __init__(self, bootstrap, topic, partitions):
        super().__init__(daemon=True)
        self.producer = Producer({"bootstrap.servers": bootstrap, "acks": "all", "linger.ms": 2,
                                  "enable.idempotence": True, "message.timeout.ms": 60000})
        self.topic, self.partitions = topic, partitions
        self.acked = {p: [] for p in range(partitions)}
        self.failed = 0
        self.stopping = threading.Event()

    def on_delivery(self, err, msg):
        if err is None:
            self.acked[msg.partition()].append(msg.value().decode())
        else:
            self.failed += 1

    def run(self):
        n = 0
        while not self.stopping.is_set():
            for p in range(self.partitions):
                self.producer.produce(self.topic, value=f"{p}:{n}".encode(), partition=p,
                                      on_delivery=self.on_delivery)
            n += 1
            self.producer.poll(0.005)
        self.producer.flush(60)


def read_partition(bootstrap, topic, partition, expected, timeout_s=60):
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "reassign-check", "enable.auto.commit": False,
                  "enable.partition.eof": True})
    c.assign([TopicPartition(topic, partition, -2)])
    out, deadline = [], time.time() + timeout_s
    while len(out) < expected and time.time() < deadline:
        m = c.poll(0.5)
        if m is None or (m.error() and m.error().code() == KafkaError._PARTITION_EOF):
            continue
        if m.error():
            raise AssertionError(str(m.error()))
        out.append(m.value().decode())
    c.close()
    return out


class ReassignmentTest(unittest.TestCase):
    def setUp(self):
        self.cluster = Cluster(brokers=4, controller_extra=["--session.timeout.ms=3000"],
                               broker_extra=["--heartbeat.interval.ms=100",
                                             "--replica.lag.time.max.ms=3000"]).start()
        self.work = make_test_dir("rill-reassign-")

    def tearDown(self):
        self.cluster.stop()
        self.cluster.cleanup()
        remove_test_dir(self.work)

    def reassign(self, *args, timeout=60):
        return subprocess.run([RILL, "reassign", *args, f"--bootstrap={self.cluster.bootstrap}"],
                              capture_output=True, text=True, timeout=timeout)

    def write_plan(self, name, partitions):
        path = os.path.join(self.work, name)
        with open(path, "w") as f:
            json.dump({"version": 1, "partitions": [{"topic": t, "partition": p, "replicas": r}
                                                    for t, p, r in partitions]}, f)
        return path

    def test_moves_under_load_lose_nothing_and_stuck_moves_cancel(self):
        admin = AdminClient({"bootstrap.servers": self.cluster.bootstrap})
        wait_until(lambda: broker_count(admin) == 4, what="4 brokers")
        topic = f"moving-{uuid.uuid4().hex[:6]}"
        admin.create_topics([NewTopic(topic, num_partitions=2, replica_assignment=[[1, 2, 3], [2, 3, 1]])])[topic].result(30)
        wait_until(lambda: len(partition_state(admin, topic, 0)[1]) == 3 and
                   len(partition_state(admin, topic, 1)[1]) == 3, what="full ISRs")
        producer = ContinuousProducer(self.cluster.bootstrap, topic, 2)
        producer.start()
        time.sleep(2)

        # Partition 0 leaves broker 1 (its leader) for broker 4; partition 1 goes to RF 2.
        plan = self.write_plan("plan.json", [(topic, 0, [2, 3, 4]), (topic, 1, [3, 4])])
        r = self.reassign("execute", f"--file={plan}")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(f"{topic}-0: reassignment started", r.stdout)
        wait_until(lambda: self.reassign("verify", f"--file={plan}").returncode == 0, timeout_s=60,
                   what="the plan complete")
        time.sleep(2)
        producer.stopping.set()
        producer.join(90)
        self.assertEqual(producer.failed, 0)
        self.assertEqual(partition_state(admin, topic, 0)[0] in (2, 3, 4), True)
        md = admin.list_topics(topic, timeout=10).topics[topic].partitions
        self.assertEqual(list(md[0].replicas), [2, 3, 4])
        self.assertEqual(list(md[1].replicas), [3, 4])
        self.assertTrue(set(md[0].isrs) <= {2, 3, 4})
        # Every acknowledged record, in order, once the moves are done.
        for p in (0, 1):
            acked = producer.acked[p]
            self.assertGreater(len(acked), 100)
            got = read_partition(self.cluster.bootstrap, topic, p, len(acked))
            self.assertEqual(got[:len(acked)], acked, f"partition {p}")
        # The replica that left deletes its data; the new one has it.
        b1 = os.path.join(self.cluster.brokers[0].data_dir, "data", f"{topic}-0")
        b4 = os.path.join(self.cluster.brokers[3].data_dir, "data", f"{topic}-0")
        wait_until(lambda: not os.path.exists(b1), what="broker 1's replica deleted")
        self.assertTrue(os.path.isdir(b4))
        self.assertIn("no reassignment in progress", self.reassign("list").stdout)

        # Draining broker 3: the proposed plan keeps every partition's size, without broker 3.
        r = self.reassign("generate", f"--topics={topic}", "--drain-broker=3", "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        drained = json.loads(r.stdout)["partitions"]
        self.assertEqual(sorted(p["partition"] for p in drained), [0, 1])
        for p in drained:
            self.assertNotIn(3, p["replicas"])
            self.assertEqual(len(set(p["replicas"])), len(p["replicas"]))
        plan = self.write_plan("drain.json", [(p["topic"], p["partition"], p["replicas"]) for p in drained])
        self.assertEqual(self.reassign("execute", f"--file={plan}").returncode, 0)
        wait_until(lambda: self.reassign("verify", f"--file={plan}").returncode == 0, timeout_s=60,
                   what="broker 3 drained")

        # A move onto a dead broker cannot finish: it is listed, then cancelled.
        self.cluster.brokers[2].kill9()  # broker 3, drained above
        wait_until(lambda: broker_count(admin) == 3, timeout_s=30, what="broker 3 fenced")
        before = list(admin.list_topics(topic, timeout=10).topics[topic].partitions[1].replicas)
        stuck = self.write_plan("stuck.json", [(topic, 1, before + [3])])
        self.assertEqual(self.reassign("execute", f"--file={stuck}").returncode, 0)
        listed = json.loads(self.reassign("list", "--json").stdout)
        self.assertEqual(listed, [{"topic": topic, "partition": 1, "replicas": before + [3],
                                   "adding": [3], "removing": []}])
        self.assertNotEqual(self.reassign("verify", f"--file={stuck}").returncode, 0)
        r = self.reassign("cancel", f"--file={stuck}")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(json.loads(self.reassign("list", "--json").stdout), [])
        md = admin.list_topics(topic, timeout=10).topics[topic].partitions
        self.assertEqual(sorted(md[1].replicas), sorted(before))
        # A second cancel has nothing to cancel; a plan naming an unknown broker is refused.
        r = self.reassign("cancel", f"--file={stuck}")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("no reassignment in progress", r.stderr)
        bad = self.write_plan("bad.json", [(topic, 0, [2, 99])])
        r = self.reassign("execute", f"--file={bad}")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("invalid replica assignment", r.stderr)



class ThrottledReassignmentTest(unittest.TestCase):
    RATE = 1_000_000  # bytes/s, split between the leader's two shards

    def test_catch_up_of_an_added_replica_is_throttled_and_complete(self):
        cluster = Cluster(brokers=3, controller_extra=["--session.timeout.ms=3000"],
                          broker_extra=["--heartbeat.interval.ms=100",
                                        f"--leader.replication.throttled.rate={self.RATE}"]).start()
        work = make_test_dir("rill-throttle-")
        try:
            admin = AdminClient({"bootstrap.servers": cluster.bootstrap})
            wait_until(lambda: broker_count(admin) == 3, what="3 brokers")
            topic = f"throttled-{uuid.uuid4().hex[:6]}"
            admin.create_topics([NewTopic(topic, num_partitions=1, replica_assignment=[[1]])])[topic].result(30)
            wait_until(lambda: partition_state(admin, topic)[0] == 1, what="a leader")
            p = Producer({"bootstrap.servers": cluster.bootstrap, "acks": "all", "linger.ms": 5})
            values = [f"{i}:".encode() + bytes([65 + i % 26]) * 4000 for i in range(1000)]  # about 4 MB
            for v in values:
                p.produce(topic, value=v, partition=0)
                p.poll(0)
            self.assertEqual(p.flush(60), 0)
            plan = os.path.join(work, "plan.json")
            with open(plan, "w") as f:
                json.dump({"version": 1, "partitions": [{"topic": topic, "partition": 0, "replicas": [1, 3]}]}, f)
            started = time.time()
            r = subprocess.run([RILL, "reassign", "execute", f"--file={plan}", f"--bootstrap={cluster.bootstrap}"],
                               capture_output=True, text=True, timeout=60)
            self.assertEqual(r.returncode, 0, r.stderr)

            def verified():
                return subprocess.run([RILL, "reassign", "verify", f"--file={plan}",
                                       f"--bootstrap={cluster.bootstrap}"],
                                      capture_output=True, timeout=60).returncode == 0
            wait_until(verified, timeout_s=90, what="the throttled move complete")
            took = time.time() - started
            # 4 MB at the leader shard's 0.5 MB/s, less one second of burst.
            self.assertGreater(took, 4.0, f"a 4 MB catch-up took {took:.1f} s at {self.RATE} B/s")
            # The new replica has everything: it serves all of it alone.
            cluster.brokers[0].kill9()
            wait_until(lambda: partition_state(admin, topic)[0] == 3, timeout_s=30, what="broker 3 leads")
            got = read_partition(cluster.bootstrap, topic, 0, len(values))
            self.assertEqual(len(got), len(values))
            self.assertEqual(got, [v.decode() for v in values])
        finally:
            cluster.stop()
            cluster.cleanup()
            remove_test_dir(work)


if __name__ == "__main__":
    unittest.main()
