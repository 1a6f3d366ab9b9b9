#!/usr/bin/python3
"""bench/partition_scale: Rill with many partitions, measured as a user would.

  bench/partition_scale.py [--counts 10,100,1000] [--duration-s 15] [--out DIR]

For each partition count, a fresh local cluster (rill dev: a controller and
3 brokers, one shard each) and one topic of that many partitions at RF=3,
then:
  create_s      topic creation until every partition has a leader and a full ISR
  idle rss      each broker's resident memory 3 s after creation (max of the 3)
  load rss      the highest a broker reached during the produce run
  disk          bytes allocated in the data directories (du), after the run,
                against the bytes the partitions hold (x3 replicas)
  produce       rill-bench: acks=all, random keys over all partitions,
                unthrottled, 1 KiB records; records/s, MB/s, p50/p99/p99.9
  failover_s    kill -9 of broker 2 until no partition is led by it and every
                partition has a leader again
  restart_s     broker 2 started again on its data (recovery after a crash: every
                active segment scanned) until every partition has a full ISR
  metadata      what the controller wrote to its store (deltas and snapshots, KB)
                and the ISR-change requests it served (each a batch), from the
                kill to the full ISRs
Every row is also given as a ratio to the smallest count's row of the same
run (the reference: the same machine and build, few partitions). Writes
partition_scale.csv, partition_scale.png and partition_scale.md to --out
(default bench/results), and removes every cluster it made.
"""
import argparse
import csv
import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
RILL = os.path.join(ROOT, "build", "rill")
BENCH = os.path.join(ROOT, "build", "rill-bench")
from confluent_kafka.admin import AdminClient, NewTopic  # noqa: E402


def rss_bytes(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def du_bytes(path):
    out = subprocess.run(["du", "-s", "--block-size=1", path], capture_output=True, text=True)
    return int(out.stdout.split()[0]) if out.returncode == 0 and out.stdout else 0


def controller_counters(admin_port):
    """The controller's metadata-store and ISR counters from its /metrics."""
    wanted = {"rill_controller_metadata_written_bytes_total": "bytes",
              "rill_controller_isr_change_requests_total": "isr_requests",
              "rill_controller_isr_changes_total": "isr_changes"}
    out = {v: 0.0 for v in wanted.values()}
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{admin_port}/metrics", timeout=5) as r:
            for line in r.read().decode().splitlines():
                name, _, value = line.partition(" ")
                if name in wanted:
                    out[wanted[name]] = float(value)
    except OSError:
        pass
    return out


class DevCluster:
    def __init__(self, root, base_port, controller_port, broker_args=()):
        self.dir = root
        self.opts = [f"--dir={root}", f"--base-port={base_port}", f"--controller-port={controller_port}",
                     f"--admin-base-port={base_port + 500}", "--brokers=3", "--shards=1"] + [f"--broker-arg={a}" for a in broker_args]
        self.bootstrap = f"127.0.0.1:{base_port}"

    def start(self):
        r = subprocess.run([RILL, "dev", "start"] + self.opts, capture_output=True, text=True, timeout=120)
        if r.returncode != 0:
            raise RuntimeError(f"rill dev start failed: {r.stderr}")
        return self

    def brokers(self):
        return {p["id"]: p["pid"] for p in self.status() if p["role"] == "broker"}

    def status(self):
        r = subprocess.run([RILL, "dev", "status", "--json"] + self.opts, capture_output=True, text=True)
        return json.loads(r.stdout)["processes"]

    def restart_broker(self, broker_id, controller_port, broker_args):
        """Starts a (dead) broker again as `rill dev` started it; returns its process."""
        entry = next(p for p in self.status() if p["role"] == "broker" and p["id"] == broker_id)
        log = open(entry["log"], "ab")
        return subprocess.Popen([RILL, "broker", f"--broker.id={broker_id}", f"--port={entry['port']}",
                                 f"--log.dirs={entry['data_dir']}", "--shards=1", "--pin.shards=false",
                                 f"--controller=127.0.0.1:{controller_port}"] + list(broker_args),
                                stdout=log, stderr=log)

    def stop(self):
        subprocess.run([RILL, "dev", "stop"] + self.opts, capture_output=True, timeout=120)


def wait_led(admin, topic, partitions, exclude=None, timeout_s=600):
    """Seconds until every partition has a leader (not `exclude`) and, without exclude, a full ISR."""
    start = time.time()
    while time.time() - start < timeout_s:
        try:
            md = admin.list_topics(topic, timeout=10).topics.get(topic)
        except Exception:  # a broker is restarting
            md = None
        if md is not None and len(md.partitions) == partitions:
            ok = True
            for p in md.partitions.values():
                if p.leader < 0 or p.leader == exclude or (exclude is None and len(p.isrs) < 3):
                    ok = False
                    break
            if ok:
                return time.time() - start
        time.sleep(0.05)
    return float("nan")


def leaderships(admin, topic, broker):
    md = admin.list_topics(topic, timeout=10).topics[topic]
    return sum(1 for p in md.partitions.values() if p.leader == broker)


def run_count(n, args, base_port):
    root = tempfile.mkdtemp(prefix=f"rill-scale-{n}-", dir=args.dir)
    cluster = DevCluster(root, base_port, base_port + 100, args.broker_arg)
    row = {"partitions": n}
    try:
        cluster.start()
        pids = cluster.brokers()
        admin = AdminClient({"bootstrap.servers": cluster.bootstrap})
        topic = f"scale{n}"
        t0 = time.time()
        admin.create_topics([NewTopic(topic, num_partitions=n, replication_factor=3)],
                            request_timeout=600)[topic].result(600)
        row["create_s"] = round(time.time() - t0 + wait_led(admin, topic, n), 2)
        time.sleep(3)
        row["idle_rss_mib"] = round(max(rss_bytes(p) for p in pids.values()) / 2**20, 1)
        peak = {"rss": 0}
        done = threading.Event()

        def sample():
            while not done.is_set():
                peak["rss"] = max(peak["rss"], max(rss_bytes(p) for p in pids.values()))
                time.sleep(0.25)

        sampler = threading.Thread(target=sample)
        sampler.start()
        bench = subprocess.run(
            [BENCH, "produce", f"--bootstrap={cluster.bootstrap}", f"--topic={topic}", f"--partitions={n}",
             "--replication-factor=3", "--acks=all", "--keys=random", "--record-bytes=1024", "--linger-ms=5",
             "--batch-bytes=65536", f"--duration-s={args.duration_s}", "--warmup-s=2", "--json",
             f"--label=p{n}"], capture_output=True, text=True, timeout=args.duration_s + 300)
        done.set()
        sampler.join()
        result = json.loads(bench.stdout.strip().splitlines()[-1]) if bench.stdout.strip() else {}
        row["load_rss_mib"] = round(peak["rss"] / 2**20, 1)
        row["records_s"] = round(result.get("records_per_s", 0))
        row["mb_s"] = result.get("mb_per_s", 0)
        lat = result.get("latency_ms", {})
        row["p50_ms"], row["p99_ms"], row["p999_ms"] = lat.get("p50"), lat.get("p99"), lat.get("p99.9")
        row["errors"] = result.get("errors")
        data_bytes = result.get("records", 0) * 1024 * 3
        row["disk_mib"] = round(sum(du_bytes(os.path.join(root, f"broker-{i}")) for i in (1, 2, 3)) / 2**20, 1)
        row["data_x3_mib"] = round(data_bytes / 2**20, 1)
        led = leaderships(admin, topic, 2)
        before = controller_counters(base_port + 500)
        os.kill(pids[2], signal.SIGKILL)
        row["failover_s"] = round(wait_led(admin, topic, n, exclude=2, timeout_s=120), 2)
        row["failover_leaderships"] = led
        restarted = cluster.restart_broker(2, base_port + 100, args.broker_arg)
        row["restart_s"] = round(wait_led(admin, topic, n, timeout_s=600), 2)
        after = controller_counters(base_port + 500)
        row["metadata_kb"] = round((after["bytes"] - before["bytes"]) / 1024, 1)
        row["isr_requests"] = int(after["isr_requests"] - before["isr_requests"])
        row["isr_changes"] = int(after["isr_changes"] - before["isr_changes"])
        restarted.send_signal(signal.SIGTERM)
        restarted.wait(60)
    finally:
        cluster.stop()
        shutil.rmtree(root, ignore_errors=True)
    return row


def plot(rows, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    xs = [r["partitions"] for r in rows]
    fig, axes = plt.subplots(1, 3, figsize=(15, 4))
    axes[0].plot(xs, [r["idle_rss_mib"] for r in rows], "o-", label="idle")
    axes[0].plot(xs, [r["load_rss_mib"] for r in rows], "s-", label="under load")
    axes[0].set_ylabel("RSS per broker, MiB (max of 3)")
    axes[1].plot(xs, [r["mb_s"] for r in rows], "o-", label="MB/s")
    ax = axes[1].twinx()
    ax.plot(xs, [r["p99_ms"] or 0 for r in rows], "r^-", label="p99 ms")
    ax.set_ylabel("acks=all p99, ms")
    axes[1].set_ylabel("produce MB/s (acks=all, RF=3)")
    axes[2].plot(xs, [r["create_s"] for r in rows], "o-", label="create + lead")
    axes[2].plot(xs, [r["failover_s"] for r in rows], "s-", label="broker failover")
    axes[2].plot(xs, [r["restart_s"] for r in rows], "^-", label="crashed broker back in every ISR")
    axes[2].set_ylabel("seconds")
    for a in axes:
        a.set_xscale("log")
        a.set_xlabel("partitions (RF=3, 3 brokers)")
        a.legend(loc="upper left")
        a.grid(True, alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=90)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--counts", default="10,100,1000")
    ap.add_argument("--duration-s", type=int, default=15)
    ap.add_argument("--out", default=os.path.join(ROOT, "bench", "results"))
    ap.add_argument("--dir", default="/var/tmp", help="where the clusters' data goes (removed after)")
    ap.add_argument("--broker-arg", action="append", default=None,
                    help="passed to every broker (default: --log.flush.policy=replication, Kafka's "
                         "durability model: with an fsync per append, many partitions mean an fsync "
                         "per partition per request and the disk, not the broker, is measured)")
    args = ap.parse_args()
    if args.broker_arg is None:
        args.broker_arg = ["--log.flush.policy=replication"]
    counts = [int(c) for c in args.counts.split(",")]
    uname = os.uname()
    print(f"partition scale: {uname.sysname} {uname.release}, {os.cpu_count()} CPUs, counts {counts}, "
          f"{args.duration_s} s of acks=all produce each, broker args {args.broker_arg}", flush=True)
    rows = []
    for i, n in enumerate(counts):
        rows.append(run_count(n, args, 19400 + 10 * i))
        print(json.dumps(rows[-1]), flush=True)
    ref = rows[0]
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "partition_scale.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0].keys()))
        w.writeheader()
        w.writerows(rows)
    plot(rows, os.path.join(args.out, "partition_scale.png"))
    lines = ["| partitions | create s | idle RSS MiB | load RSS MiB | disk MiB (data x3) | MB/s | p50 / p99 / p99.9 ms "
             "| failover s (leaderships) | restart s | metadata KB written, ISR requests (changes) "
             "| MB/s, p99 vs first row |", "|" + "---|" * 11]
    for r in rows:
        ratio_mb = r["mb_s"] / ref["mb_s"] if ref["mb_s"] else float("nan")
        ratio_p99 = (r["p99_ms"] or 0) / ref["p99_ms"] if ref.get("p99_ms") else float("nan")
        lines.append(f"| {r['partitions']} | {r['create_s']} | {r['idle_rss_mib']} | {r['load_rss_mib']} | "
                     f"{r['disk_mib']} ({r['data_x3_mib']}) | {r['mb_s']} | {r['p50_ms']} / {r['p99_ms']} / "
                     f"{r['p999_ms']} | {r['failover_s']} ({r['failover_leaderships']}) | {r['restart_s']} | "
                     f"{r.get('metadata_kb')}, {r.get('isr_requests')} ({r.get('isr_changes')}) | "
                     f"{ratio_mb:.2f}x, {ratio_p99:.2f}x |")
    with open(os.path.join(args.out, "partition_scale.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
