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
