"""Metrics as an operator reads them: a real Prometheus server (Debian's
`prometheus`) scrapes a 3-broker cluster and its controller while
librdkafka produces with acks=all and a consumer group commits; the
families of docs/metrics.md are there with the right values, counters
only grow, histograms have _bucket, _sum and _count, and kill -9 of a
broker shows up as a fenced broker, an election and under-replicated
partitions. /ready and /live answer as orchestrators expect."""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request

from confluent_kafka import Consumer, Producer

sys.path.insert(0, os.path.dirname(__file__))
from rill_cluster import Cluster, free_port, make_test_dir, remove_test_dir  # noqa: E402
from test_cluster import wait_until  # noqa: E402
from test_consumer_groups import create_topic  # noqa: E402

PROMETHEUS = shutil.which("prometheus") or "/usr/bin/prometheus"
DOCS = os.path.join(os.path.dirname(__file__), "..", "..", "docs", "metrics.md")
TOPIC = "metered"
PARTITIONS = 3


def http_get(port, path, timeout=5):
    """(status, body) of GET http://127.0.0.1:port/path."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=timeout) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$')


def parse(text):
    """{series: value} and {family: type} of a Prometheus text page."""
    values, types = {}, {}
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ")
            types[name] = kind
        elif line and not line.startswith("#"):
            m = SAMPLE.match(line)
            assert m, f"not a sample line: {line!r}"
            values[m.group(1) + (m.group(2) or "")] = float(m.group(3))
    return values, types


def documented_families():
    with open(DOCS) as f:
        return set(re.findall(r"^\| `(rill_[a-z_]+)` \|", f.read(), re.M))


class Prometheus:
    """A prometheus server scraping the given ports every second."""

    def __init__(self, targets):
        self.dir = make_test_dir("rill-prom-")
        self.port = free_port()
        config = {"global": {"scrape_interval": "1s", "scrape_timeout": "900ms"},
                  "scrape_configs": [{"job_name": "rill",
                                      "static_configs": [{"targets": [f"127.0.0.1:{p}" for p in targets]}]}]}
        self.config = os.path.join(self.dir, "prometheus.yml")
        with open(self.config, "w") as f:
            json.dump(config, f)  # JSON is YAML
        self.log = open(os.path.join(self.dir, "prometheus.log"), "wb")
        self.proc = subprocess.Popen([PROMETHEUS, f"--config.file={self.config}",
                                      f"--storage.tsdb.path={self.dir}/data",
                                      f"--web.listen-address=127.0.0.1:{self.port}"],
                                     stdout=self.log, stderr=self.log)

    def query(self, expr):
        """The instant vector of expr as [(labels, value)], or None while
        Prometheus is not answering yet."""
        q = urllib.parse.urlencode({"query": expr})
        try:
            status, body = http_get(self.port, f"/api/v1/query?{q}")
        except OSError:
            return None
        if status != 200:
            return None
        data = json.loads(body)["data"]["result"]
        return [(r["metric"], float(r["value"][1])) for r in data]

    def scalar(self, expr):
        r = self.query(expr)
        return r[0][1] if r else None

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()
        remove_test_dir(self.dir)


@unittest.skipUnless(os.path.exists(PROMETHEUS), "prometheus is not installed (scripts/setup.sh installs it)")
class MetricsTest(unittest.TestCase):
    def setUp(self):
        self.cluster = Cluster(brokers=3, controller_extra=["--default.replication.factor=3"],
                               broker_extra=["--group.initial.rebalance.delay.ms=0"])
        self.admin_ports = {}
        for node in [self.cluster.controller] + self.cluster.brokers:
            port = free_port()
            node.extra.append(f"--admin.port={port}")
            self.admin_ports[node] = port
        self.cluster.start()
        self.prometheus = None

    def tearDown(self):
        if self.prometheus:
            self.prometheus.stop()
        self.cluster.stop()
        self.cluster.cleanup()

    def scrape(self, node):
        status, body = http_get(self.admin_ports[node], "/metrics")
        self.assertEqual(status, 200, body)
        return parse(body)

    def produce(self, n, start):
        p = Producer({"bootstrap.servers": self.cluster.bootstrap, "acks": "all", "linger.ms": 2})
        for i in range(start, start + n):
            p.produce(TOPIC, key=str(i), value=b"x" * (10 + 97 * i % 3000), partition=i % PARTITIONS)
        self.assertEqual(p.flush(30), 0)

    def consume_and_commit(self, group, expected):
        c = Consumer({"bootstrap.servers": self.cluster.bootstrap, "group.id": group,
                      "auto.offset.reset": "earliest", "enable.auto.commit": False})
        c.subscribe([TOPIC])
        seen, deadline = 0, time.time() + 30
        while seen < expected and time.time() < deadline:
            m = c.poll(0.5)
            if m is not None and not m.error():
                seen += 1
        self.assertEqual(seen, expected)
        c.commit(asynchronous=False)
        c.close()

    def test_prometheus_scrapes_the_cluster(self):
        controller = self.cluster.controller
        brokers = self.cluster.brokers
        # Probes: everything ready once registered; /live answers.
        for node in [controller] + brokers:
            port = self.admin_ports[node]
            self.assertTrue(wait_until(lambda: http_get(port, "/ready")[0] == 200, 20), node.log_path)
            self.assertEqual(http_get(port, "/live")[0], 200)
        create_topic(self.cluster.bootstrap, TOPIC, PARTITIONS, rf=3)
        self.produce(300, 0)
        self.consume_and_commit("metered-group", 300)
        self.produce(60, 300)
        # One committed and one aborted transaction, on a topic of their own.
        create_topic(self.cluster.bootstrap, "metered-tx", 1, rf=3)
        t = Producer({"bootstrap.servers": self.cluster.bootstrap, "transactional.id": "metered"})
        t.init_transactions(30)
        for commit in (True, False):
            t.begin_transaction()
            t.produce("metered-tx", value=b"t", partition=0)
            t.flush(30)
            (t.commit_transaction if commit else t.abort_transaction)(30)

        first = {b: self.scrape(b)[0] for b in brokers}
        self.prometheus = Prometheus(self.admin_ports.values())
        prom = self.prometheus
        self.assertTrue(wait_until(lambda: prom.scalar('count(up == 1)') == 4, 40),
                        f"targets not all up: {prom.query('up')}")

        # Every documented family is exported by some process.
        names = set()
        for node in [controller] + brokers:
            names |= set(self.scrape(node)[1])
        self.assertEqual(documented_families() - names, set())

        # Partition state: each partition led once, HW at its record count, full ISRs.
        self.assertTrue(wait_until(
            lambda: prom.scalar(f'sum(max by (partition) (rill_partition_high_watermark{{topic="{TOPIC}"}}))') == 360,
            20), prom.query(f'rill_partition_high_watermark{{topic="{TOPIC}"}}'))
        self.assertEqual(prom.scalar(f'sum(rill_partition_leader{{topic="{TOPIC}"}})'), PARTITIONS)
        self.assertEqual(prom.scalar(f'min(rill_partition_isr_size{{topic="{TOPIC}"}})'), 3)
        self.assertEqual(prom.scalar('sum(rill_broker_under_replicated_partitions)'), 0)
        # The group's lag: 60 records produced after its commit.
        self.assertTrue(wait_until(
            lambda: prom.scalar('sum(rill_group_lag_records{group="metered-group"})') == 60, 20),
            prom.query('rill_group_lag_records'))
        self.assertEqual(prom.scalar('sum(rill_group_committed_offset{group="metered-group"})'), 300)
        # A committed and an aborted transaction: counted by the coordinator,
        # and nothing left open, so the stable offset is the high watermark.
        self.assertTrue(wait_until(
            lambda: prom.scalar('sum(rill_txn_completed_total{result="commit"})') == 1
            and prom.scalar('sum(rill_txn_completed_total{result="abort"})') == 1, 20),
            prom.query('rill_txn_completed_total'))
        self.assertEqual(prom.scalar('sum(rill_partition_open_transactions{topic="metered-tx"})'), 0)
        # Two records and two markers; every replica's stable offset is there.
        self.assertTrue(wait_until(
            lambda: prom.scalar('min(rill_partition_last_stable_offset{topic="metered-tx"})') == 4, 20),
            prom.query('rill_partition_last_stable_offset{topic="metered-tx"}'))
        self.assertEqual(prom.scalar('sum(rill_txn_ids{state="CompleteAbort"})'), 1)
        # Requests, with a histogram whose +Inf bucket is its count.
        self.assertGreater(prom.scalar('sum(rill_kafka_requests_total{api="Produce"})'), 0)
        inf = prom.scalar('sum(rill_kafka_request_duration_seconds_bucket{api="Produce",le="+Inf"})')
        count = prom.scalar('sum(rill_kafka_request_duration_seconds_count{api="Produce"})')
        self.assertEqual(inf, count)
        self.assertGreater(prom.scalar('sum(rill_kafka_request_duration_seconds_sum{api="Produce"})'), 0)
        self.assertIsNotNone(prom.scalar(
            'histogram_quantile(0.99, sum by (le) (rill_kafka_request_duration_seconds_bucket{api="Produce"}))'))
        self.assertGreater(prom.scalar('sum(rill_disk_sync_seconds_count)'), 0)
        self.assertGreater(prom.scalar('sum(rill_uring_sqes_submitted_total)'), 0)
        self.assertGreater(prom.scalar('sum(rill_shard_busy_seconds_total)'), 0)
        self.assertGreater(prom.scalar('sum(rill_network_received_bytes_total)'), 0)
        self.assertEqual(prom.scalar('sum(rill_controller_active)'), 1)
        self.assertEqual(prom.scalar('rill_controller_live_brokers'), 3)

        # Counters and histograms only grow.
        self.produce(30, 360)
        for b in brokers:
            later, types = self.scrape(b)
            for series, v in first[b].items():
                family = series.split("{")[0]
                base = re.sub(r"_(bucket|sum|count)$", "", family)
                if types.get(family) == "counter" or types.get(base) == "histogram":
                    self.assertIn(series, later)
                    self.assertGreaterEqual(later[series], v, series)

        # kill -9 of a broker: fenced, leaderships elected elsewhere, URPs.
        elections = prom.scalar('rill_controller_elections_total')
        victim = brokers[2]
        victim.kill9()
        self.assertTrue(wait_until(lambda: prom.scalar('rill_controller_fenced_brokers') == 1, 30),
                        self.cluster.logs())
        self.assertTrue(wait_until(lambda: prom.scalar('rill_controller_elections_total') > elections, 20))
        self.assertTrue(wait_until(lambda: (prom.scalar('sum(rill_broker_under_replicated_partitions)') or 0) > 0,
                                   20))
        self.assertTrue(wait_until(lambda: prom.scalar('count(up == 0)') == 1, 20))
        self.assertEqual(prom.scalar('rill_controller_offline_partitions'), 0)


if __name__ == "__main__":
    unittest.main()
