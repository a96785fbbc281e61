"""The card-terminal fleet end to end: the lab's terminals beat into the server; a county cut off
in the lab goes silent, and on-call staff hear of it once — the county's failure, with its
terminals' silence folded under it — then of the recovery.

`ssnoc lab up --size small` registers and provisions the lab's terminals; `ssnoc serve` runs with
the reachability rules of the alerts end-to-end test, the fleet's silence rule (`for:` in
seconds) and a webhook receiver run by the test; `python -m lab.terminals` sends the heartbeats
over HTTP and stops a county's terminals only because the lab's faults cut the county off.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from string import Template
from typing import Any

import httpx
import pytest

from core.inventory import load_inventory
from core.model import DeviceRole
from tests.e2e.test_alerts_end_to_end import RULES as REACHABILITY_RULES
from tests.e2e.test_alerts_end_to_end import hooks
from tests.support.addresses import fresh_address
from tests.support.alert_receivers import WebhookServer, webhook_server
from tests.support.noc_process import RunningNoc, running_noc, ssnoc, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.integration, pytest.mark.xdist_group("e2e-fleet")]

DATA = Path(__file__).resolve().parents[1] / "data" / "fleet"
SECRET = "e2e-hook-signing-key-440000"  # the alerts end-to-end test's: its hooks() checks it
INTERVAL_S = 4.0
HEARTBEAT_S = 5
SILENT_AFTER_S = 12.0
GROUP_WAIT_S, GROUP_INTERVAL_S = 25.0, 10.0


@dataclass(frozen=True)
class FleetNoc:
    noc: RunningNoc
    webhook: WebhookServer
    county_device: str
    county: str
    site: str


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FleetNoc]:
    folder = tmp_path_factory.mktemp("fleet-e2e")
    with webhook_server(fresh_address()) as webhook:
        config = folder / "alerting.yaml"
        template = Template((DATA / "e2e_alerting.yaml").read_text(encoding="utf-8"))
        config.write_text(template.substitute(webhook_url=webhook.base_url), encoding="utf-8")
        rules = [str(REACHABILITY_RULES), str(DATA / "e2e_fleet_rules.yaml")]
        with running_noc(
            folder / "var",
            SSNOC_POLL__INTERVAL_S=str(INTERVAL_S),
            SSNOC_POLL__TIMEOUT_S="1",
            SSNOC_POLL__RETRIES="1",
            SSNOC_POLL__BACKOFF_MAX_S=str(INTERVAL_S),
            SSNOC_SSH__INTERVAL_S="3600",
            SSNOC_TOPOLOGY__REFRESH_S="1",
            SSNOC_ALERTS__RULES_PATHS=json.dumps(rules),
            SSNOC_ALERTS__ALERTING_CONFIG_PATH=str(config),
            SSNOC_ALERTS__EVALUATE_EVERY_S="1",
            SSNOC_ALERTS__WEBHOOK_SECRET=SECRET,
            SSNOC_FLEET__HEARTBEAT_EVERY_S=str(HEARTBEAT_S),
            SSNOC_FLEET__SILENT_AFTER_S=str(SILENT_AFTER_S),
            SSNOC_FLEET__HEALTH_EVERY_S="1",
            SSNOC_FLEET__FLUSH_EVERY_S="0.5",
        ) as noc:
            lab_dir = noc.data_dir / "lab"
            inventory = load_inventory(lab_dir / "inventory.yaml")
            county_device = next(d for d in inventory.devices if d.role is DeviceRole.ACCESS)
            sites = {s.id: s for s in inventory.sites}
            log = (folder / "terminals.log").open("wb")
            simulator = subprocess.Popen(
                [sys.executable, "-m", "lab.terminals", "--api", noc.url,
                 "--tokens", str(lab_dir / "terminal-tokens.json"), "--lab-dir", str(lab_dir),
                 "--interval", str(HEARTBEAT_S), "--progress-every", "5"],
                env=noc.env, stdout=log, stderr=log,
            )  # fmt: skip
            try:
                yield FleetNoc(
                    noc,
                    webhook,
                    county_device.id,
                    sites[county_device.site].region,
                    county_device.site,
                )
            finally:
                simulator.terminate()
                simulator.wait(timeout=20)
                log.close()


def api(noc: RunningNoc, path: str, **params: Any) -> Any:
    answer = httpx.get(f"{noc.url}/api/v1/{path}", params=params, headers=noc.admin, timeout=5)
    assert answer.status_code == 200, answer.text
    return answer.json()


def county_health(fleet: FleetNoc) -> dict[str, Any]:
    areas = api(fleet.noc, "fleet/health", region=fleet.county, fresh="true")["areas"]
    return next(a for a in areas if a["code"] == fleet.county)


def all_heard(fleet: FleetNoc) -> bool:
    """Every provisioned terminal of the county has beaten (and so turned active), and every
    active one was heard from within the silence threshold."""
    county = county_health(fleet)
    provisioned = county["terminals_by_state"].get("provisioned", 0)
    return not provisioned and bool(county["active"]) and county["online"] == county["active"]


def quiet(noc: RunningNoc) -> bool:
    return all(a["status"] == "resolved" for a in api(noc, "alerts"))


def silence_alert(fleet: FleetNoc) -> dict[str, Any] | None:
    found = api(fleet.noc, "alerts", label=["alertname=county-terminals-silent"])
    mine = [a for a in found if a["labels"].get("county") == fleet.county]
    return mine[0] if mine else None


def lab(noc: RunningNoc, *args: str) -> None:
    done = ssnoc("lab", *args, env=noc.env)
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_county_cut_off_goes_silent_and_is_told_once_with_its_cause(fleet: FleetNoc) -> None:
    noc, webhook = fleet.noc, fleet.webhook
    # Provisioned terminals turn active on their first beat; every one is heard within a beat.
    wait_for(lambda: all_heard(fleet), 4 * HEARTBEAT_S + 30, "every terminal of the county heard")
    wait_for(lambda: quiet(noc), 3 * INTERVAL_S + 30, "no alert pending or firing")
    seen = len(webhook.receiver.requests)
    active = county_health(fleet)["active"]

    lab(noc, "fail", "device", fleet.county_device)
    silent_within_s = SILENT_AFTER_S + HEARTBEAT_S + 10
    wait_for(
        lambda: county_health(fleet)["online"] == 0,
        silent_within_s,
        "the county's terminals silent",
    )
    told_within_s = INTERVAL_S + 2 + 5 + GROUP_WAIT_S + GROUP_INTERVAL_S + 10
    (firing,) = wait_for(lambda: hooks(webhook, seen), told_within_s, "a firing notification")
    (cause,) = firing.payload["alerts"]
    assert cause["labels"]["device"] == fleet.county_device, cause
    silence = wait_for(
        lambda: (a := silence_alert(fleet)) and a["status"] == "firing" and a,
        10,
        "the terminals' silence firing",
    )
    assert silence["caused_by"] == cause["fingerprint"]  # folded under the county's failure
    assert silence["summary"] == f"no card terminal of county {fleet.county} is heard from"
    assert f"{active} of {active} active terminals silent" in silence["annotations"]["description"]
    # Nobody is told of the silence separately.
    deadline = time.monotonic() + 2 * GROUP_INTERVAL_S + 5
    while time.monotonic() < deadline:
        assert len(hooks(webhook, seen)) == 1, [h.payload for h in hooks(webhook, seen)]
        time.sleep(0.5)

    lab(noc, "recover", "all")
    wait_for(lambda: all_heard(fleet), 4 * HEARTBEAT_S + 30, "the county's terminals heard again")
    wait_for(
        lambda: (a := silence_alert(fleet)) is not None and a["status"] == "resolved",
        20,
        "the silence resolved",
    )
    wait_for(
        lambda: [h for h in hooks(webhook, seen) if h.status == "resolved"],
        INTERVAL_S + 2 * GROUP_INTERVAL_S + 20,
        "a resolved notification",
    )
