"""The provisioning station on the real stack: pyscard → a private pcscd → vpcd → the lab's
virtual PSAM and social-security cards, binding into the real registry on a migrated SQLite.

Reader 0 holds the PSAM, reader 1 takes the test card (the station's default: the first two).
Every refusal is checked to have written nothing: the terminal stays ``registered``, unbound,
without a credential, with its registration as its only event.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine

from card_fleet.errors import (
    CardRefused,
    CardRemoved,
    NoCard,
    PsamAlreadyBound,
    ReaderUnavailable,
    WrongCard,
)
from card_fleet.model import Terminal, TerminalKind, TerminalState
from card_fleet.provisioning import ProvisioningResult, ProvisioningStation, ProvisioningStep
from card_fleet.reader import PcscReaders, card_present, list_readers
from card_fleet.registry import SqlTerminalRegistry
from core.clock import FakeClock
from core.state.db import migrate_to_head, open_state_engine
from tests.support.smartcard_lab import (
    SmartcardLab,
    smartcard_lab,  # noqa: F401  (a fixture)
)

pytestmark = [pytest.mark.integration, pytest.mark.needs_root]

PSAM_READER = 0
CARD_READER = 1
LAB_PSAM_NUMBER = "440103000001"
"""EF16 of the lab's ``psam``."""
REGIONS = {"440103": "440100", "440104": "440100"}
NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
TECHNICIAN = "tech.li"


@pytest.fixture
def lab(smartcard_lab: SmartcardLab) -> SmartcardLab:  # noqa: F811
    smartcard_lab.insert(PSAM_READER, "psam")
    return smartcard_lab


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = open_state_engine(f"sqlite:///{tmp_path / 'state.db'}")
    migrate_to_head(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def registry(engine: Engine) -> SqlTerminalRegistry:
    return SqlTerminalRegistry(engine, REGIONS)


def register(registry: SqlTerminalRegistry, serial: str, county: str = "440103") -> Terminal:
    return registry.register(
        serial=serial,
        model="YT-K9",
        kind=TerminalKind.KIOSK,
        site="越秀区社保局一楼大厅",
        county=county,
        by="clerk",
        now=NOW,
    )


@pytest.fixture
def terminal(registry: SqlTerminalRegistry) -> Terminal:
    return register(registry, "SN-0001")


class Station:
    """A provisioning station on the real readers, recording the steps it reports."""

    def __init__(self, registry: SqlTerminalRegistry, *, card_wait_s: float = 5.0) -> None:
        self.steps: list[tuple[str, str]] = []
        self.station = ProvisioningStation(
            registry,
            PcscReaders(),
            FakeClock(NOW),
            psam_wait_s=5.0,
            card_wait_s=card_wait_s,
            on_step=lambda step, detail: self.steps.append((step, detail)),
        )

    def provision(self, terminal: Terminal, **readers: str) -> ProvisioningResult:
        return self.station.provision(terminal.id, technician=TECHNICIAN, **readers)


def assert_nothing_written(registry: SqlTerminalRegistry, terminal: Terminal) -> None:
    now = registry.get(terminal.id)
    assert now.state is TerminalState.REGISTERED
    assert now.psam_terminal_number is None
    assert not now.has_credential
    assert len(registry.history(terminal.id)) == 1


# --- the happy path ------------------------------------------------------------------------------


@pytest.mark.parametrize("t0_mode", [True, False], ids=["t0-61xx", "fci-at-once"])
def test_provisions_a_terminal_end_to_end(
    lab: SmartcardLab, registry: SqlTerminalRegistry, terminal: Terminal, t0_mode: bool
) -> None:
    lab.insert(CARD_READER, "test-card", t0_mode=t0_mode)
    station = Station(registry)

    result = station.provision(terminal)

    assert result.readers.psam_reader == lab.reader_names[PSAM_READER]
    assert result.readers.card_reader == lab.reader_names[CARD_READER]
    assert result.psam.terminal_number == LAB_PSAM_NUMBER
    assert result.psam.serial == "44010300000000000001"
    acceptance = result.acceptance
    assert (acceptance.citizen_id_masked, acceptance.name_masked) == ("440106********1235", "张*")
    assert (acceptance.card_number, acceptance.spec_version) == ("X00000019", "2.00")
    assert acceptance.atr == "3B6D0000008154443686605328A8888888"

    bound = registry.get(terminal.id)
    assert bound.state is TerminalState.PROVISIONED
    assert bound.psam_terminal_number == LAB_PSAM_NUMBER
    assert registry.credentials().authenticate(result.credential).id == terminal.id
    assert [step for step, _ in station.steps][-1] == ProvisioningStep.BIND
    said = " ".join(detail for _, detail in station.steps)
    assert "440106199001011235" not in said
    assert "张三" not in said
    assert result.credential not in said


def test_two_stations_in_two_threads_do_not_meet(
    smartcard_lab: SmartcardLab,  # noqa: F811
    registry: SqlTerminalRegistry,
) -> None:
    lab = smartcard_lab
    for reader_index, card in enumerate(("psam", "test-card", "psam-2", "test-card")):
        lab.insert(reader_index, card)
    first, second = register(registry, "SN-0001"), register(registry, "SN-0002", "440104")
    names = lab.reader_names

    with ThreadPoolExecutor(max_workers=2) as pool:
        jobs = {
            first.id: pool.submit(
                Station(registry).provision, first, psam_reader=names[0], card_reader=names[1]
            ),
            second.id: pool.submit(
                Station(registry).provision, second, psam_reader=names[2], card_reader=names[3]
            ),
        }
        results = {terminal_id: job.result(timeout=30) for terminal_id, job in jobs.items()}

    assert results[first.id].psam.terminal_number == LAB_PSAM_NUMBER
    assert results[second.id].psam.terminal_number == "440104000002"


def test_reader_functions_see_the_lab(lab: SmartcardLab) -> None:
    assert list_readers() == list(lab.reader_names)
    assert card_present(lab.reader_names[PSAM_READER])
    assert not card_present(lab.reader_names[CARD_READER])


# --- refusals: nothing written -------------------------------------------------------------------


def test_a_psam_bound_elsewhere_is_refused(
    lab: SmartcardLab, registry: SqlTerminalRegistry, terminal: Terminal
) -> None:
    holder = register(registry, "SN-0099")
    registry.bind_and_issue(holder.id, LAB_PSAM_NUMBER, by="tech.wang", now=NOW)
    lab.insert(CARD_READER, "test-card")

    with pytest.raises(PsamAlreadyBound, match=f"bound to terminal {holder.id}"):
        Station(registry).provision(terminal)

    assert_nothing_written(registry, terminal)


def test_a_card_pulled_mid_read_is_reported_with_its_step(
    lab: SmartcardLab, registry: SqlTerminalRegistry, terminal: Terminal
) -> None:
    lab.insert(CARD_READER, "test-card")
    # SELECT SSSE, GET RESPONSE, SELECT EF05, six EF05 records, SELECT EF06: then it is gone.
    lab.remove_after(CARD_READER, apdus=10)
    reader = lab.reader_names[CARD_READER]

    with pytest.raises(CardRemoved) as caught:
        Station(registry).provision(terminal)

    assert str(caught.value) == (
        f"{reader}: reading EF06 tag 08 (citizen id): the card was removed"
    )
    assert_nothing_written(registry, terminal)


def test_a_wrong_card_is_refused(
    lab: SmartcardLab, registry: SqlTerminalRegistry, terminal: Terminal
) -> None:
    lab.insert(CARD_READER, "wrong-card")
    with pytest.raises(WrongCard, match="selecting SSSE: not a social-security card"):
        Station(registry).provision(terminal)
    assert_nothing_written(registry, terminal)


def test_a_card_in_the_psam_reader_is_not_a_psam(
    smartcard_lab: SmartcardLab,  # noqa: F811
    registry: SqlTerminalRegistry,
    terminal: Terminal,
) -> None:
    smartcard_lab.insert(PSAM_READER, "test-card")
    smartcard_lab.insert(CARD_READER, "test-card")
    with pytest.raises(WrongCard, match="selecting EF15: not a PSAM"):
        Station(registry).provision(terminal)
    assert_nothing_written(registry, terminal)


def test_an_expired_card_fails_acceptance(
    lab: SmartcardLab, registry: SqlTerminalRegistry, terminal: Terminal
) -> None:
    lab.insert(CARD_READER, "expired-card")
    with pytest.raises(CardRefused, match="the card expired on 2023-01-01"):
        Station(registry).provision(terminal)
    assert_nothing_written(registry, terminal)


def test_no_card_within_the_wait(
    lab: SmartcardLab, registry: SqlTerminalRegistry, terminal: Terminal
) -> None:
    reader = lab.reader_names[CARD_READER]
    with pytest.raises(NoCard, match=f"{reader}: waiting for a card: no card within 1 s"):
        Station(registry, card_wait_s=1.0).provision(terminal)
    assert_nothing_written(registry, terminal)


def test_a_card_inserted_during_the_wait_is_read(
    lab: SmartcardLab, registry: SqlTerminalRegistry, terminal: Terminal
) -> None:
    station = Station(registry)

    def insert_when_asked(step: str, detail: str) -> None:
        station.steps.append((step, detail))
        if detail.startswith("insert the test card"):
            lab.insert(CARD_READER, "test-card", wait=False)

    station.station = ProvisioningStation(
        registry, PcscReaders(), FakeClock(NOW), card_wait_s=10.0, on_step=insert_when_asked
    )
    assert station.provision(terminal).acceptance.card_number == "X00000019"


def test_a_reader_that_does_not_exist_is_unavailable(
    lab: SmartcardLab, registry: SqlTerminalRegistry, terminal: Terminal
) -> None:
    lab.insert(CARD_READER, "test-card")
    with pytest.raises(ReaderUnavailable, match="Virtual PCD 09 09: choosing readers: no such"):
        Station(registry).provision(terminal, card_reader="Virtual PCD 09 09")
    assert_nothing_written(registry, terminal)


def test_pcscd_gone_before_the_card_step_is_reader_unavailable(
    lab: SmartcardLab, registry: SqlTerminalRegistry, terminal: Terminal
) -> None:
    lab.insert(CARD_READER, "test-card")

    def stop_pcscd_when_asked(step: str, detail: str) -> None:
        if detail.startswith("insert the test card"):
            lab.stop()

    station = ProvisioningStation(
        registry, PcscReaders(), FakeClock(NOW), on_step=stop_pcscd_when_asked
    )
    with pytest.raises(ReaderUnavailable, match="pcscd"):
        station.provision(terminal.id, technician=TECHNICIAN)
    assert_nothing_written(registry, terminal)
