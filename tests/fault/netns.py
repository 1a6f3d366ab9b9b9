"""Network namespaces for fault tests: one per node, joined by veth pairs to
a bridge in a hub namespace of their own, plus one veth into the harness's
namespace so its clients reach every node.

    harness ns --veth-- [hub ns: bridge] --veth-- node ns (controller, broker-i)

Servers listen only on their node's address. Faults:
  isolate(node)            the node's link goes down: nobody reaches it
  partition(node, others)  blackhole routes both ways between the node and
                           `others` (the cluster), while the harness's
                           clients still reach it: the zombie leader
  heal(node)               undoes both

Names carry the harness's pid, and remove() deletes everything the run
created (deleting the hub and node namespaces destroys their veths), also
after a failed check. Needs root (CAP_NET_ADMIN).
"""
import ipaddress
import os
import random
import subprocess


def _ip(*args, check=True):
    return subprocess.run(["ip", *args], check=check, capture_output=True, text=True)


def available():
    """True when this process may create namespaces (root, iproute2)."""
    if os.geteuid() != 0:
        return False
    name = f"rill-probe-{os.getpid()}"
    try:
        if _ip("netns", "add", name, check=False).returncode != 0:
            return False
        return _ip("-n", name, "link", "add", "br0", "type", "bridge", check=False).returncode == 0
    finally:
        _ip("netns", "del", name, check=False)


def _free_subnet(rng):
    routes = _ip("route", "show", "table", "all", check=False).stdout
    for _ in range(100):
        net = ipaddress.ip_network(f"10.{rng.randrange(200, 250)}.{rng.randrange(0, 250)}.0/24")
        if str(net.network_address)[:-2] not in routes:
            return net
    raise RuntimeError("no free 10.x.y.0/24 subnet for the test network")


class Network:
    def __init__(self, nodes, seed=None):
        self.tag = f"rill{os.getpid()}"
        self.hub = f"{self.tag}-hub"
        self.subnet = _free_subnet(random.Random(seed))
        hosts = list(self.subnet.hosts())
        self.harness_address = str(hosts[0])
        self.nodes = {name: {"ns": f"{self.tag}-{name}", "address": str(hosts[i + 1]), "port": f"p{i}"}
                      for i, name in enumerate(nodes)}
        self.created = []
        self.partitions = {}  # node -> peers it was cut from

    def address(self, node):
        return self.nodes[node]["address"]

    def exec_prefix(self, node):
        """Command prefix that runs a program inside the node's namespace
        (ip execs it: the pid is the program's own)."""
        return ["ip", "netns", "exec", self.nodes[node]["ns"]]

    def create(self):
        _ip("netns", "add", self.hub)
        self.created.append(self.hub)
        _ip("-n", self.hub, "link", "add", "br0", "type", "bridge")
        _ip("-n", self.hub, "link", "set", "br0", "up")
        prefix = self.subnet.prefixlen
        # The harness's own leg: an interface in this namespace.
        _ip("link", "add", f"{self.tag}h", "type", "veth", "peer", "name", "harness", "netns", self.hub)
        _ip("addr", "add", f"{self.harness_address}/{prefix}", "dev", f"{self.tag}h")
        _ip("link", "set", f"{self.tag}h", "up")
        _ip("-n", self.hub, "link", "set", "harness", "master", "br0", "up")
        for node in self.nodes.values():
            ns = node["ns"]
            _ip("netns", "add", ns)
            self.created.append(ns)
            _ip("link", "add", node["port"], "netns", self.hub, "type", "veth", "peer", "name", "eth0",
                "netns", ns)
            _ip("-n", self.hub, "link", "set", node["port"], "master", "br0", "up")
            _ip("-n", ns, "addr", "add", f"{node['address']}/{prefix}", "dev", "eth0")
            _ip("-n", ns, "link", "set", "eth0", "up")
            _ip("-n", ns, "link", "set", "lo", "up")
        return self

    def isolate(self, node):
        _ip("-n", self.hub, "link", "set", self.nodes[node]["port"], "down")

    def partition(self, node, others):
        """Cuts node from others in both directions; the harness still reaches it."""
        self.partitions[node] = list(others)
        for other in others:
            _ip("-n", self.nodes[node]["ns"], "route", "add", "blackhole", f"{self.address(other)}/32")
            _ip("-n", self.nodes[other]["ns"], "route", "add", "blackhole", f"{self.address(node)}/32")

    def cut_frames(self, node, ether_type):
        """Drops every frame of ether_type to or from node on the bridge
        (IP routes do not stop frames that are not IP, such as DPDK
        replication's); heal() undoes it. Needs nftables."""
        nft = ["ip", "netns", "exec", self.hub, "nft"]
        subprocess.run(nft + ["add", "table", "bridge", "rill_cut"], check=True)
        subprocess.run(nft + ["add", "chain", "bridge", "rill_cut", "cut",
                              "{ type filter hook forward priority 0; }"], check=True)
        port = self.nodes[node]["port"]
        for direction in ("iifname", "oifname"):
            subprocess.run(nft + ["add", "rule", "bridge", "rill_cut", "cut", direction, port, "ether", "type",
                                  hex(ether_type), "drop"], check=True)

    def heal(self, node):
        subprocess.run(["ip", "netns", "exec", self.hub, "nft", "delete", "table", "bridge", "rill_cut"],
                       capture_output=True)
        _ip("-n", self.hub, "link", "set", self.nodes[node]["port"], "up")
        for other in self.partitions.pop(node, []):
            _ip("-n", self.nodes[node]["ns"], "route", "del", "blackhole", f"{self.address(other)}/32",
                check=False)
            _ip("-n", self.nodes[other]["ns"], "route", "del", "blackhole", f"{self.address(node)}/32",
                check=False)

    def remove(self):
        _ip("link", "del", f"{self.tag}h", check=False)
        for ns in reversed(self.created):
            _ip("netns", "del", ns, check=False)
        self.created = []
