"""``display current-configuration`` of a simulated H3C Comware 7 switch."""

from __future__ import annotations

from lab.catalogue import model_named
from lab.model import LabAccount, LabInterface
from lab.ssh.configs.encodings import comware_cipher, comware_hash
from lab.ssh.configs.inputs import (
    ACCESS_VLANS,
    BANNER,
    CONTACT,
    IPSEC_PEER,
    NTP_SERVERS,
    RADIUS_SERVER,
    SYSLOG_SERVER,
    TACACS_SERVER,
    TRAP_RECEIVER,
    ConfigInput,
    access_vlan,
    address_and_mask,
    engine_id,
    is_default_alias,
)

_SKIPPED = ("InLoopBack0",)


def user_role(account: LabAccount) -> str:
    """Comware has roles, not levels: top privilege is network-admin, the rest read-only."""
    return "network-admin" if account.privilege >= 15 else "network-operator"


def render(given: ConfigInput) -> str:
    device, secrets, log = given.device, given.secrets, given.secrets_log
    model = model_named(device.platform, device.model)

    def cipher(text: str, what: str) -> str:
        return log(comware_cipher(text, f"{device.id}:{what}"))

    aaa_key = secrets.aaa_shared_key
    lines = [
        "#",
        f" version {model.version}, Release {model.release}",
        "#",
        f" sysname {device.name}",
        "#",
        " clock timezone BJ add 08:00:00",
        "#",
        " lldp global enable",
        "#",
        " password-recovery enable",
        "#",
        "vlan 1",
        "#",
        "vlan 100",
        " name management",
        "#",
        *(line for vlan in ACCESS_VLANS for line in (f"vlan {vlan}", "#")),
    ]
    for interface in device.interfaces:
        if interface.name not in _SKIPPED:
            lines += _interface(interface)
    lines += [
        f" info-center loghost {SYSLOG_SERVER} facility local6",
        "#",
        " snmp-agent",
        f" snmp-agent local-engineid {engine_id('800063A2', device.mac)}",
        f" snmp-agent community read cipher {cipher(device.community, 'community-read')} acl 2000",
        f" snmp-agent community write cipher {cipher(secrets.snmp_write_community, 'rw')}",
        f" snmp-agent sys-info contact {CONTACT}",
        f" snmp-agent sys-info location {device.location}",
        " snmp-agent sys-info version v2c v3",
        " snmp-agent group v3 noc-group privacy read-view ViewDefault",
        f" snmp-agent usm-user v3 {secrets.snmpv3_user} noc-group cipher authentication-mode sha "
        f"{cipher(secrets.snmpv3_auth_key, 'v3-auth')} privacy-mode aes128 "
        f"{cipher(secrets.snmpv3_priv_key, 'v3-priv')}",
        f" snmp-agent target-host trap address udp-domain {TRAP_RECEIVER} params securityname "
        f"{secrets.snmpv3_user} v3 privacy",
        "#",
        " ntp-service enable",
        " ntp-service authentication enable",
        " ntp-service authentication-keyid 1 authentication-mode md5 cipher "
        + cipher(secrets.ntp_key, "ntp"),
        " ntp-service reliable authentication-keyid 1",
        *(f" ntp-service unicast-server {server} authentication-keyid 1" for server in NTP_SERVERS),
        "#",
        " ssh server enable",
        "#",
        "acl basic 2000",
        " rule 0 permit source 10.0.0.0 0.0.0.255",
        "#",
        "radius scheme noc-radius",
        f" primary authentication {RADIUS_SERVER}",
        f" primary accounting {RADIUS_SERVER}",
        f" key authentication cipher {cipher(aaa_key, 'radius-auth')}",
        f" key accounting cipher {cipher(aaa_key, 'radius-acct')}",
        " user-name-format without-domain",
        "#",
        "hwtacacs scheme noc-tacacs",
        f" primary authentication {TACACS_SERVER}",
        f" primary authorization {TACACS_SERVER}",
        f" primary accounting {TACACS_SERVER}",
        f" key authentication cipher {cipher(aaa_key, 'tacacs-auth')}",
        f" key authorization cipher {cipher(aaa_key, 'tacacs-author')}",
        f" key accounting cipher {cipher(aaa_key, 'tacacs-acct')}",
        " user-name-format without-domain",
        "#",
        "domain system",
        " authentication login hwtacacs-scheme noc-tacacs local",
        " authorization login hwtacacs-scheme noc-tacacs local",
        " accounting login hwtacacs-scheme noc-tacacs local",
        "#",
        " domain default enable system",
        "#",
        "user-group system",
        "#",
        *(line for account in device.accounts for line in _local_user(account, given)),
        "ike keychain dc-backup",
        f" pre-shared-key address {IPSEC_PEER} 255.255.255.255 key cipher "
        + cipher(secrets.ike_pre_shared_key, "ike"),
        "#",
        "ike profile dc-backup",
        " keychain dc-backup",
        f" match remote identity address {IPSEC_PEER} 255.255.255.255",
        "#",
        " header login %",
        *BANNER,
        "%",
        "#",
        "line class vty",
        " user-role network-operator",
        "#",
        "line vty 0 63",
        " authentication-mode scheme",
        " user-role network-operator",
        " protocol inbound ssh",
        " idle-timeout 15 0",
        "#",
        *given.extra_lines,
        *(["#"] if given.extra_lines else []),
        "return",
    ]
    return "\n".join(lines) + "\n"


def _local_user(account: LabAccount, given: ConfigInput) -> list[str]:
    device, log = given.device, given.secrets_log
    if account.hash_kind == "simple":
        # Set with `password simple` on an older Comware, which kept it in clear, and carried over.
        password = f"simple {log(account.password)}"
    else:
        password = f"hash {log(comware_hash(account.password, f'{device.id}:{account.name}'))}"
    services = " ".join(s for s in account.services if s in ("ssh", "telnet", "terminal", "ftp"))
    lines = [
        f"local-user {account.name} class manage",
        f" password {password}",
        f" service-type {services}",
        f" authorization-attribute user-role {user_role(account)}",
    ]
    if user_role(account) != "network-operator":
        # Comware gives every local user network-operator as well, and shows it.
        lines.append(" authorization-attribute user-role network-operator")
    return [*lines, "#"]


def _interface(interface: LabInterface) -> list[str]:
    lines = [f"interface {interface.name}"]
    address = address_and_mask(interface)
    if interface.lldp:
        lines.append(" port link-mode route" if address else " port link-mode bridge")
    if not is_default_alias(interface):
        lines.append(f" description {interface.alias}")
    if address is not None:
        lines.append(f" ip address {address[0]} {address[1]}")
    elif interface.lldp and interface.link is None and not is_default_alias(interface):
        lines.append(f" port access vlan {access_vlan(interface)}")
    if not interface.admin_up:
        lines.append(" shutdown")
    lines.append("#")
    return lines
