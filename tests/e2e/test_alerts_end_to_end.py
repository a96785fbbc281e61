"""Alerts end to end: a fault injected into the lab reaches on-call staff once, signed, by webhook
and by mail; a real SNMP trap becomes an alert.

A real webhook server and a real SMTP server start first; `ssnoc lab up --size small` and
`ssnoc serve` then run with tests/data/alerts/e2e_rules.yaml (the shipped reachability rules with
`for:` in seconds) and an alerting configuration naming those servers. The server learns of the
faults only through its collectors (SNMP polls, traps), as in production.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from string import Template
from typing import Any

import httpx
import pytest
import yaml

from alerts.alerting_config import AlertingConfig, load_alerting_config
from alerts.notify.signing import verify_signature
from alerts.routing import Route
from core.inventory import load_inventory
from core.model import DeviceRole, Inventory, LinkRole, LinkTier
from lab.divisions import load_divisions
from lab.layout import plan_layout, size_spec
from lab.province import DEFAULT_SEED
from tests.conftest import SHARED
from tests.integration.alerts.notify.http_receiver import ReceivedRequest
from tests.support.addresses import fresh_address
from tests.support.alert_receivers import (
    SmtpServer,
    WebhookServer,
    free_udp_port,
    smtp_server,
    webhook_server,
)
from tests.support.noc_process import RunningNoc, running_noc, ssnoc, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.integration, pytest.mark.xdist_group("e2e-alerts")]

DATA = Path(__file__).resolve().parents[1] / "data" / "alerts"
RULES = DATA / "e2e_rules.yaml"
CONFIG_TEMPLATE = DATA / "e2e_alerting.yaml"
SECRET = "e2e-hook-signing-key-440000"
HOOK_PATH = "/hooks/alerts"
MAIL_TO = "noc-duty@example.org"

INTERVAL_S = 4.0
POLL_TIMEOUT_S, POLL_RETRIES = 1.0, 1
REFRESH_S = 1.0
EVALUATE_S = 1.0
DELIVERY_S = 5.0
"""Room for a queued notification to reach a local server (the queue's turn, HTTP or SMTP)."""
# The longest a fault takes to be seen: a poll interval, an unanswering device's poll giving up
# (timeout × tries), the topology's refresh and one evaluation.
DETECT_S = INTERVAL_S + POLL_TIMEOUT_S * (POLL_RETRIES + 1) + REFRESH_S + EVALUATE_S
DEVICE_FOR_S = 5.0
"""device-unreachable's `for:` in e2e_rules.yaml: the city core's own alert fires this late."""


@dataclass(frozen=True)
class Province:
    """The small lab as `ssnoc lab up` plans it, known before it runs (the trap receiver's
    community is named in the server's settings)."""

    city_core: str
    trap_sender: str
    """A county device of the other city: it sends the trap and its community is accepted."""


@dataclass(frozen=True)
class AlertingNoc:
    noc: RunningNoc
    webhook: WebhookServer
    smtp: SmtpServer
    config: AlertingConfig
    trap_address: str
    trap_port: int
    province: Province

    @property
    def route(self) -> Route:
        return self.config.route


def planned_province() -> Province:
    cities = load_divisions(SHARED / "data" / "guangdong_divisions.json")
    layout = plan_layout(cities, size_spec("small"), DEFAULT_SEED)
    city_core = next(d for d in layout.devices if d.role is DeviceRole.DISTRIBUTION)
    other_city = next(
        d.region[:4]
        for d in layout.devices
        if d.role is DeviceRole.DISTRIBUTION and d.region[:4] != city_core.region[:4]
    )
    county = next(
        d for d in layout.devices if d.role is DeviceRole.ACCESS and d.region[:4] == other_city
    )
    return Province(city_core=city_core.id, trap_sender=county.id)


@pytest.fixture(scope="module")
def alerting(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AlertingNoc]:
    province = planned_province()
    folder = tmp_path_factory.mktemp("alerts-e2e")
    trap_address = fresh_address()
    with (
        webhook_server(fresh_address()) as webhook,
        smtp_server(fresh_address()) as smtp,
    ):
        config_path = folder / "alerting.yaml"
        template = Template(CONFIG_TEMPLATE.read_text(encoding="utf-8"))
        config_path.write_text(template.substitute(webhook_url=webhook.base_url), encoding="utf-8")
        trap_port = free_udp_port(trap_address)
        with running_noc(
            folder / "var",
            SSNOC_POLL__INTERVAL_S=str(INTERVAL_S),
            SSNOC_POLL__TIMEOUT_S=str(POLL_TIMEOUT_S),
            SSNOC_POLL__RETRIES=str(POLL_RETRIES),
            SSNOC_POLL__BACKOFF_MAX_S=str(INTERVAL_S),
            SSNOC_POLL__ROUTING_INTERVAL_S=str(INTERVAL_S),
            SSNOC_SSH__INTERVAL_S="3600",
            SSNOC_TOPOLOGY__REFRESH_S=str(REFRESH_S),
            SSNOC_ALERTS__RULES_PATHS=json.dumps([str(RULES)]),
            SSNOC_ALERTS__ALERTING_CONFIG_PATH=str(config_path),
            SSNOC_ALERTS__EVALUATE_EVERY_S=str(EVALUATE_S),
            SSNOC_ALERTS__WEBHOOK_SECRET=SECRET,
            SSNOC_ALERTS__WEBHOOK_TIMEOUT_S="5",
            SSNOC_ALERTS__SMTP__HOST=smtp.host,
            SSNOC_ALERTS__SMTP__PORT=str(smtp.port),
            SSNOC_ALERTS__SMTP__SENDER="ssnoc@example.org",
            SSNOC_ALERTS__SMTP__TIMEOUT_S="5",
            SSNOC_TRAPS__ENABLED="true",
            SSNOC_TRAPS__LISTEN_ADDRESS=trap_address,
            SSNOC_TRAPS__PORT=str(trap_port),
            SSNOC_TRAPS__COMMUNITIES=json.dumps([province.trap_sender]),
        ) as noc:
            yield AlertingNoc(
                noc,
                webhook,
                smtp,
                load_alerting_config(config_path),
                trap_address,
                trap_port,
                province,
            )


@pytest.fixture(scope="module")
def inventory(alerting: AlertingNoc) -> Inventory:
    found = load_inventory(alerting.noc.data_dir / "lab" / "inventory.yaml")
    planned = {alerting.province.city_core, alerting.province.trap_sender}
    assert planned <= {d.id for d in found.devices}, "the lab is not the province planned"
    return found


# --- what the API says --------------------------------------------------------------------------


def api(noc: RunningNoc, path: str, **params: Any) -> Any:
    answer = httpx.get(f"{noc.url}/api/v1/{path}", params=params, headers=noc.admin, timeout=5)
    assert answer.status_code == 200, answer.text
    return answer.json()


def lab(noc: RunningNoc, *args: str) -> str:
    done = ssnoc("lab", *args, env=noc.env)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def quiet(noc: RunningNoc) -> bool:
    """Every device answers, every site on its primary path, no alert pending or firing."""
    if any(d["status"] != "up" for d in api(noc, "devices")):
        return False
    board = api(noc, "topology/failover", all="true")["sites"]
    if not board or any(site["state"] != "on_primary" for site in board):
        return False
    return all(a["status"] == "resolved" for a in api(noc, "alerts"))


# --- what on-call staff were told ---------------------------------------------------------------


@dataclass(frozen=True)
class Hook:
    """One webhook notification, its signature checked."""

    payload: dict[str, Any]

    @property
    def status(self) -> str:
        return str(self.payload["status"])

    @property
    def alertnames(self) -> set[str]:
        return {a["labels"]["alertname"] for a in self.payload["alerts"]}


def hooks(webhook: WebhookServer, since: int = 0) -> list[Hook]:
    """Webhook notifications from the ``since``-th on; each must be signed with the secret."""
    out = []
    for request in list(webhook.receiver.requests)[since:]:
        out.append(Hook(signed_payload(request)))
    return out


def signed_payload(request: ReceivedRequest) -> dict[str, Any]:
    assert (request.method, request.path) == ("POST", HOOK_PATH)
    assert verify_signature(
        SECRET,
        timestamp=request.headers.get("x-ssnoc-timestamp"),
        signature_header=request.headers.get("x-ssnoc-signature"),
        body=request.body,
        now=datetime.now(UTC),
    ), "a webhook request without a valid signature"
    return dict(json.loads(request.body))


def mails(smtp: SmtpServer, since: int = 0) -> list[EmailMessage]:
    return list(smtp.mailbox.messages)[since:]


def seconds(delta: timedelta) -> float:
    return delta.total_seconds()


def text_of(mail: EmailMessage) -> str:
    body = mail.get_body(("plain",))
    assert body is not None
    return str(body.get_content())


def hold(condition_fails: Callable[[], object], duration_s: float, what: str) -> None:
    """Check for ``duration_s`` that ``condition_fails()`` stays falsy; fail on the first
    truthy answer naming ``what`` and the answer."""
    deadline = time.monotonic() + duration_s
    while time.monotonic() < deadline:
        found = condition_fails()
        if found:
            pytest.fail(f"{what}: {found}")
        time.sleep(0.25)


# --- the timeline -------------------------------------------------------------------------------


def test_a_failed_city_core_is_told_once_by_webhook_and_mail_then_its_resolution(
    alerting: AlertingNoc, inventory: Inventory
) -> None:
    noc, webhook, smtp, route = alerting.noc, alerting.webhook, alerting.smtp, alerting.route
    city_core = alerting.province.city_core
    sites = {d.id: d.site for d in inventory.devices}
    counties = {
        (link.a.device if link.b.device == city_core else link.b.device)
        for link in inventory.links
        if link.tier is LinkTier.CITY_COUNTY
        and link.role is LinkRole.PRIMARY
        and city_core in (link.a.device, link.b.device)
    }
    assert counties
    wait_for(lambda: quiet(noc), 3 * INTERVAL_S + 30, "every device up and no alert firing")
    seen_hooks, seen_mails = len(webhook.receiver.requests), len(smtp.mailbox.messages)

    lab(noc, "fail", "device", city_core)
    # Seen, its own alert's `for:`, then the group's wait; a flush may come a group_interval late.
    told_within_s = (
        DETECT_S
        + DEVICE_FOR_S
        + seconds(route.group_wait)
        + seconds(route.group_interval)
        + DELIVERY_S
    )
    (firing,) = wait_for(
        lambda: hooks(webhook, seen_hooks), told_within_s, "a firing notification at the webhook"
    )
    (firing_mail,) = wait_for(
        lambda: mails(smtp, seen_mails), DELIVERY_S, "a firing notification by mail"
    )
    # Whatever else the failure sets off fires within the rules' `for:` and is folded under the
    # cause: two group intervals with nothing new say nobody is told twice.
    hold(
        lambda: hooks(webhook, seen_hooks + 1) or mails(smtp, seen_mails + 1),
        2 * seconds(route.group_interval) + DELIVERY_S,
        "a second notification of one failure",
    )

    assert (firing.status, firing.payload["reason"]) == ("firing", "new")
    (cause,) = firing.payload["alerts"]
    assert cause["labels"]["device"] == city_core, cause
    assert cause["labels"]["alertname"] in {"device-unreachable", "site-isolated"}, cause
    consequences = set(cause["consequences"])
    for county in counties:
        assert f"{sites[county]} runs on its backup link" in consequences, consequences
    assert firing_mail["Subject"].startswith("[FIRING:1] "), firing_mail["Subject"]
    assert city_core in firing_mail["Subject"] or sites[city_core] in firing_mail["Subject"]
    assert f"also affected ({len(consequences)}, not notified separately)" in text_of(firing_mail)
    assert smtp.mailbox.recipients[seen_mails] == [MAIL_TO]
    # The API shows the same picture: one unfolded firing alert, everything else under it.
    firing_now = api(noc, "alerts", status="firing")
    assert [a["fingerprint"] for a in firing_now if a["caused_by"] is None] == [
        cause["fingerprint"]
    ]

    lab(noc, "recover", "all")
    resolved_within_s = DETECT_S + seconds(route.group_interval) + DELIVERY_S

    def resolution() -> list[Hook]:
        return [h for h in hooks(webhook, seen_hooks + 1) if h.status == "resolved"]

    (resolved,) = wait_for(resolution, resolved_within_s, "a resolved notification at the webhook")
    assert resolved.payload["reason"] == "resolved"
    assert cause["fingerprint"] in {a["fingerprint"] for a in resolved.payload["alerts"]}
    resolved_mail = wait_for(
        lambda: [m for m in mails(smtp, seen_mails + 1) if m["Subject"].startswith("[RESOLVED]")],
        DELIVERY_S,
        "a resolved notification by mail",
    )[0]
    assert resolved_mail["References"] == firing_mail["References"]
    wait_for(lambda: quiet(noc), 3 * INTERVAL_S, "every alert resolved")
    assert [h.status for h in hooks(webhook, seen_hooks)] == ["firing", "resolved"]


def test_a_linkdown_trap_from_net_snmp_becomes_an_alert_and_its_linkup_resolves_it(
    alerting: AlertingNoc, inventory: Inventory, tmp_path: Path
) -> None:
    noc, webhook = alerting.noc, alerting.webhook
    sender = next(d for d in inventory.devices if d.id == alerting.province.trap_sender)
    link = next(
        k
        for k in inventory.links
        if k.role is LinkRole.BACKUP and sender.id in (k.a.device, k.b.device)
    )
    interface = link.a.interface if link.a.device == sender.id else link.b.interface
    credentials = yaml.safe_load((noc.data_dir / "lab" / "credentials.yaml").read_text())
    community = credentials["snmp"][sender.id]["community"]
    wait_for(lambda: quiet(noc), 3 * INTERVAL_S + 30, "every device up and no alert firing")
    seen_hooks = len(webhook.receiver.requests)

    # The interface is named in the trap (ifName), as agents do; its index is the trap's own.
    send_trap(alerting, str(sender.address), community, "linkDown", 7, interface, tmp_path)

    def trap_alert() -> dict[str, Any] | None:
        found = api(noc, "alerts", label=["alertname=interface-down-trap"], status="firing")
        return found[0] if found else None

    alert = wait_for(trap_alert, 2 * EVALUATE_S + 2, "the trap's alert in the API")
    assert alert["labels"]["device"] == sender.id
    assert alert["labels"]["if_index"] == "7"
    assert alert["labels"]["link"] == link.id
    assert alert["summary"] == f"{sender.id} reported {interface} down (linkDown trap)"
    trap_route = next(r for r in alerting.route.walk() if r.id != alerting.route.id)
    (told,) = wait_for(
        lambda: trap_hooks(webhook, seen_hooks, "firing"),
        seconds(trap_route.group_wait) + EVALUATE_S + DELIVERY_S,
        "the trap's notification at the webhook",
    )
    assert told.alertnames == {"interface-down-trap"}
    assert [a["labels"]["device"] for a in told.payload["alerts"]] == [sender.id]

    send_trap(alerting, str(sender.address), community, "linkUp", 7, interface, tmp_path)
    wait_for(
        lambda: not trap_alert(), 2 * EVALUATE_S + 2, "the trap's alert resolved by its linkUp"
    )
    wait_for(
        lambda: trap_hooks(webhook, seen_hooks, "resolved"),
        seconds(trap_route.group_interval) + EVALUATE_S + DELIVERY_S,
        "the trap's resolution at the webhook",
    )
    assert [h.status for h in hooks(webhook, seen_hooks)] == ["firing", "resolved"]


def trap_hooks(webhook: WebhookServer, since: int, status: str) -> list[Hook]:
    return [
        h
        for h in hooks(webhook, since)
        if h.status == status and "interface-down-trap" in h.alertnames
    ]


TRAP_OIDS = {"linkDown": "1.3.6.1.6.3.1.1.5.3", "linkUp": "1.3.6.1.6.3.1.1.5.4"}
IF_INDEX, IF_DESCR, IF_NAME = "1.3.6.1.2.1.2.2.1.1", "1.3.6.1.2.1.2.2.1.2", "1.3.6.1.2.1.31.1.1.1.1"


def send_trap(
    alerting: AlertingNoc,
    source: str,
    community: str,
    kind: str,
    if_index: int,
    if_name: str,
    home: Path,
) -> None:
    """net-snmp's ``snmptrap -v2c`` from the device's own address to the server's receiver."""
    tool = shutil.which("snmptrap")
    if tool is None:
        pytest.fail("snmptrap is missing: install net-snmp's tools (apt-get install snmp)")
    varbinds = [
        *(f"{IF_INDEX}.{if_index}", "i", str(if_index)),
        *(f"{IF_DESCR}.{if_index}", "s", if_name),
        *(f"{IF_NAME}.{if_index}", "s", if_name),
    ]
    argv = [
        tool,
        f"--clientaddr={source}",
        *("-v2c", "-c", community, "-t", "2", "-r", "1"),
        f"{alerting.trap_address}:{alerting.trap_port}",
        "",
        TRAP_OIDS[kind],
        *varbinds,
    ]
    # No MIBs and an empty config path: numeric OIDs only, nothing from ~/.snmp.
    env = {"SNMPCONFPATH": str(home), "SNMP_PERSISTENT_DIR": str(home), "MIBS": ""}
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=10, check=False)
    assert done.returncode == 0, done.stderr
