"""Bad input never crashes a tool: every program of the build refuses a bad
option or value with one message naming it and exit code 2, takes
--key=value and --key value alike, and the admin commands take Kafka's own
spelling (--bootstrap-server, --topic X)."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest
import uuid

sys.path.insert(0, os.path.dirname(__file__))
from rill_cluster import RILL, Broker  # noqa: E402

BUILD = os.path.dirname(os.path.abspath(RILL))
RILL_BENCH = os.path.join(BUILD, "rill-bench")
STORAGE_BENCH = os.path.join(BUILD, "bench", "storage_bench")
CODEC_BENCH = os.path.join(BUILD, "bench", "codec_bench")
PROBE = os.path.join(BUILD, "tuning", "probe_cpu_stalls")
CRASH_SIGNS = ("terminate called", "Aborted", "assertion", "Segmentation", "what():")

# (command line, what the message must name)
BAD = [
    ([RILL, "topics", "create", "--topic=x", "--partitions=abc"], "--partitions"),
    ([RILL, "topics", "create", "--topic", "x", "--replication-factor", "0"], "--replication-factor"),
    ([RILL, "topics", "create", "--partitions=3"], "--topic"),
    ([RILL, "topics", "create", "--topic=x", "--config=novalue"], "--config"),
    ([RILL, "topics", "frobnicate"], "frobnicate"),
    ([RILL, "cluster", "describe", "--jsonn"], "--jsonn"),
    ([RILL, "elect-leaders"], "--preferred"),
    ([RILL, "broker", "--port=abc"], "port"),
    ([RILL, "broker", "--port", "99999"], "port"),
    ([RILL, "broker", "--log.flush.policy=sometimes"], "log.flush.policy"),
    ([RILL, "broker", "--no.such.setting=1"], "no.such.setting"),
    ([RILL, "broker", "--config", "/nonexistent/broker.properties"], "broker.properties"),
    ([RILL, "broker", "--controller=nohostport"], "controller"),
    ([RILL, "controller", "--session.timeout.ms=soon"], "session.timeout.ms"),
    ([RILL, "controller", "--metadata.store=floppy"], "metadata.store"),
    ([RILL, "dev", "start", "--brokers=0"], "--brokers"),
    ([RILL, "dev", "status", "--shards", "many"], "--shards"),
    ([RILL, "dev", "launch"], "launch"),
    ([RILL, "nonsense"], "nonsense"),
    ([RILL, "tune"], "--check"),
    ([RILL, "tune", "--check", "no_such_tuner"], "no_such_tuner"),
    ([RILL, "tune", "--check", "--apply"], "--apply"),
    ([RILL, "tune", "--check", "--replication-transport=carrier-pigeon"], "--replication-transport"),
    ([RILL, "broker", "--admin.port=70000"], "admin.port"),
    ([RILL_BENCH, "produce", "--rate=-1"], "--rate"),
    ([RILL_BENCH, "produce", "--duration-s=0"], "--duration-s"),
    ([RILL_BENCH, "produce", "--record-bytes=lots"], "--record-bytes"),
    ([RILL_BENCH, "produce", "--acks=2"], "--acks"),
    ([RILL_BENCH, "fly"], "fly"),
    ([STORAGE_BENCH, "--mb=abc"], "--mb"),
    ([STORAGE_BENCH, "--rounds", "0"], "--rounds"),
    ([STORAGE_BENCH, "--only=everything"], "--only"),
    ([STORAGE_BENCH, "--preallocate=lots"], "--preallocate"),
    ([CODEC_BENCH, "--nope"], "--nope"),
    ([PROBE, "--seconds=0"], "--seconds"),
    ([PROBE, "--threshold-us", "x"], "--threshold-us"),
]


class CommandLineTest(unittest.TestCase):
    def run_tool(self, args, timeout=20):
        return subprocess.run(args, capture_output=True, text=True, timeout=timeout)

    def test_bad_options_and_values_get_one_clear_message_and_exit_2(self):
        for args, named in BAD:
            with self.subTest(args=" ".join(os.path.basename(a) if i == 0 else a for i, a in enumerate(args))):
                r = self.run_tool(args)
                out = r.stdout + r.stderr
                self.assertEqual(r.returncode, 2, out)
                self.assertIn(named, r.stderr)
                for sign in CRASH_SIGNS:
                    self.assertNotIn(sign, out)

    def test_help_exits_0_everywhere(self):
        for args in ([RILL, "--help"], [RILL, "broker", "--help"], [RILL, "controller", "--help"],
                     [RILL, "topics", "--help"], [RILL, "topics", "create", "--help"],
                     [RILL, "dev", "start", "--help"], [RILL_BENCH, "--help"], [STORAGE_BENCH, "--help"],
                     [PROBE, "--help"], [RILL, "tune", "--help"]):
            with self.subTest(args=args[1:]):
                r = self.run_tool(args)
                self.assertEqual(r.returncode, 0, r.stderr)
                self.assertIn("--", r.stdout)

    def test_admin_commands_take_kafkas_spelling_and_both_option_forms(self):
        with Broker() as b:
            topic = f"spelled-{uuid.uuid4().hex[:6]}"
            r = self.run_tool([RILL, "topics", "create", "--topic", topic, "--partitions", "3",
                               "--replication-factor", "1", "--bootstrap-server", b.bootstrap])
            self.assertEqual(r.returncode, 0, r.stderr)
            r = self.run_tool([RILL, "topics", "describe", f"--topic={topic}", f"--bootstrap={b.bootstrap}",
                               "--json"])
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(r.stdout.count('"partition"'), 3, r.stdout)
            r = self.run_tool([RILL, "topics", "alter-config", "--topic", topic, "--config", "retention.ms=60000",
                               "--bootstrap-server", b.bootstrap])
            self.assertEqual(r.returncode, 0, r.stderr)

    def test_tune_checks_this_machine(self):
        """The smoke test of the tuners on the real machine: every tuner
        answers with a known status and nothing is changed."""
        r = self.run_tool([RILL, "tune", "--check", "--json", f"--dir={BUILD}"])
        self.assertEqual(r.returncode, 0, r.stderr)
        rows = json.loads(r.stdout)
        names = {row["name"] for row in rows}
        for n in ("aio_events", "ballast_file", "clocksource", "coredump", "cpu", "disk_irq", "disk_nomerges",
                  "disk_scheduler", "disk_write_cache", "fstrim", "net", "swappiness", "transparent_hugepages",
                  "io_uring_memlock", "io_uring_sqpoll", "hugepages", "shard_placement"):
            self.assertIn(n, names)
        for row in rows:
            self.assertIn(row["status"], ("ok", "would change", "not permitted here", "not applicable"), row)
            self.assertTrue(row["current"] and row["recommended"], row)
        self.assertFalse(os.path.exists(os.path.join(BUILD, "rill.ballast")))

    def test_iotune_profile_reaches_the_broker(self):
        """rill iotune measures a real directory and writes a profile; a
        broker started with it logs the budgets it took and serves."""
        work = tempfile.mkdtemp(prefix="rill-iotune-", dir="/var/tmp")  # O_DIRECT: not tmpfs
        try:
            profile = os.path.join(work, "io.yaml")
            r = self.run_tool([RILL, "iotune", f"--dir={work}", "--duration-s=1", "--file-mb=8",
                               f"--out={profile}"], timeout=60)
            self.assertEqual(r.returncode, 0, r.stderr)
            for field in ("mountpoint", "read_iops", "read_bandwidth", "write_iops", "write_bandwidth",
                          "fsync_latency_p99_us"):
                self.assertIn(field + ":", r.stdout)
            self.assertEqual(sorted(os.listdir(work)), ["io.yaml"])  # the scratch file is gone
            with Broker(extra=[f"--io.profile={profile}"]) as b:
                topic = f"profiled-{uuid.uuid4().hex[:6]}"
                r = self.run_tool([RILL, "topics", "create", f"--topic={topic}", f"--bootstrap={b.bootstrap}"])
                self.assertEqual(r.returncode, 0, r.stderr)
                self.assertRegex(b.log_text(), r"io.profile .*writes in flight per shard, \d+ log recoveries at once per shard, flush batch up to")
            with open(profile, "w") as f:
                f.write("disks: nothing\n")
            r = self.run_tool([RILL, "broker", f"--io.profile={profile}"])
            self.assertEqual(r.returncode, 2)
            self.assertIn("io.profile", r.stderr)
        finally:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
