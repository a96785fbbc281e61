"""Collectors: what ssnoc learns from the network (SNMP now; SSH and probes in later issues)."""
