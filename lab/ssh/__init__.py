"""SSH for the simulated province: a CLI simulator for the routers and switches, OpenSSH for hosts.

Every router and switch answers SSH on its own loopback address through an asyncssh server
(:mod:`lab.ssh.server`) whose CLI engine (:mod:`lab.ssh.cli_engine`) speaks each platform's dialect
(:mod:`lab.ssh.dialects`: prompts, modes, paging, errors — data, per platform) closely enough for
netmiko's own drivers. Outputs come from the lab's state (:mod:`lab.ssh.outputs`, running
configurations in :mod:`lab.ssh.configs`) or from a directory of recorded outputs. One process
serves many devices (:mod:`lab.ssh.run`, launched by :mod:`lab.ssh.process`); each device keeps
its own host key across restarts (:mod:`lab.ssh.hostkeys`). The Linux hosts are real: one OpenSSH
sshd listens on all their addresses (:mod:`lab.ssh.openssh`). Other tests start one simulated
device with :func:`lab.ssh.testing.running_ssh_device`.

asyncssh is imported under this package only.
"""
