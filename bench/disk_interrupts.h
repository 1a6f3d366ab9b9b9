// disk_interrupts: which CPU services the interrupts of the block device
// that holds a directory. On a virtual machine the completion of a disk
// write wakes the waiting thread from that CPU: a thread on another CPU
// pays a cross-CPU wake-up (an IPI, tens of microseconds under a
// hypervisor) per I/O. The storage benchmark runs its shard and fio there,
// so that both see the same placement.
#pragma once

#include <string>

namespace rill::bench {

struct interrupt_placement {
  int cpu = -1;        // CPU with most of the device's interrupts; -1 unknown
  std::string device;  // e.g. "vda (virtio1)"
};

// Looks the directory's device up in /sys and counts its lines of
// /proc/interrupts per CPU.
interrupt_placement disk_interrupt_placement(const std::string& dir);

}  // namespace rill::bench
