"""A controller and three brokers as real processes: registration,
metadata propagation, broker death and return, controller restart,
controlled shutdown."""
import os
import sys
import time
import unittest
import uuid

sys.path.insert(0, os.path.dirname(__file__))
from rill_cluster import Cluster  # noqa: E402
from test_kafka_clients import consume_all, produce_all  # noqa: E402

from confluent_kafka.admin import AdminClient, NewTopic  # noqa: E402

SESSION_MS = 1500


def wait_until(predicate, timeout_s=20, what="condition", step=0.1):
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    raise AssertionError(f"timed out waiting for {what}")


def leaders(bootstrap, topic):
    md = AdminClient({"bootstrap.servers": bootstrap}).list_topics(topic, timeout=10)
    return {p.id: p.leader for p in md.topics[topic].partitions.values()}


class ClusterTest(unittest.TestCase):
    def setUp(self):
        self.cluster = Cluster(controller_extra=[f"--session.timeout.ms={SESSION_MS}",
                                                 "--leader.imbalance.check.interval.ms=500"]).start()
        wait_until(lambda: len(AdminClient({"bootstrap.servers": self.cluster.bootstrap})
                              .list_topics(timeout=10).brokers) == 3, what="3 brokers registered")

    def tearDown(self):
        codes = self.cluster.stop()
        self.assertTrue(all(c in (0, -9) for c in codes), f"exit codes {codes}\n{self.cluster.logs()}")

    def create(self, partitions=6):
        t = f"c-{uuid.uuid4().hex[:8]}"
        admin = AdminClient({"bootstrap.servers": self.cluster.bootstrap})
        admin.create_topics([NewTopic(t, num_partitions=partitions, replication_factor=1)])[t].result(15)
        return t

    def test_partitions_spread_over_brokers_and_every_broker_serves_metadata(self):
        t = self.create(6)
        for b in self.cluster.brokers:
            got = wait_until(lambda: leaders(b.bootstrap, t), what="metadata on every broker")
            self.assertEqual(sorted(got.values()), [1, 1, 2, 2, 3, 3])
        records = [(None, f"{p}:{i}".encode(), None, p) for p in range(6) for i in range(50)]
        reports = produce_all(self.cluster.bootstrap, t, records, acks="all")
        self.assertTrue(all(err is None for err, *_ in reports))
        self.assertEqual(len(consume_all(self.cluster.bootstrap, t, list(range(6)), 300)), 300)

    def test_dead_broker_partitions_go_offline_and_return_with_their_data(self):
        t = self.create(3)
        records = [(None, f"{p}:{i}".encode(), None, p) for p in range(3) for i in range(100)]
        produce_all(self.cluster.bootstrap, t, records, acks="all")
        victim = self.cluster.brokers[1]
        owned = [p for p, leader in leaders(self.cluster.bootstrap, t).items() if leader == victim.broker_id]
        self.assertTrue(owned)
        victim.kill9()
        wait_until(lambda: all(leaders(self.cluster.brokers[0].bootstrap, t)[p] == -1 for p in owned),
                   what="partitions of the dead broker offline")
        victim.start()
        wait_until(lambda: all(leaders(self.cluster.brokers[0].bootstrap, t)[p] == victim.broker_id for p in owned),
                   what="partitions back with their broker")
        msgs = consume_all(self.cluster.bootstrap, t, owned, 100 * len(owned))
        self.assertEqual(len(msgs), 100 * len(owned))

    def test_brokers_keep_serving_through_a_controller_restart(self):
        t = self.create(3)
        self.cluster.controller.kill9()
        reports = produce_all(self.cluster.bootstrap, t, [(None, b"x", None, p) for p in range(3)], acks="all")
        self.assertTrue(all(err is None for err, *_ in reports))
        self.cluster.controller.start()
        t2 = wait_until(lambda: self._try_create(), what="topic creation after the controller restart")
        self.assertIn(t, AdminClient({"bootstrap.servers": self.cluster.bootstrap}).list_topics(timeout=10).topics)
        self.assertEqual(len(leaders(self.cluster.bootstrap, t2)), 2)

    def test_admin_cli_manages_topics_and_describes_the_cluster(self):
        import json
        import subprocess
        from rill_cluster import RILL
        b = f"--bootstrap={self.cluster.brokers[0].bootstrap}"

        def rill(*args):
            r = subprocess.run([RILL, *args, b], capture_output=True, timeout=60)
            self.assertEqual(r.returncode, 0, r.stderr.decode())
            return r.stdout.decode()

        t = f"cli-{uuid.uuid4().hex[:6]}"
        self.assertIn(f"created: {t}", rill("topics", "create", f"--topic={t}", "--partitions=3",
                                            "--replication-factor=3", "--config=retention.ms=60000"))
        described = wait_until(lambda: json.loads(rill("topics", "describe", f"--topic={t}", "--json"))["topics"],
                               what="topic described")
        parts = described[0]["partitions"]
        self.assertEqual(len(parts), 3)
        self.assertTrue(all(sorted(p["replicas"]) == [1, 2, 3] for p in parts))
        text = rill("topics", "describe", f"--topic={t}")
        self.assertIn("Leader:", text)
        self.assertIn("Isr:", text)
        self.assertIn("altered", rill("topics", "alter-config", f"--topic={t}", "--config=retention.ms=1000"))
        cluster = json.loads(rill("cluster", "describe", "--json"))
        self.assertEqual(sorted(x["id"] for x in cluster["brokers"]), [1, 2, 3])
        self.assertIn("done", rill("elect-leaders", "--preferred"))
        self.assertIn(f"deleted: {t}", rill("topics", "delete", f"--topic={t}"))
        wait_until(lambda: t not in rill("topics", "describe"), what="topic gone")
        r = subprocess.run([RILL, "topics", "create", f"--topic={t}x", "--replication-factor=4", b],
                           capture_output=True, timeout=60)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn(b"replication factor", r.stderr.lower())

    def _try_create(self):
        try:
            return self.create(2)
        except Exception:  # controller still starting
            return None

    def test_sigterm_is_a_controlled_shutdown(self):
        t = self.create(3)
        victim = self.cluster.brokers[2]
        owned = [p for p, leader in leaders(self.cluster.bootstrap, t).items() if leader == victim.broker_id]
        start = time.time()
        self.assertEqual(victim.stop(), 0)
        # Offline at once, not after the session timeout.
        wait_until(lambda: all(leaders(self.cluster.brokers[0].bootstrap, t)[p] == -1 for p in owned),
                   timeout_s=SESSION_MS / 1000 * 0.9, what="leaderships released")
        self.assertLess(time.time() - start, SESSION_MS / 1000 + 5)
        self.assertIn("controlled shutdown accepted", victim.log_text())


if __name__ == "__main__":
    unittest.main()
