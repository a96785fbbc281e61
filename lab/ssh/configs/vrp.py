"""``display current-configuration`` of a simulated Huawei VRP switch (S-series, V200R019)."""

from __future__ import annotations

from lab.catalogue import model_named
from lab.model import AccountRole, LabAccount, LabInterface
from lab.ssh.configs.encodings import vrp_cipher, vrp_irreversible
from lab.ssh.configs.inputs import (
    BANNER,
    CHANGED_AT,
    CONTACT,
    IPSEC_PEER,
    NTP_SERVERS,
    RADIUS_SERVER,
    SAVED_AT,
    SYSLOG_SERVER,
    TACACS_SERVER,
    TRAP_RECEIVER,
    ConfigInput,
    access_vlan,
    address_and_mask,
    engine_id,
)

_SKIPPED = ("InLoopBack0", "Console9/0/0")
_SERVICE_NAMES = {"ssh": "ssh", "telnet": "telnet", "terminal": "terminal", "ftp": "ftp"}


def render(given: ConfigInput) -> str:
    device, secrets, log = given.device, given.secrets, given.secrets_log
    model = model_named(device.platform, device.model)
    release = model.release.split(" ", 1)[-1]

    def cipher(text: str, what: str) -> str:
        return log(vrp_cipher(text, f"{device.id}:{what}"))

    lines = [
        f"!Software Version {release}",
        f"!Last configuration was updated at {CHANGED_AT}+08:00 by admin",
        f"!Last configuration was saved at {SAVED_AT}+08:00 by admin",
        "#",
        f"sysname {device.name}",
        "#",
        f'header login information "{" ".join(BANNER)}"',
        "#",
        "vlan batch 100 201 to 204",
        "#",
        "clock timezone BJ add 08:00:00",
        "#",
        "lldp enable",
        "#",
        f"info-center loghost {SYSLOG_SERVER} facility local6",
        "info-center timestamp log format-date",
        "#",
        "radius-server template noc-radius",
        f" radius-server shared-key cipher {cipher(secrets.aaa_shared_key, 'radius')}",
        f" radius-server authentication {RADIUS_SERVER} 1812 weight 80",
        f" radius-server accounting {RADIUS_SERVER} 1813 weight 80",
        "#",
        "hwtacacs-server template noc-tacacs",
        f" hwtacacs-server authentication {TACACS_SERVER}",
        f" hwtacacs-server authorization {TACACS_SERVER}",
        f" hwtacacs-server accounting {TACACS_SERVER}",
        f" hwtacacs-server shared-key cipher {cipher(secrets.aaa_shared_key, 'tacacs')}",
        "#",
        "aaa",
        " authentication-scheme default",
        " authentication-scheme noc",
        "  authentication-mode hwtacacs local",
        " authorization-scheme default",
        " authorization-scheme noc",
        "  authorization-mode hwtacacs local",
        " accounting-scheme default",
        " domain default",
        " domain default_admin",
        "  authentication-scheme noc",
        "  authorization-scheme noc",
        "  hwtacacs-server noc-tacacs",
        *(line for account in device.accounts for line in _local_user(account, given)),
        "#",
        "ntp-service authentication enable",
        "ntp-service authentication-keyid 1 authentication-mode hmac-sha256 cipher "
        + cipher(secrets.ntp_key, "ntp"),
        "ntp-service reliable authentication-keyid 1",
        *(f"ntp-service unicast-server {server} authentication-keyid 1" for server in NTP_SERVERS),
        "#",
        "ike proposal 10",
        " encryption-algorithm aes-256",
        " dh group14",
        " authentication-algorithm sha2-256",
        "#",
        "ike peer dc-backup",
        f" pre-shared-key cipher {cipher(secrets.ike_pre_shared_key, 'ike')}",
        " ike-proposal 10",
        f" remote-address {IPSEC_PEER}",
        "#",
    ]
    for interface in device.interfaces:
        if interface.name not in _SKIPPED:
            lines += _interface(interface)
    lines += [
        "snmp-agent",
        f"snmp-agent local-engineid {engine_id('800007DB', device.mac)}",
        f"snmp-agent community read cipher {cipher(device.community, 'community-read')}",
        f"snmp-agent community write cipher {cipher(secrets.snmp_write_community, 'rw')}",
        f"snmp-agent sys-info contact {CONTACT}",
        f"snmp-agent sys-info location {device.location}",
        "snmp-agent sys-info version v2c v3",
        "snmp-agent group v3 noc-group privacy read-view iso-view notify-view iso-view",
        "snmp-agent mib-view included iso-view iso",
        f"snmp-agent usm-user v3 {secrets.snmpv3_user}",
        f"snmp-agent usm-user v3 {secrets.snmpv3_user} group noc-group",
        f"snmp-agent usm-user v3 {secrets.snmpv3_user} authentication-mode sha2-256 cipher "
        + cipher(secrets.snmpv3_auth_key, "v3-auth"),
        f"snmp-agent usm-user v3 {secrets.snmpv3_user} privacy-mode aes128 cipher "
        + cipher(secrets.snmpv3_priv_key, "v3-priv"),
        f"snmp-agent target-host trap address udp-domain {TRAP_RECEIVER} params securityname "
        f"{secrets.snmpv3_user} v3 privacy",
        "snmp-agent trap enable",
        "#",
        "stelnet server enable",
        "ssh authorization-type default aaa",
        *(
            line
            for account in device.accounts
            if "ssh" in account.services
            for line in (
                f"ssh user {account.name}",
                f"ssh user {account.name} authentication-type password",
                f"ssh user {account.name} service-type stelnet",
            )
        ),
        "#",
        "user-interface con 0",
        " authentication-mode aaa",
        "user-interface vty 0 4",
        " authentication-mode aaa",
        " user privilege level 15",
        " protocol inbound ssh",
        " idle-timeout 15 0",
        "user-interface vty 16 20",
        "#",
        *given.extra_lines,
        *(["#"] if given.extra_lines else []),
        "return",
    ]
    return "\n".join(lines) + "\n"


def _local_user(account: LabAccount, given: ConfigInput) -> list[str]:
    device, log = given.device, given.secrets_log
    if account.hash_kind == "simple":
        # Set with `password simple` on an older VRP, which kept it in clear, and carried over.
        password = f"simple {log(account.password)}"
    else:
        digest = vrp_irreversible(account.password, f"{device.id}:{account.name}")
        password = f"irreversible-cipher {log(digest)}"
    services = " ".join(_SERVICE_NAMES[s] for s in account.services if s in _SERVICE_NAMES)
    lines = [
        f" local-user {account.name} password {password}",
        f" local-user {account.name} privilege level {account.privilege}",
        f" local-user {account.name} service-type {services}",
    ]
    if account.role is AccountRole.STALE:
        # A test account someone meant to remove: blocked but still configured.
        lines.append(f" local-user {account.name} state block")
    return lines


def _interface(interface: LabInterface) -> list[str]:
    lines = [f"interface {interface.name}"]
    described = interface.alias and interface.name != interface.alias
    if described:
        lines.append(f" description {interface.alias}")
    address = address_and_mask(interface)
    if interface.lldp and address is not None:
        lines.append(" undo portswitch")
    elif interface.lldp and interface.link is None and described:
        lines += [" port link-type access", f" port default vlan {access_vlan(interface)}"]
    if address is not None:
        lines.append(f" ip address {address[0]} {address[1]}")
    if not interface.admin_up:
        lines.append(" shutdown")
    lines.append("#")
    return lines
