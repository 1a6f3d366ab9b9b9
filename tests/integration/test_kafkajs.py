"""kafkajs (npm) producers, consumer groups, transactions and admin client against a real
broker."""
import json
import os
import shutil
import subprocess
import sys
import unittest
import uuid

sys.path.insert(0, os.path.dirname(__file__))
from rill_cluster import Broker  # noqa: E402
from test_kafka_clients import consume_all  # noqa: E402

CLIENTS = os.path.join(os.path.dirname(__file__), "..", "clients")


class KafkajsTest(unittest.TestCase):
    def test_kafkajs_admin_and_producers(self):
        self.assertTrue(os.path.isdir(os.path.join(CLIENTS, "node_modules", "kafkajs")),
                        "kafkajs missing: run scripts/setup.sh")
        self.assertIsNotNone(shutil.which("node"))
        with Broker() as b:
            t = f"kafkajs-{uuid.uuid4().hex[:6]}"
            r = subprocess.run(["node", "kafkajs_roundtrip.js", b.bootstrap, t, "200"], cwd=CLIENTS,
                               capture_output=True, timeout=120)
            self.assertEqual(r.returncode, 0, r.stderr.decode()[-2000:])
            out = json.loads(r.stdout)
            self.assertEqual(out["total"], 200)
            self.assertEqual(out["low_after_delete"], 10)
            # Partition 0 held records 0, 2, 4, ...; the first ten are deleted.
            msgs = consume_all(b.bootstrap, t, [0, 1], 190, offset=-2)  # from each log start
            got = sorted((m.key().decode(), m.value().decode(), m.partition()) for m in msgs)
            want = sorted((f"k{i}", f"v{i}", i % 2) for i in range(200) if not (i % 2 == 0 and i < 20))
            self.assertEqual(got, want)

    def test_kafkajs_consumer_group(self):
        with Broker(extra=["--group.initial.rebalance.delay.ms=0"]) as b:
            t, g = f"kafkajs-g-{uuid.uuid4().hex[:6]}", f"kafkajs-{uuid.uuid4().hex[:6]}"
            r = subprocess.run(["node", "kafkajs_group.js", b.bootstrap, t, g, "400"], cwd=CLIENTS,
                               capture_output=True, timeout=150)
            self.assertEqual(r.returncode, 0, r.stderr.decode()[-2000:])
            out = json.loads(r.stdout)
            self.assertEqual((out["read"], out["duplicates"], out["committed"]), (400, 0, 400), out)
            self.assertEqual((out["stableState"], out["stableMembers"]), ("Stable", 2), out)
            self.assertTrue(all(n > 0 for n in out["perMember"]), out)
            self.assertTrue(out["listed"] and out["deleted"], out)
            self.assertEqual(out["emptyState"], "Empty", out)

    def test_kafkajs_transactions(self):
        """A second, independent implementation of the transaction protocol."""
        with Broker(extra=["--group.initial.rebalance.delay.ms=0"]) as b:
            t, g = f"kafkajs-tx-{uuid.uuid4().hex[:6]}", f"kafkajs-tx-{uuid.uuid4().hex[:6]}"
            r = subprocess.run(["node", "kafkajs_transactions.js", b.bootstrap, t, g, "50"],
                               cwd=CLIENTS, capture_output=True, timeout=150)
            self.assertEqual(r.returncode, 0, r.stderr.decode()[-2000:])
            out = json.loads(r.stdout)
            self.assertEqual((out["committed"], out["committedAborted"]), (100, 0), out)
            self.assertEqual(out["everything"], 150, out)
            self.assertEqual(out["offsets"], [[0, "7"], [1, "9"]], out)


if __name__ == "__main__":
    unittest.main()
