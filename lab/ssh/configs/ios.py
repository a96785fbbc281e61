"""``show running-config`` of a simulated Cisco IOS / IOS-XE Catalyst switch."""

from __future__ import annotations

from lab.catalogue import model_named
from lab.model import LabAccount, LabInterface
from lab.ssh.configs.encodings import cisco_type5, cisco_type7, cisco_type9
from lab.ssh.configs.inputs import (
    BANNER,
    CONTACT,
    DOMAIN,
    IPSEC_PEER,
    NTP_SERVERS,
    SYSLOG_SERVER,
    TACACS_SERVER,
    TRAP_RECEIVER,
    ConfigInput,
    access_vlan,
    address_and_mask,
)

_SKIPPED = ("Null0",)


def render(given: ConfigInput) -> str:
    device, secrets, log = given.device, given.secrets, given.secrets_log
    model = model_named(device.platform, device.model)
    major = ".".join(model.version.split(".")[:2]).split("(")[0]
    enable = secrets.enable_secret or ""
    body = [
        "!",
        "! Last configuration change at 10:21:33 CST Tue Mar 12 2024 by admin",
        "! NVRAM config last updated at 10:25:01 CST Tue Mar 12 2024 by admin",
        "!",
        f"version {major}",
        "no service pad",
        "service timestamps debug datetime msec localtime",
        "service timestamps log datetime msec localtime",
        "service password-encryption",
        "!",
        f"hostname {device.name}",
        "!",
        "boot-start-marker",
        "boot-end-marker",
        "!",
        "logging buffered 64000 informational",
        f"enable secret 9 {log(cisco_type9(enable, f'{device.id}:enable'))}",
        "!",
        *(_username(account, given) for account in device.accounts),
        "aaa new-model",
        "!",
        "aaa group server tacacs+ NOC-TACACS",
        " server name NOC-TACACS1",
        "!",
        "aaa authentication login default group NOC-TACACS local",
        "aaa authorization exec default group NOC-TACACS local",
        "aaa accounting exec default start-stop group NOC-TACACS",
        "!",
        "aaa session-id common",
        "clock timezone CST 8 0",
        "!",
        f"ip domain-name {DOMAIN}",
        "!",
        "crypto isakmp policy 10",
        " encr aes 256",
        " hash sha256",
        " authentication pre-share",
        " group 14",
        f"crypto isakmp key {log(secrets.ike_pre_shared_key)} address {IPSEC_PEER}",
        "!",
        "spanning-tree mode rapid-pvst",
        "!",
        "vlan 100",
        " name management",
        "!",
        "lldp run",
        "!",
    ]
    for interface in device.interfaces:
        if interface.name not in _SKIPPED:
            body += _interface(interface)
    body += [
        "ip ssh version 2",
        "!",
        f"logging host {SYSLOG_SERVER}",
        "access-list 10 permit 10.0.0.0 0.0.0.255",
        "!",
        "snmp-server group NOC-V3 v3 priv",
        f"snmp-server community {log(device.community)} RO 10",
        f"snmp-server community {log(secrets.snmp_write_community)} RW 10",
        f"snmp-server location {device.location}",
        f"snmp-server contact {CONTACT}",
        "snmp-server enable traps snmp linkdown linkup coldstart warmstart",
        f"snmp-server host {TRAP_RECEIVER} version 3 priv {secrets.snmpv3_user}",
        "!",
        "tacacs server NOC-TACACS1",
        f" address ipv4 {TACACS_SERVER}",
        f" key 7 {log(cisco_type7(secrets.aaa_shared_key, f'{device.id}:tacacs'))}",
        "!",
        "banner motd ^C",
        *BANNER,
        "^C",
        "!",
        "line con 0",
        "line vty 0 4",
        " exec-timeout 15 0",
        " transport input ssh",
        "line vty 5 15",
        " transport input ssh",
        "!",
        f"ntp authentication-key 1 md5 {log(cisco_type7(secrets.ntp_key, f'{device.id}:ntp'))} 7",
        "ntp authenticate",
        "ntp trusted-key 1",
        *(f"ntp server {server} key 1" for server in NTP_SERVERS),
        *given.extra_lines,
        "end",
    ]
    text = "\n".join(body) + "\n"
    # IOS counts the configuration's bytes in its header, as the device would.
    return f"Building configuration...\n\nCurrent configuration : {len(text)} bytes\n{text}"


def _username(account: LabAccount, given: ConfigInput) -> str:
    device, log = given.device, given.secrets_log
    context = f"{device.id}:{account.name}"
    head = f"username {account.name} privilege {account.privilege}"
    if account.hash_kind == "7":
        return f"{head} password 7 {log(cisco_type7(account.password, context))}"
    if account.hash_kind == "5":
        return f"{head} secret 5 {log(cisco_type5(account.password, context))}"
    return f"{head} secret 9 {log(cisco_type9(account.password, context))}"


def _interface(interface: LabInterface) -> list[str]:
    lines = [f"interface {interface.name}"]
    if interface.alias:
        lines.append(f" description {interface.alias}")
    address = address_and_mask(interface)
    if address is not None:
        if interface.lldp:
            lines.append(" no switchport")
        lines.append(f" ip address {address[0]} {address[1]}")
    elif interface.lldp and interface.link is None and interface.alias:
        lines += [f" switchport access vlan {access_vlan(interface)}", " switchport mode access"]
    elif not interface.lldp:
        lines.append(" no ip address")
    if not interface.admin_up or (not interface.lldp and not interface.oper_up):
        lines.append(" shutdown")
    lines.append("!")
    return lines
