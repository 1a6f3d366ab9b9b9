#!/usr/bin/env python3
"""bench/report: one command that measures the machine's limits and Rill
against them, in the same run, and writes a Markdown report with plots.

  bench/report [--out DIR] [--quick] [--flush-policy fsync|replication]

1. limits: fio sequential O_DIRECT write bandwidth and 16 KiB
   write+fdatasync latency on the data directory's file system; iperf3 on
   loopback; CPU stalls (tuning/probe_cpu_stalls: how long the machine takes
   a CPU away from a thread that wants it - the floor under tail latency);
2. for each workload in bench/workloads/*.conf: a fresh local cluster
   (rill dev) with the workload's broker count, then rill-bench produce;
3. report.md with every figure and its ratio to its limit, latency.png
   (percentiles against throughput for the workload with a `sweep`).
"""
import argparse
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
RILL = os.path.join(ROOT, "build", "rill")
BENCH = os.path.join(ROOT, "build", "rill-bench")


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


def fio_limits(data_dir):
    probe = run([os.path.join(ROOT, "tuning", "probe_disk.sh"), data_dir, "512"], timeout=600)
    return json.loads(probe.stdout.strip().splitlines()[-1])


def iperf_loopback():
    server = subprocess.Popen(["iperf3", "-s", "-1", "-p", "5299"], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    try:
        out = run(["iperf3", "-c", "127.0.0.1", "-p", "5299", "-t", "3", "-J"], timeout=60)
        return json.loads(out.stdout)["end"]["sum_received"]["bits_per_second"] / 1e9
    finally:
        server.kill()
        server.wait()


def cpu_stalls():
    out = run([os.path.join(ROOT, "build", "tuning", "probe_cpu_stalls"), "--seconds=5", "--json"],
              timeout=120)
    return json.loads(out.stdout.strip().splitlines()[-1])


def read_workload(path):
    w = {}
    for line in open(path):
        line = line.strip()
        if line and not line.startswith("#"):
            k, v = line.split("=", 1)
            w[k.strip()] = v.strip()
    return w


def run_workload(w, rate=None, flush_policy="replication", work_dir=None):
    d = tempfile.mkdtemp(prefix="rill-report-", dir=work_dir)
    args = [RILL, "dev", "start", f"--dir={d}", f"--brokers={w['brokers']}", "--base-port=19092",
            "--controller-port=19190", "--admin-base-port=19644", f"--broker-arg=--log.flush.policy={flush_policy}"]
    started = run(args, timeout=120)
    if started.returncode != 0:
        raise RuntimeError(started.stderr)
    try:
        bench = [BENCH, "produce", "--bootstrap=127.0.0.1:19092", f"--topic=report-{int(time.time() * 1000)}",
                 f"--partitions={w['partitions']}", f"--replication-factor={w['replication-factor']}",
                 f"--acks={w['acks']}", f"--record-bytes={w['record-bytes']}",
                 f"--rate={rate if rate is not None else w['rate']}", f"--linger-ms={w['linger-ms']}",
                 f"--batch-bytes={w['batch-bytes']}", f"--producers={w['producers']}",
                 f"--duration-s={w['duration-s']}", f"--warmup-s={w.get('warmup-s', '0')}",
                 "--json", f"--label={w['label']}"]
        out = run(bench, timeout=600)
        return json.loads(out.stdout.strip().splitlines()[-1])
    finally:
        run([RILL, "dev", "stop", f"--dir={d}"], timeout=60)
        shutil.rmtree(d, ignore_errors=True)


def plot(sweep, path):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    xs = [r["mb_per_s"] for r in sweep]
    plt.figure(figsize=(7, 4.5))
    for q in ("p50", "p99", "p99.9"):
        plt.plot(xs, [r["latency_ms"][q] for r in sweep], marker="o", label=q)
    plt.yscale("log")
    plt.xlabel("throughput (MB/s)")
    plt.ylabel("produce latency (ms)")
    plt.title(sweep[0]["label"].rsplit(" ", 2)[0] + ": produce latency against throughput")
    plt.grid(True, which="both", alpha=0.3)
    plt.legend()
    plt.savefig(path, dpi=100, bbox_inches="tight")
    return True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(ROOT, "bench", "results"))
    ap.add_argument("--quick", action="store_true", help="3 s per workload, no sweep")
    ap.add_argument("--flush-policy", default="replication")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    work_dir = os.environ.get("RILL_REPORT_DIR", "/var/tmp")
    print("measuring limits (fio, iperf3, CPU stalls) ...", flush=True)
    disk = fio_limits(work_dir)
    net_gbit = iperf_loopback()
    stalls = cpu_stalls()
    results, sweep = [], []
    for path in sorted(glob.glob(os.path.join(ROOT, "bench", "workloads", "*.conf"))):
        w = read_workload(path)
        if args.quick:
            w["duration-s"] = "3"
            w["warmup-s"] = "1"
        print(f"workload {w['label']} ...", flush=True)
        results.append(run_workload(w, flush_policy=args.flush_policy, work_dir=work_dir))
        if "baseline-for" in w:
            results[-1]["baseline_for"] = w["baseline-for"]
        if "sweep" in w and not args.quick:
            for rate in w["sweep"].split(","):
                r = run_workload(w, rate=int(rate), flush_policy=args.flush_policy, work_dir=work_dir)
                r["label"] = f"{w['label'].rsplit(' ', 2)[0]} {int(rate) * int(w['record-bytes']) / 1e6:.0f} MB/s"
                sweep.append(r)
    fio_bw = disk["seq_write_1m_qd4_mb_s"]
    lines = [f"# Rill benchmark report ({time.strftime('%Y-%m-%d %H:%M')})", "",
             f"Machine: `{run(['uname', '-srm']).stdout.strip()}`, {os.cpu_count()} CPUs. "
             f"Flush policy: `{args.flush_policy}`. Data directory file system: `{work_dir}`. "
             "Each workload runs its warm-up (`warmup-s`, records sent then are not measured) "
             "before its measured `duration-s`.", "",
             "## Limits measured in this run", "",
             f"- fio sequential write, 1 MiB, qd 4, O_DIRECT, io_uring: **{fio_bw} MB/s**",
             f"- fio 16 KiB qd1: {disk['seq_write_16k_qd1_mb_s']} MB/s; qd16: {disk['seq_write_16k_qd16_mb_s']} MB/s",
             f"- fio 16 KiB write + fdatasync: write p50 {disk['write_fdatasync_16k']['write_p50_us']:.0f} us, "
             f"fdatasync p50 {disk['write_fdatasync_16k']['fdatasync_p50_us']:.0f} us, "
             f"p99 {disk['write_fdatasync_16k']['fdatasync_p99_us']:.0f} us",
             f"- iperf3 loopback: **{net_gbit:.1f} Gbit/s**",
             f"- CPU stalls above {stalls['threshold_us']} us with every CPU busy (one pinned thread "
             f"per CPU reading the clock): {stalls['all_busy']['stalls_per_s_per_cpu']:.1f}/s per CPU, "
             f"{stalls['all_busy']['lost_percent']:.2f}% of the time, longest "
             f"{stalls['all_busy']['stall_max_us'] / 1e3:.1f} ms; a request needing a CPU at "
             f"{stalls['steps']} random instants has a p99 floor of "
             f"**{stalls['all_busy']['steps_p99_us'] / 1e3:.2f} ms** "
             f"(one thread, other CPUs idle: {stalls['one_busy']['lost_percent']:.2f}% lost, floor "
             f"{stalls['one_busy']['steps_p99_us'] / 1e3:.2f} ms)", "",
             "## Workloads", "",
             "| workload | records/s | MB/s | ratio to fio | p50 ms | p90 ms | p99 ms | p99.9 ms | p99.99 ms | max ms | errors |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in results + sweep:
        l = r["latency_ms"]
        lines.append(f"| {r['label']} | {r['records_per_s']:.0f} | {r['mb_per_s']:.1f} | {r['mb_per_s'] / fio_bw:.2f} | "
                     f"{l['p50']:.2f} | {l['p90']:.2f} | {l['p99']:.2f} | {l['p99.9']:.2f} | {l['p99.99']:.2f} | "
                     f"{l['max']:.2f} | {r['errors']} |")
    for base in results:
        target = next((r for r in results if r["label"] == base.get("baseline_for")), None)
        if target is None:
            continue
        lt, lb = target["latency_ms"], base["latency_ms"]
        lines += ["", f"Latency of {target['label']} against its baseline {base['label']} (same run): " +
                  ", ".join(f"{q} {lt[q]:.2f} / {lb[q]:.2f} ms = {lt[q] / lb[q]:.2f}x"
                            for q in ("p50", "p99", "p99.9"))]
    if sweep and plot(sweep, os.path.join(args.out, "latency.png")):
        lines += ["", "![latency against throughput](latency.png)"]
    lines += ["", "Targets (2-core machine): RF=1 acks=1 >= 50% of fio bandwidth; RF=3 acks=all >= 150 MB/s; "
              "RF=3 acks=all at 20 MB/s p99 < 2 ms, p99.9 < 5 ms.", "",
              "Raw results: `results.json`."]
    with open(os.path.join(args.out, "report.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump({"disk": disk, "loopback_gbit": net_gbit, "cpu_stalls": stalls, "workloads": results,
                   "sweep": sweep}, f, indent=2)
    print(f"report: {os.path.join(args.out, 'report.md')}")


if __name__ == "__main__":
    sys.exit(main())
