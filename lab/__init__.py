"""The simulated province: SNMP agents, SSH devices and (later) cards and services on loopback.

The lab imports ``core`` only. The NOC sees the lab through its real collectors, never through a
back door.

SNMP agents: :mod:`lab.control` (``lab up|down|status``) builds the province with
:mod:`lab.province` — the plan in :mod:`lab.layout`, hardware in :mod:`lab.catalogue`, ports in
:mod:`lab.ports`, traffic in :mod:`lab.traffic`, ifTables in :mod:`lab.interfaces` — writes one
.snmprec per device (:mod:`lab.snmprec_writer` over :mod:`lab.agent_system`,
:mod:`lab.agent_interfaces`, :mod:`lab.agent_lldp`) and serves them from sharded snmpsim
processes (:mod:`lab.snmpsim_runner`), recording what runs in lab.json (:mod:`lab.state`).

SSH: every router and switch also has local accounts and configuration secrets
(:mod:`lab.accounts`) and addresses (:mod:`lab.ip_plan`), and answers SSH through the CLI
simulator of :mod:`lab.ssh`; the Linux hosts are this machine, behind a real sshd.
"""
