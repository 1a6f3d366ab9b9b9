"""A leader's disk fails under load: leadership moves, nothing acknowledged
is lost (Kafka's log-directory failure handling).

Each broker runs with test.disk.fault.file: writing "eio" (a failed device)
or "enospc" (a full disk) into it makes every write, fsync and allocation of
that broker's partition logs fail so. An idempotent acks=all producer runs
at a steady rate throughout; the test fails the leader's disk and measures
the longest gap between acknowledgements (the hand-over), then reads
everything back. A failed disk keeps the replica out until the broker
restarts; a full disk lets it rejoin the ISR once space returns.
"""
import os
import sys
import threading
import time
import unittest
import uuid

sys.path.insert(0, os.path.dirname(__file__))
from rill_cluster import Cluster  # noqa: E402

from confluent_kafka import Consumer, KafkaError, Producer, TopicPartition  # noqa: E402
from confluent_kafka.admin import AdminClient, NewTopic  # noqa: E402

HAND_OVER_TARGET_S = 1.0
RATE_PER_S = 400


class SteadyProducer:
    """Idempotent, acks=all, one record every 1/RATE_PER_S s; remembers what was acknowledged and when."""

    def __init__(self, bootstrap, topic):
        self.topic = topic
        self.p = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True, "acks": "all",
                           "linger.ms": 1, "message.timeout.ms": 30000, "log_level": 0})
        self.acked = {}  # seq -> ack time
        self.failed = 0
        self.done = threading.Event()
        self.thread = threading.Thread(target=self.run)

    def run(self):
        seq = 0
        next_at = time.time()
        while not self.done.is_set():
            now = time.time()
            if now >= next_at:
                def report(err, _msg, seq=seq):
                    if err is None:
                        self.acked[seq] = time.time()
                    else:
                        self.failed += 1
                self.p.produce(self.topic, value=b"%09d" % seq + b"d" * 200, partition=0, on_delivery=report)
                seq += 1
                next_at += 1.0 / RATE_PER_S
            self.p.poll(0.001)
        self.p.flush(30)

    def longest_gap(self, since, until):
        times = sorted(t for t in self.acked.values() if since <= t <= until)
        return max((b - a for a, b in zip(times, times[1:])), default=until - since)


def partition_state(bootstrap, topic):
    admin = AdminClient({"bootstrap.servers": bootstrap})
    md = admin.list_topics(topic, timeout=10)
    p = md.topics[topic].partitions[0]
    return p.leader, sorted(p.isrs)


def read_all(bootstrap, topic, expected_min, timeout_s=60):
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "disk-check", "enable.auto.commit": False,
                  "enable.partition.eof": True})
    c.assign([TopicPartition(topic, 0, 0)])
    seen = []
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        m = c.poll(0.5)
        if m is None:
            continue
        if m.error():
            if m.error().code() == KafkaError._PARTITION_EOF and len(seen) >= expected_min:
                break
            continue
        seen.append(int(m.value()[:9]))
    c.close()
    return seen


class DiskFailureTest(unittest.TestCase):
    def run_fault(self, kind):
        cluster = Cluster(brokers=3)
        for b in cluster.brokers:
            b.fault_file = os.path.join(b.data_dir, "disk-fault")
            b.extra.append(f"--test.disk.fault.file={b.fault_file}")
        cluster.start()
        try:
            topic = f"disk-{kind}-{uuid.uuid4().hex[:6]}"
            admin = AdminClient({"bootstrap.servers": cluster.bootstrap})
            admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=3,
                                          config={"min.insync.replicas": "2"})])[topic].result(30)
            producer = SteadyProducer(cluster.bootstrap, topic)
            producer.thread.start()
            time.sleep(2.0)
            leader, isr = partition_state(cluster.bootstrap, topic)
            self.assertEqual(isr, [1, 2, 3])
            failed = next(b for b in cluster.brokers if b.broker_id == leader)
            with open(failed.fault_file, "w") as f:
                f.write(kind)
            injected = time.time()
            new_leader = leader
            while new_leader == leader and time.time() < injected + 10:
                time.sleep(0.02)
                new_leader, isr = partition_state(cluster.bootstrap, topic)
            elected = time.time() - injected
            time.sleep(3.0)
            gap = producer.longest_gap(injected - 1.0, time.time())
            leader_after, isr_after = partition_state(cluster.bootstrap, topic)
            rejoined = None
            if kind == "enospc":
                os.remove(failed.fault_file)
                freed = time.time()
                while failed.broker_id not in isr_after and time.time() < freed + 20:
                    time.sleep(0.1)
                    _, isr_after = partition_state(cluster.bootstrap, topic)
                rejoined = time.time() - freed
            time.sleep(1.0)
            producer.done.set()
            producer.thread.join(60)
            acked = sorted(producer.acked)
            stored = read_all(cluster.bootstrap, topic, len(acked))
            lost = sorted(set(acked) - set(stored))
            print(f"\n  {kind} on leader {leader}: new leader {new_leader} after {elected * 1000:.0f} ms, "
                  f"longest acknowledgement gap {gap * 1000:.0f} ms (target {HAND_OVER_TARGET_S * 1000:.0f}), "
                  f"ISR then {isr}, {len(acked)} acknowledged, {len(lost)} lost"
                  + (f", back in the ISR {rejoined:.1f} s after space returned" if rejoined is not None else ""),
                  file=sys.stderr)
            self.assertNotEqual(new_leader, leader, cluster.logs())
            self.assertNotIn(leader, isr, "the failed replica stays in the ISR")
            self.assertEqual(lost, [], f"acknowledged records lost: {lost[:10]}")
            self.assertEqual(stored, sorted(stored), "records out of order")
            self.assertLessEqual(gap, HAND_OVER_TARGET_S * 1.5, "hand-over slower than the target")
            if kind == "enospc":
                self.assertIn(failed.broker_id, isr_after, "the replica did not rejoin once space returned")
            else:
                self.assertNotIn(failed.broker_id, isr_after, "a failed log came back without a restart")
                self.assertIn("reports its replica offline", cluster.controller.log_text())
        finally:
            codes = cluster.stop()
            cluster.cleanup()
        self.assertEqual(codes, [0, 0, 0, 0])

    def test_a_leader_whose_disk_fails_hands_over_and_loses_nothing(self):
        self.run_fault("eio")

    def test_a_leader_whose_disk_fills_hands_over_and_rejoins_when_space_returns(self):
        self.run_fault("enospc")


if __name__ == "__main__":
    unittest.main()
