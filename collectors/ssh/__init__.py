"""SSH collection: netmiko for network devices, paramiko for Linux hosts, in one bounded thread
pool behind async functions (:mod:`collectors.ssh.executor`).

Command sets per platform are data (``commands/<platform>.yaml``); answers are parsed with
ntc-templates where a template exists and with ssnoc's own parsers elsewhere. Host keys are
trusted on first use and pinned in the state DB. The entry points are in
:mod:`collectors.ssh.collect`: ``collect_device``, ``collect_fleet``, ``fetch_running_config``.
"""
