"""SNMP collection: one transport seam, two adapters, vendor profiles as data, the poller."""
