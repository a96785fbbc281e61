"""``show running-config`` of a simulated ZTE ZXR10 switch (ZXROS V5: tagged module blocks)."""

from __future__ import annotations

from lab.model import LabAccount, LabInterface
from lab.ssh.configs.encodings import zte_encrypted
from lab.ssh.configs.inputs import (
    BANNER,
    CONTACT,
    IPSEC_PEER,
    NTP_SERVERS,
    SYSLOG_SERVER,
    TACACS_SERVER,
    TRAP_RECEIVER,
    ConfigInput,
    address_and_mask,
)


def render(given: ConfigInput) -> str:
    device, secrets, log = given.device, given.secrets, given.secrets_log

    def encrypted(text: str, what: str) -> str:
        return log(zte_encrypted(text, f"{device.id}:{what}"))

    lines = [
        "Building configuration...",
        "!",
        "!<system-config>",
        f"hostname {device.name}",
        "banner incoming @",
        *BANNER,
        "@",
        "clock timezone BEIJING 8",
        f"enable secret level 15 encrypted {encrypted(secrets.enable_secret or '', 'enable')}",
        "!</system-config>",
        "!<if-intf>",
    ]
    for interface in device.interfaces:
        lines += _interface(interface)
    lines += [
        "!</if-intf>",
        "!<ipv4-address>",
    ]
    for interface in device.interfaces:
        address = address_and_mask(interface)
        if address is not None:
            lines += [f"interface {interface.name}", f"  ip address {address[0]} {address[1]}", "$"]
    lines += [
        "!</ipv4-address>",
        "!<lldp>",
        "lldp",
        "  lldp enable",
        *(f"  interface {i.name}\n    lldp enable\n  $" for i in device.interfaces if i.lldp),
        "$",
        "!</lldp>",
        "!<snmp>",
        f"snmp-server community encrypted {encrypted(device.community, 'community-read')} "
        "view AllView ro",
        f"snmp-server community encrypted {encrypted(secrets.snmp_write_community, 'rw')} "
        "view AllView rw",
        "snmp-server view AllView internet included",
        f"snmp-server location {device.location}",
        f"snmp-server contact {CONTACT}",
        "snmp-server group noc-group v3 priv read AllView notify AllView",
        f"snmp-server user {secrets.snmpv3_user} noc-group v3 encrypted auth sha "
        f"{encrypted(secrets.snmpv3_auth_key, 'v3-auth')} priv aes128 "
        f"{encrypted(secrets.snmpv3_priv_key, 'v3-priv')}",
        f"snmp-server host {TRAP_RECEIVER} trap version 3 priv {secrets.snmpv3_user}",
        "snmp-server enable trap",
        "!</snmp>",
        "!<ntp>",
        "ntp enable",
        "ntp authenticate",
        f"ntp authentication-key 1 md5 encrypted {encrypted(secrets.ntp_key, 'ntp')}",
        "ntp trusted-key 1",
        *(f"ntp server {server} key 1" for server in NTP_SERVERS),
        "!</ntp>",
        "!<syslog>",
        "logging on",
        f"logging host {SYSLOG_SERVER} fac local6",
        "!</syslog>",
        "!<tacacs>",
        "tacacs enable",
        f"tacacs-server host {TACACS_SERVER} key encrypted "
        + encrypted(secrets.aaa_shared_key, "tacacs"),
        "!</tacacs>",
        "!<aaa>",
        "aaa-authentication-template 2001",
        "  aaa-authentication-type tacacs local",
        "$",
        "aaa-authorization-template 2001",
        "  aaa-authorization-type tacacs local",
        "$",
        "!</aaa>",
        "!<system-user>",
        "system-user",
        "  authentication-template 1",
        "    bind aaa-authentication-template 2001",
        "  $",
        *(
            line
            for level in sorted({a.privilege for a in device.accounts})
            for line in (
                f"  authorization-template {level}",
                f"    bind privilege {level}",
                "  $",
            )
        ),
        *(line for account in device.accounts for line in _user(account, given)),
        "$",
        "!</system-user>",
        "!<ipsec>",
        "ipsec ike-proposal dc-backup",
        "  encryption aes256",
        "  authentication sha2-256",
        "  dh group14",
        "$",
        "ipsec ike-peer dc-backup",
        f"  pre-shared-key encrypted {encrypted(secrets.ike_pre_shared_key, 'ike')}",
        f"  remote-address {IPSEC_PEER}",
        "  ike-proposal dc-backup",
        "$",
        "!</ipsec>",
        "!<ssh>",
        "ssh server enable",
        "ssh server version 2",
        "ssh server authentication ispgroup 2001",
        "!</ssh>",
        *given.extra_lines,
        "end",
    ]
    return "\n".join(lines) + "\n"


def _user(account: LabAccount, given: ConfigInput) -> list[str]:
    password = given.secrets_log(
        zte_encrypted(account.password, f"{given.device.id}:{account.name}")
    )
    return [
        f"  user-name {account.name}",
        "    bind authentication-template 1",
        f"    bind authorization-template {account.privilege}",
        f"    password encrypted {password}",
        "  $",
    ]


def _interface(interface: LabInterface) -> list[str]:
    lines = [f"interface {interface.name}"]
    if interface.alias:
        lines.append(f"  description {interface.alias}")
    lines.append("  no shutdown" if interface.admin_up else "  shutdown")
    lines.append("$")
    return lines
