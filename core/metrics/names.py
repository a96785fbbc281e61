"""Metric names and their labels, written by the collectors and read by the API and console.

Units are in the names. Interface series carry ``device``, ``if_index`` and ``if_name``; device
series carry ``device`` and ``region`` (the device's region code).
"""

from __future__ import annotations

INTERFACE_IN_BPS = "interface_in_bps"
"""Bits per second received, from the 64-bit octet counter where the device has one."""
INTERFACE_OUT_BPS = "interface_out_bps"
"""Bits per second sent."""
INTERFACE_IN_ERRORS_PER_S = "interface_in_errors_per_s"
INTERFACE_OUT_ERRORS_PER_S = "interface_out_errors_per_s"
INTERFACE_OPER_UP = "interface_oper_up"
"""1 when ifOperStatus is up, else 0."""

DEVICE_UP = "device_up"
"""1 when the device answered this poll, else 0."""
DEVICE_CPU_PERCENT = "device_cpu_percent"
DEVICE_MEMORY_PERCENT = "device_memory_percent"
DEVICE_UPTIME_S = "device_uptime_s"
DEVICE_POLL_DURATION_S = "device_poll_duration_s"

INTERFACE_METRICS = (
    INTERFACE_IN_BPS,
    INTERFACE_OUT_BPS,
    INTERFACE_IN_ERRORS_PER_S,
    INTERFACE_OUT_ERRORS_PER_S,
    INTERFACE_OPER_UP,
)
DEVICE_METRICS = (
    DEVICE_UP,
    DEVICE_CPU_PERCENT,
    DEVICE_MEMORY_PERCENT,
    DEVICE_UPTIME_S,
    DEVICE_POLL_DURATION_S,
)

# Linux hosts, collected over SSH. Every series carries ``device``.
HOST_LOAD1 = "host_load1"
"""One-minute load average (/proc/loadavg)."""
HOST_MEMORY_PERCENT = "host_memory_percent"
"""Memory in use: 100 × (MemTotal − MemAvailable) / MemTotal."""
HOST_DISK_USED_PERCENT = "host_disk_used_percent"
"""Per filesystem, labelled ``mount``: 100 × used / (used + available), df's Capacity unrounded."""
HOST_UNIT_ACTIVE = "host_unit_active"
"""Per named service, labelled ``unit``: 1 when active (or its process runs), else 0."""

HOST_METRICS = (HOST_LOAD1, HOST_MEMORY_PERCENT, HOST_DISK_USED_PERCENT, HOST_UNIT_ACTIVE)
