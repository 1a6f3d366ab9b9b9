"""Starts real Rill broker processes for integration tests.

Every broker listens on loopback on a free port (or, given a
tests/fault/netns.py Network, on its own namespace's address), keeps its
data in a temporary directory of its own, and is stopped (SIGTERM, then
SIGKILL after a bound) by the test that started it, by pid. Temporary
directories are removed when the test is done, passed or failed (at the
latest when the interpreter exits, which also kills any process a failed
test left running; SIGTERM, e.g. from ctest's or timeout's limit, exits
through the same path), unless RILL_KEEP_TEST_DATA=1 (then their paths are
printed). A run that died without cleaning up (SIGKILL, an abort inside a
client library) leaves its directories marked with its pid; the next run
removes those whose owner is gone.
"""
import atexit
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

import kafka_wire

RILL = os.environ.get("RILL_BINARY", os.path.join(os.path.dirname(__file__), "../../build/rill"))


_test_dirs = []  # every temporary directory made here, removed at exit
_processes = []  # every process started here, stopped at exit if still running
_OWNER_FILE = ".rill-test-owner"  # the pid of the run that made the directory
_PREFIXES = ("rill-it-", "rill-cluster-", "rill-etcd-")


def _pid_alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


def _sweep_orphans():
    """Removes test directories whose run died before it could clean up."""
    root = tempfile.gettempdir()
    for name in os.listdir(root):
        path = os.path.join(root, name)
        marker = os.path.join(path, _OWNER_FILE)
        if not name.startswith(_PREFIXES) or not os.path.isfile(marker):
            continue
        try:
            with open(marker) as f:
                owner = int(f.read().strip() or 0)
        except (OSError, ValueError):
            continue
        if owner > 0 and not _pid_alive(owner):
            shutil.rmtree(path, ignore_errors=True)


def make_test_dir(prefix):
    path = tempfile.mkdtemp(prefix=prefix)
    _test_dirs.append(path)
    if not keep_test_data():  # kept data is the user's to remove
        with open(os.path.join(path, _OWNER_FILE), "w") as f:
            f.write(str(os.getpid()))
    return path


@atexit.register
def _clean_up_at_exit():
    """Whatever a test left (it failed, or forgot): stop its processes, remove its data."""
    for proc in _processes:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    for path in _test_dirs:
        if os.path.exists(path):
            remove_test_dir(path)


def _exit_on_sigterm(_signum, _frame):
    sys.exit(143)  # runs the atexit clean-up, which the default SIGTERM action skips


if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
    signal.signal(signal.SIGTERM, _exit_on_sigterm)


def keep_test_data():
    return os.environ.get("RILL_KEEP_TEST_DATA", "") not in ("", "0")


def remove_test_dir(path):
    """Removes a test's temporary directory unless RILL_KEEP_TEST_DATA asks to keep it."""
    if keep_test_data():
        print(f"kept test data in {path}", file=sys.stderr)
        return
    shutil.rmtree(path, ignore_errors=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port, proc, timeout_s=20.0, host="127.0.0.1"):
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"broker exited early with code {proc.returncode}")
        try:
            with socket.create_connection((host, port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"broker did not listen on {port} within {timeout_s}s")


def memif_settings(brokers):
    """Broker settings for replication on DPDK over a net_memif link between
    each pair of brokers (sockets in the cluster's directory; the lower id is
    the memif server), for Cluster(broker_extra_for=...)."""
    def settings(i, root):
        vdevs, peers = [], []
        for index, peer in enumerate(p for p in range(1, brokers + 1) if p != i):
            port = f"net_memif{index}"
            sock = os.path.join(root, f"memif-{min(i, peer)}-{max(i, peer)}.sock")
            role = "server" if i < peer else "client"
            vdevs.append(f"{port},role={role},id=0,socket={sock},socket-abstract=no")
            peers.append(f"{peer}={port}")
        return ["--replication.transport=dpdk", "--replication.dpdk.vdevs=" + ";".join(vdevs),
                "--replication.dpdk.peers=" + ",".join(peers)]
    return settings


def af_packet_settings(brokers, iface="eth0"):
    """Broker settings for replication on DPDK's net_af_packet over the
    interface of each broker's namespace (tests/fault/netns.py), all peers
    through that one port."""
    def settings(i, root):
        peers = ",".join(f"{p}=net_af_packet0" for p in range(1, brokers + 1) if p != i)
        return ["--replication.transport=dpdk", f"--replication.dpdk.vdevs=net_af_packet0,iface={iface}",
                "--replication.dpdk.peers=" + peers]
    return settings


def dpdk_built():
    """False when this rill was built without DPDK (it says so when asked for it)."""
    out = subprocess.run([RILL, "broker", "--replication.transport=dpdk", "--replication.dpdk.peers=2=none",
                          "--port=1", "--broker.id=1", "--log.dirs=/nonexistent-rill"],
                         capture_output=True, text=True, timeout=60)
    return "has no DPDK" not in out.stdout + out.stderr


class Broker:
    """One `rill broker` process. Use as a context manager."""

    def __init__(self, data_dir=None, port=None, shards=2, extra=(), broker_id=1, controller=None,
                 host="127.0.0.1", wrapper=()):
        self.host = host
        self.wrapper = list(wrapper)  # e.g. ["ip", "netns", "exec", NS]; it execs, the pid stays
        self.own_dir = data_dir is None
        self.data_dir = data_dir or make_test_dir("rill-it-")
        self.port = port or free_port()
        self.shards = shards
        self.extra = list(extra) + [f"--broker.id={broker_id}"]
        if controller is not None:
            self.extra.append(f"--controller={controller.host}:{controller.port}")
        self.broker_id = broker_id
        self.proc = None
        self.log_path = os.path.join(self.data_dir, "broker.log")

    @property
    def bootstrap(self):
        return f"{self.host}:{self.port}"

    def start(self, wait=True):
        """wait=False: returns once the process runs; wait_until_serving() later."""
        args = self.wrapper + [RILL, "broker", f"--listen.host={self.host}", f"--port={self.port}",
                               f"--log.dirs={self.data_dir}/data", f"--shards={self.shards}",
                               "--pin.shards=false"] + self.extra
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=self.log)
        _processes.append(self.proc)
        if wait:
            self.wait_until_serving()
        return self

    def wait_until_serving(self):
        wait_for_port(self.port, self.proc, host=self.host)

    def stop(self, sig=signal.SIGTERM, timeout_s=20.0):
        if self.proc is None or self.proc.poll() is not None:
            if self.proc is not None and not self.log.closed:
                self.log.close()
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(sig)
        try:
            self.proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()
        return self.proc.returncode

    def kill9(self):
        return self.stop(signal.SIGKILL)

    def log_text(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")

    def __enter__(self):
        return self.start()

    def cleanup(self):
        if self.own_dir:
            remove_test_dir(self.data_dir)

    def __exit__(self, *exc):
        self.stop()
        self.cleanup()


class Controller(Broker):
    """One `rill controller` process."""

    def __init__(self, data_dir=None, port=None, extra=(), host="127.0.0.1", wrapper=()):
        super().__init__(data_dir=data_dir, port=port, extra=extra, host=host, wrapper=wrapper)
        self.extra = list(extra)
        self.log_path = os.path.join(self.data_dir, "controller.log")

    def start(self, wait=True):
        """wait=False: a standby controller (etcd store) listens only once active."""
        args = self.wrapper + [RILL, "controller", f"--listen.host={self.host}", f"--port={self.port}",
                               f"--data.dir={self.data_dir}/meta"] + self.extra
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=self.log)
        _processes.append(self.proc)
        if wait:
            wait_for_port(self.port, self.proc, host=self.host)
        return self


class Cluster:
    """A controller and n brokers, each with its own directory: on loopback,
    or in the namespaces "controller", "broker-1".. of a netns.Network."""

    @staticmethod
    def node_names(brokers):
        return ["controller"] + [f"broker-{i}" for i in range(1, brokers + 1)]

    def __init__(self, brokers=3, controller_extra=(), broker_extra=(), network=None,
                 broker_extra_for=None):
        """broker_extra_for(i, root): settings of broker i alone (e.g. its DPDK ports)."""
        self.root = make_test_dir("rill-cluster-")
        self.network = network

        def placement(node):
            if network is None:
                return {}
            return {"host": network.address(node), "wrapper": network.exec_prefix(node)}

        self.controller = Controller(data_dir=os.path.join(self.root, "controller"), extra=controller_extra,
                                     **placement("controller"))
        os.makedirs(self.controller.data_dir, exist_ok=True)
        self.brokers = []
        for i in range(1, brokers + 1):
            d = os.path.join(self.root, f"broker-{i}")
            os.makedirs(d, exist_ok=True)
            extra = list(broker_extra) + list(broker_extra_for(i, self.root) if broker_extra_for else [])
            self.brokers.append(Broker(data_dir=d, broker_id=i, controller=self.controller, extra=extra,
                                       **placement(f"broker-{i}")))

    @property
    def bootstrap(self):
        return ",".join(b.bootstrap for b in self.brokers if b.proc and b.proc.poll() is None)

    def start(self):
        """Starts every broker before waiting for any: brokers whose links
        need their peers (DPDK) come up together."""
        self.controller.start()
        for b in self.brokers:
            b.start(wait=False)
        for b in self.brokers:
            b.wait_until_serving()
        self.wait_until_registered()
        return self

    def wait_until_registered(self, timeout_s=30.0):
        """Until the first broker's Metadata lists every broker: a listening
        broker may not yet hold its registration, and a topic of
        replication factor n needs n live brokers."""
        want = sorted(b.broker_id for b in self.brokers)
        first = self.brokers[0]
        deadline = time.monotonic() + timeout_s
        seen = []
        while time.monotonic() < deadline:
            try:
                conn = kafka_wire.Connection(first.host, first.port, timeout_s=5)
                try:
                    conn.send(kafka_wire.metadata_request(1))
                    seen = kafka_wire.parse_metadata_broker_ids(conn.receive())
                finally:
                    conn.close()
                if seen == want:
                    return
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"brokers {want} not all registered after {timeout_s} s (metadata lists {seen})")

    def stop(self):
        codes = [b.stop() for b in self.brokers]
        codes.append(self.controller.stop())
        return codes

    def logs(self):
        out = []
        for p in [self.controller] + self.brokers:
            try:
                out.append(f"==== {p.log_path}\n" + p.log_text()[-4000:])
            except OSError:
                pass
        return "\n".join(out)

    def __enter__(self):
        return self.start()

    def cleanup(self):
        remove_test_dir(self.root)

    def __exit__(self, *exc):
        self.stop()
        self.cleanup()


_sweep_orphans()
