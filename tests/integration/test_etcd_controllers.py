"""Controllers on etcd: a real etcd on loopback, two controller candidates
(one active by etcd lease, one standby that does not listen), three brokers
that know both. Kill -9 the active controller: the standby takes over with
everything the first one wrote, elects leaders, and serves admin requests;
the old one, restarted, waits as a standby."""
import base64
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import unittest
import urllib.request
import uuid

sys.path.insert(0, os.path.dirname(__file__))
from rill_cluster import Broker, Controller, free_port, make_test_dir, remove_test_dir, wait_for_port  # noqa: E402
from test_cluster import leaders, wait_until  # noqa: E402
from test_kafka_clients import produce_all  # noqa: E402

from confluent_kafka.admin import AdminClient, NewTopic  # noqa: E402

ETCD = shutil.which("etcd") or "/usr/bin/etcd"


def port_open(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


class Etcd:
    def __init__(self, root):
        self.dir = os.path.join(root, "etcd")
        self.port = free_port()
        self.peer_port = free_port()
        self.proc = None

    def start(self):
        url = f"http://127.0.0.1:{self.port}"
        self.log = open(self.dir + ".log", "ab")
        self.proc = subprocess.Popen(
            [ETCD, "--data-dir", self.dir, "--listen-client-urls", url, "--advertise-client-urls", url,
             "--listen-peer-urls", f"http://127.0.0.1:{self.peer_port}",
             "--initial-advertise-peer-urls", f"http://127.0.0.1:{self.peer_port}",
             "--initial-cluster", f"default=http://127.0.0.1:{self.peer_port}"],
            stdout=self.log, stderr=self.log)
        wait_for_port(self.port, self.proc)
        return self

    def get(self, key):
        body = json.dumps({"key": base64.b64encode(key.encode()).decode()}).encode()
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/v3/kv/range", body, timeout=5) as r:
            kvs = json.loads(r.read()).get("kvs", [])
        return base64.b64decode(kvs[0]["value"]).decode() if kvs else None

    def get_prefix(self, prefix):
        end = prefix[:-1] + chr(ord(prefix[-1]) + 1)
        body = json.dumps({"key": base64.b64encode(prefix.encode()).decode(),
                           "range_end": base64.b64encode(end.encode()).decode()}).encode()
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/v3/kv/range", body, timeout=5) as r:
            kvs = json.loads(r.read()).get("kvs", [])
        return [(base64.b64decode(kv["key"]).decode(), base64.b64decode(kv["value"]).decode())
                for kv in kvs]

    def metadata(self, cluster="rill-cluster"):
        """The stored metadata: the snapshot, then the deltas after it."""
        snapshot = self.get(f"/rill/{cluster}/metadata") or ""
        deltas = [v for _, v in self.get_prefix(f"/rill/{cluster}/log/")]
        return "\n".join([snapshot] + deltas)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(20)
        self.log.close()


@unittest.skipUnless(os.path.exists(ETCD), "etcd-server is not installed")
class EtcdControllersTest(unittest.TestCase):
    def setUp(self):
        self.root = make_test_dir("rill-etcd-")
        self.etcd = Etcd(self.root).start()
        extra = ["--metadata.store=etcd", f"--etcd.endpoint=127.0.0.1:{self.etcd.port}",
                 "--etcd.lease.ttl.s=2", "--session.timeout.ms=3000",
                 "--leader.imbalance.check.interval.ms=500"]
        self.candidates = []
        for i in range(2):
            d = os.path.join(self.root, f"controller-{i}")
            os.makedirs(d)
            self.candidates.append(Controller(data_dir=d, extra=extra))
        self.candidates[0].start(wait=False)
        wait_until(lambda: port_open(self.candidates[0].port), what="the first candidate active")
        self.candidates[1].start(wait=False)
        wait_until(lambda: "standby" in self.candidates[1].log_text(), what="the second candidate standby")
        controllers = ",".join(f"127.0.0.1:{c.port}" for c in self.candidates)
        self.brokers = []
        for i in range(1, 4):
            d = os.path.join(self.root, f"broker-{i}")
            os.makedirs(d)
            self.brokers.append(Broker(data_dir=d, broker_id=i,
                                       extra=[f"--controller={controllers}", "--replica.lag.time.max.ms=3000",
                                              "--heartbeat.interval.ms=200"]).start())
        self.bootstrap = ",".join(b.bootstrap for b in self.brokers)
        wait_until(lambda: len(AdminClient({"bootstrap.servers": self.bootstrap})
                              .list_topics(timeout=10).brokers) == 3, what="3 brokers registered")

    def tearDown(self):
        for p in self.brokers + self.candidates:
            p.stop()
        self.etcd.stop()
        remove_test_dir(self.root)

    def create(self, topic):
        admin = AdminClient({"bootstrap.servers": self.bootstrap})
        admin.create_topics([NewTopic(topic, num_partitions=2, replication_factor=3,
                                      config={"min.insync.replicas": "2"})])[topic].result(30)
        wait_until(lambda: all(v >= 0 for v in leaders(self.bootstrap, topic).values()), what="leaders")

    def produce(self, topic, n=50):
        reports = produce_all(self.bootstrap, topic, [(None, f"v{i}".encode(), None, i % 2) for i in range(n)],
                              acks="all", **{"message.timeout.ms": 30000})
        self.assertTrue(all(r[0] is None for r in reports), reports[:3])

    def test_standby_takes_over_with_the_stored_metadata(self):
        first = f"etcd-a-{uuid.uuid4().hex[:6]}"
        self.create(first)
        self.produce(first)
        # Changes are stored as deltas under log/, each as small as its change.
        deltas = self.etcd.get_prefix("/rill/rill-cluster/log/")
        created = [v for _, v in deltas if f"topic {first} " in v]
        self.assertEqual(len(created), 1, deltas[-3:])
        self.assertLess(len(created[0]), 600, created[0])
        active, standby = self.candidates
        self.assertIn(f"127.0.0.1:{active.port}", self.etcd.get("/rill/rill-cluster/leader") or "")
        killed = time.time()
        active.kill9()
        wait_until(lambda: port_open(standby.port), timeout_s=15, what="the standby to take over")
        takeover_s = time.time() - killed
        print(f"takeover after kill -9 of the active controller: {takeover_s:.2f} s")
        self.assertIn("won the etcd election", standby.log_text())
        # What the first controller stored is there; the new one elects and creates.
        second = f"etcd-b-{uuid.uuid4().hex[:6]}"
        self.create(second)
        self.produce(second)
        self.produce(first)
        victim = leaders(self.bootstrap, first)[0]
        self.brokers[victim - 1].kill9()
        wait_until(lambda: leaders(self.bootstrap, first)[0] not in (victim, -1), timeout_s=20,
                   what="a new leader from the new controller")
        self.produce(first)
        # The old controller comes back as a standby and does not listen.
        active.start(wait=False)
        wait_until(lambda: "standby" in active.log_text().split("won the etcd election")[-1],
                   what="the old controller to wait as a standby")
        self.assertFalse(port_open(active.port))
        self.assertIn(f"127.0.0.1:{standby.port}", self.etcd.get("/rill/rill-cluster/leader"))
        self.assertIn(second, self.etcd.metadata())

    def test_a_paused_controller_is_deposed_and_stops_without_writing(self):
        topic = f"etcd-z-{uuid.uuid4().hex[:6]}"
        self.create(topic)
        active, standby = self.candidates
        active.proc.send_signal(signal.SIGSTOP)  # the zombie controller
        try:
            wait_until(lambda: port_open(standby.port), timeout_s=15, what="the standby to take over")
            newer = f"etcd-n-{uuid.uuid4().hex[:6]}"
            self.create(newer)
            # Quiet first: followers joining the new topic's ISR are writes of the
            # active controller, not of the zombie this test watches.
            admin = AdminClient({"bootstrap.servers": self.bootstrap})
            wait_until(lambda: all(len(p.isrs) == 3 for p in admin.list_topics(newer, timeout=10)
                                   .topics[newer].partitions.values()), what="full ISRs")
            time.sleep(1)
            stored = self.etcd.metadata()
        finally:
            active.proc.send_signal(signal.SIGCONT)
        # Awake again, the old controller finds its lease gone and stops.
        active.proc.wait(timeout=15)
        self.assertNotEqual(active.proc.returncode, 0)
        self.assertIn("deposed", active.log_text())
        self.assertEqual(self.etcd.metadata(), stored)
        self.assertIn(newer, stored)
        self.produce(newer)


if __name__ == "__main__":
    unittest.main()
