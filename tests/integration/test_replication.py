"""Replication between three real broker processes: acks=all survives the
leader's death, a paused follower leaves and rejoins the ISR, the old
leader returns and takes leadership back, and a divergent tail is
truncated until every replica holds the same bytes."""
import glob
import os
import signal
import struct
import sys
import time
import unittest
import uuid

sys.path.insert(0, os.path.dirname(__file__))
from rill_cluster import Cluster  # noqa: E402
from test_cluster import wait_until  # noqa: E402
from test_kafka_clients import consume_all, produce_all  # noqa: E402

from confluent_kafka import Producer  # noqa: E402
from confluent_kafka.admin import AdminClient, NewTopic  # noqa: E402


def partition_state(bootstrap, topic, p=0):
    md = AdminClient({"bootstrap.servers": bootstrap}).list_topics(topic, timeout=10)
    part = md.topics[topic].partitions[p]
    return part.leader, list(part.replicas), sorted(part.isrs)


def log_bytes(broker, topic, p=0):
    """The valid batches of a replica's log, concatenated."""
    out = b""
    for path in sorted(glob.glob(os.path.join(broker.data_dir, "data", f"{topic}-{p}", "*.log"))):
        with open(path, "rb") as f:
            data = f.read()
        at = 0
        while at + 61 <= len(data):
            length = struct.unpack(">i", data[at + 8:at + 12])[0]
            if length <= 0:
                break
            out += data[at:at + 12 + length]
            at += 12 + length
    return out


class ReplicationTest(unittest.TestCase):
    def start(self, session_ms=3000, lag_ms=2000, extra=()):
        self.cluster = Cluster(
            controller_extra=[f"--session.timeout.ms={session_ms}", "--leader.imbalance.check.interval.ms=500"],
            broker_extra=[f"--replica.lag.time.max.ms={lag_ms}", "--heartbeat.interval.ms=100", *extra]).start()
        wait_until(lambda: len(AdminClient({"bootstrap.servers": self.cluster.bootstrap})
                              .list_topics(timeout=10).brokers) == 3, what="3 brokers")

    def tearDown(self):
        for b in self.cluster.brokers:
            if b.proc and b.proc.poll() is None:
                b.proc.send_signal(signal.SIGCONT)
        self.cluster.stop()

    def create(self, configs=None):
        t = f"r-{uuid.uuid4().hex[:8]}"
        admin = AdminClient({"bootstrap.servers": self.cluster.bootstrap})
        admin.create_topics([NewTopic(t, num_partitions=1, replication_factor=3, config=configs or {})])[t].result(15)
        wait_until(lambda: partition_state(self.cluster.bootstrap, t)[2] == [1, 2, 3], what="full ISR")
        return t

    def broker(self, broker_id):
        return self.cluster.brokers[broker_id - 1]

    def test_acks_all_survives_the_leader_dying_and_the_old_leader_returns(self):
        self.start()
        t = self.create()
        records = [(None, f"{i}".encode(), None, 0) for i in range(3000)]
        reports = produce_all(self.cluster.bootstrap, t, records, acks="all", **{"enable.idempotence": True})
        acked = {r[2]: r[4] for r in reports if r[0] is None}
        self.assertEqual(len(acked), 3000)
        old_leader, replicas, _ = partition_state(self.cluster.bootstrap, t)
        self.broker(old_leader).kill9()
        killed_at = time.time()
        p = Producer({"bootstrap.servers": self.cluster.bootstrap, "acks": "all", "message.timeout.ms": 20000})
        delivered = []
        while not delivered and time.time() - killed_at < 20:
            p.produce(t, value=b"after", partition=0,
                      on_delivery=lambda err, msg: delivered.append(msg.offset()) if err is None else None)
            p.flush(5)
        failover_s = time.time() - killed_at
        print(f"\nfailover: kill -9 of the leader to first acks=all produce: {failover_s * 1000:.0f} ms")
        self.assertTrue(delivered, "no acks=all produce succeeded after the leader died")
        new_leader = partition_state(self.cluster.bootstrap, t)[0]
        self.assertNotEqual(new_leader, old_leader)
        msgs = consume_all(self.cluster.bootstrap, t, [0], 3001)
        got = {m.offset(): m.value() for m in msgs}
        for offset, value in acked.items():
            self.assertEqual(got.get(offset), value, f"acknowledged offset {offset} lost")
        # The old leader returns, catches up, rejoins the ISR and, being the
        # preferred replica, leads again.
        self.broker(old_leader).start()
        wait_until(lambda: partition_state(self.cluster.bootstrap, t)[2] == [1, 2, 3], timeout_s=30,
                   what="old leader back in the ISR")
        if replicas[0] == old_leader:
            wait_until(lambda: partition_state(self.cluster.bootstrap, t)[0] == old_leader, timeout_s=30,
                       what="preferred leader restored")

    def test_acks_all_through_a_lossy_delaying_replication_link(self):
        seed = int(time.time()) % 100000
        print(f"\nreplication transport faults: seed {seed} (drop 5%, delay up to 20 ms)")
        self.start(lag_ms=5000, extra=[f"--test.replication.faults={seed}:50:20"])
        t = self.create()
        records = [(None, f"{i}".encode(), None, 0) for i in range(2000)]
        reports = produce_all(self.cluster.bootstrap, t, records, acks="all", **{"enable.idempotence": True})
        self.assertTrue(all(r[0] is None for r in reports))
        msgs = consume_all(self.cluster.bootstrap, t, [0], 2000)
        self.assertEqual([m.value() for m in msgs], [r[1] for r in records])
        wait_until(lambda: len({log_bytes(b, t) for b in self.cluster.brokers}) == 1, timeout_s=30,
                   what="replicas identical byte for byte")
        self.assertTrue(any("replication transport faults on" in b.log_text() for b in self.cluster.brokers))

    def test_paused_follower_leaves_the_isr_and_rejoins(self):
        self.start(session_ms=20000, lag_ms=1500)
        t = self.create()
        leader, replicas, _ = partition_state(self.cluster.bootstrap, t)
        follower = next(r for r in replicas if r != leader)
        self.broker(follower).proc.send_signal(signal.SIGSTOP)
        try:
            wait_until(lambda: follower not in partition_state(self.cluster.bootstrap, t)[2], timeout_s=15,
                       what="paused follower out of the ISR")
            reports = produce_all(self.cluster.bootstrap, t, [(None, b"x", None, 0)] * 100, acks="all")
            self.assertTrue(all(r[0] is None for r in reports))
        finally:
            self.broker(follower).proc.send_signal(signal.SIGCONT)
        wait_until(lambda: partition_state(self.cluster.bootstrap, t)[2] == [1, 2, 3], timeout_s=15,
                   what="follower back in the ISR")

    def test_divergent_tail_is_truncated_and_replicas_converge(self):
        self.start(session_ms=20000, lag_ms=20000)
        t = self.create()
        produce_all(self.cluster.bootstrap, t, [(None, f"c{i}".encode(), None, 0) for i in range(200)], acks="all")
        leader, replicas, _ = partition_state(self.cluster.bootstrap, t)
        followers = [r for r in replicas if r != leader]
        wait_until(lambda: all(len(log_bytes(self.broker(f), t)) == len(log_bytes(self.broker(leader), t))
                               for f in followers), what="followers caught up")
        for f in followers:
            self.broker(f).proc.send_signal(signal.SIGSTOP)
        # Let the followers' in-flight fetches come back empty (max wait
        # 500 ms), so that nothing below reaches them.
        time.sleep(1.5)
        # Written on the leader alone, never committed: acks=1.
        produce_all(self.broker(leader).bootstrap, t, [(None, b"divergent", None, 0)] * 50, acks="1")
        diverged = len(log_bytes(self.broker(leader), t))
        self.broker(leader).kill9()
        for f in followers:
            self.broker(f).proc.send_signal(signal.SIGCONT)
        wait_until(lambda: partition_state(self.broker(followers[0]).bootstrap, t)[0] in followers,
                   what="a follower elected")
        produce_all(self.broker(followers[0]).bootstrap, t, [(None, f"n{i}".encode(), None, 0) for i in range(100)],
                    acks="all")
        self.broker(leader).start()
        wait_until(lambda: len({log_bytes(b, t) for b in self.cluster.brokers}) == 1, timeout_s=30,
                   what="replicas identical byte for byte")
        final = log_bytes(self.broker(leader), t)
        self.assertNotIn(b"divergent", final)
        self.assertNotEqual(len(final), diverged)
        self.assertIn("log diverged", self.broker(leader).log_text())


if __name__ == "__main__":
    unittest.main()
