"""The simulated province: SNMP agents and (later) SSH devices, cards and services on loopback.

The lab imports ``core`` only. The NOC sees the lab through its real collectors, never through a
back door.
"""
