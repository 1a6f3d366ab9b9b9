"""A small filesystem of a broker's own, for full-disk faults: a tmpfs with
a size limit mounted on the broker's data directory (tmpfs takes O_DIRECT
on Linux >= 6.6). fill() takes every free byte with a filler file, release()
gives them back, unmount() removes the mount (lazily, after a failed run
too). Needs root.
"""
import os
import subprocess


class SmallDisk:
    def __init__(self, path, size_mb):
        self.path = path
        self.size_mb = size_mb
        self.filler = os.path.join(path, "disk-filler")
        self.mounted = False

    def mount(self):
        os.makedirs(self.path, exist_ok=True)
        subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={self.size_mb}m", f"rill-disk-{os.getpid()}",
                        self.path], check=True, capture_output=True)
        self.mounted = True
        return self

    def free_bytes(self):
        st = os.statvfs(self.path)
        return st.f_bavail * st.f_frsize

    def fill(self):
        """Writes the filler until ENOSPC; returns the bytes it took."""
        taken = 0
        with open(self.filler, "ab", buffering=0) as f:
            for chunk in (1 << 20, 1 << 12):
                block = b"\0" * chunk
                while True:
                    try:
                        f.write(block)
                        taken += chunk
                    except OSError:
                        break
        return taken

    def release(self):
        try:
            os.remove(self.filler)
        except FileNotFoundError:
            pass

    def unmount(self):
        if self.mounted:
            subprocess.run(["umount", "-l", self.path], check=False, capture_output=True)
            self.mounted = False
