"""Starts real Rill broker processes for integration tests.

Every broker listens on loopback on a free port, keeps its data in a
temporary directory of its own, and is stopped (SIGTERM, then SIGKILL after
a bound) by the test that started it, by pid.
"""
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

RILL = os.environ.get("RILL_BINARY", os.path.join(os.path.dirname(__file__), "../../build/rill"))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port, proc, timeout_s=20.0):
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"broker exited early with code {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"broker did not listen on {port} within {timeout_s}s")


class Broker:
    """One `rill broker` process. Use as a context manager."""

    def __init__(self, data_dir=None, port=None, shards=2, extra=()):
        self.own_dir = data_dir is None
        self.data_dir = data_dir or tempfile.mkdtemp(prefix="rill-it-")
        self.port = port or free_port()
        self.shards = shards
        self.extra = list(extra)
        self.proc = None
        self.log_path = os.path.join(self.data_dir, "broker.log")

    @property
    def bootstrap(self):
        return f"127.0.0.1:{self.port}"

    def start(self):
        args = [RILL, "broker", f"--port={self.port}", f"--log.dirs={self.data_dir}/data",
                f"--shards={self.shards}", "--pin.shards=false"] + self.extra
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=self.log)
        wait_for_port(self.port, self.proc)
        return self

    def stop(self, sig=signal.SIGTERM, timeout_s=20.0):
        if self.proc is None or self.proc.poll() is not None:
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

    def __exit__(self, *exc):
        self.stop()
        if self.own_dir and exc[0] is None:
            shutil.rmtree(self.data_dir, ignore_errors=True)
