"""The provisioning station's workflow over fake readers, fake cards and a fake registry."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from card_fleet.errors import (
    CardError,
    CardRefused,
    CardRemoved,
    NoCard,
    PsamAlreadyBound,
    ReaderUnavailable,
    TransitionRefused,
    WrongCard,
)
from card_fleet.model import Terminal, TerminalKind, TerminalState
from card_fleet.provisioning import (
    CardConnection,
    ProvisioningStation,
    ProvisioningStep,
    ReaderChoice,
)
from core.clock import FakeClock
from core.errors import NotFound
from tests.unit.card_fleet.test_psam import FakePsam
from tests.unit.card_fleet.test_sscard import FakeSocialSecurityCard, notes_ef05

PSAM_READER = "Virtual PCD 00 00"
CARD_READER = "Virtual PCD 00 01"
TERMINAL_ID = "T440103-0007"
TECHNICIAN = "tech.li"
CREDENTIAL = "sst_plaintext-credential-shown-once"


class FakeRegistry:
    """Terminals in a dict; records every write."""

    def __init__(self, *terminals: Terminal) -> None:
        self.terminals = {terminal.id: terminal for terminal in terminals}
        self.writes: list[tuple[str, str, str, datetime]] = []
        self.refuse_with: Exception | None = None

    def get(self, terminal_id: str) -> Terminal:
        if terminal_id not in self.terminals:
            raise NotFound(f"terminal {terminal_id} does not exist")
        return self.terminals[terminal_id]

    def find_by_psam(self, psam_terminal_number: str) -> Terminal | None:
        return next(
            (t for t in self.terminals.values() if t.psam_terminal_number == psam_terminal_number),
            None,
        )

    def bind_and_issue(
        self, terminal_id: str, psam_terminal_number: str, *, by: str, now: datetime
    ) -> str:
        if self.refuse_with is not None:
            raise self.refuse_with
        self.writes.append((terminal_id, psam_terminal_number, by, now))
        self.terminals[terminal_id] = replace(
            self.terminals[terminal_id],
            state=TerminalState.PROVISIONED,
            psam_terminal_number=psam_terminal_number,
            has_credential=True,
        )
        return CREDENTIAL


class FakeReaders:
    """Readers by name, each with a card maker (or ``None`` for an empty reader)."""

    def __init__(self, cards: dict[str, Callable[[], CardConnection] | None]) -> None:
        self.cards = cards
        self.waits: list[tuple[str, float]] = []
        self.open_sessions = 0

    def list_readers(self) -> list[str]:
        return list(self.cards)

    @contextmanager
    def wait_for_card(self, reader: str, timeout_s: float) -> Iterator[CardConnection]:
        self.waits.append((reader, timeout_s))
        if reader not in self.cards:
            raise ReaderUnavailable(reader, "waiting for a card: no such reader")
        make = self.cards[reader]
        if make is None:
            raise NoCard(reader, f"waiting for a card: no card within {timeout_s:g} s")
        card = make()
        card.reader = reader  # type: ignore[misc]  # the fake card sits in this reader now
        self.open_sessions += 1
        try:
            yield card
        finally:
            self.open_sessions -= 1


def _registered(terminal_id: str = TERMINAL_ID, **changes: object) -> Terminal:
    terminal = Terminal(
        id=terminal_id,
        serial=f"SN-{terminal_id}",
        model="KT-9",
        kind=TerminalKind.KIOSK,
        site="越秀区社保局一楼大厅",
        county="440104",
        city="440100",
        state=TerminalState.REGISTERED,
    )
    return replace(terminal, **changes)  # type: ignore[arg-type]


def _station_readers(**overrides: Callable[[], CardConnection] | None) -> FakeReaders:
    cards: dict[str, Callable[[], CardConnection] | None] = {
        PSAM_READER: FakePsam,
        CARD_READER: FakeSocialSecurityCard,
    }
    for key, value in overrides.items():
        cards[{"psam": PSAM_READER, "card": CARD_READER}[key]] = value
    return FakeReaders(cards)


class Scenario:
    def __init__(self, registry: FakeRegistry, readers: FakeReaders, clock: FakeClock) -> None:
        self.registry = registry
        self.readers = readers
        self.steps: list[tuple[str, str]] = []
        self.station = ProvisioningStation(
            registry,
            readers,
            clock,
            psam_wait_s=2.0,
            card_wait_s=30.0,
            on_step=lambda step, detail: self.steps.append((step, detail)),
        )

    def provision(self, **kwargs: str) -> object:
        return self.station.provision(TERMINAL_ID, technician=TECHNICIAN, **kwargs)

    def nothing_written(self) -> bool:
        return not self.registry.writes and self.readers.open_sessions == 0


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 3, 1, 9, 0, tzinfo=UTC))


def _scenario(clock: FakeClock, readers: FakeReaders | None = None) -> Scenario:
    return Scenario(FakeRegistry(_registered()), readers or _station_readers(), clock)


# --- the happy path ------------------------------------------------------------------------------


def test_provisions_a_registered_terminal(clock: FakeClock) -> None:
    scenario = _scenario(clock)
    result = scenario.station.provision(TERMINAL_ID, technician=TECHNICIAN)

    assert result.credential == CREDENTIAL
    assert result.psam.terminal_number == "440100000001"
    assert result.readers == ReaderChoice(psam_reader=PSAM_READER, card_reader=CARD_READER)
    assert result.provisioned_at == clock.now()
    assert scenario.registry.writes == [(TERMINAL_ID, "440100000001", TECHNICIAN, clock.now())]
    assert scenario.registry.terminals[TERMINAL_ID].state is TerminalState.PROVISIONED
    assert scenario.readers.open_sessions == 0


def test_the_acceptance_result_is_masked(clock: FakeClock) -> None:
    acceptance = _scenario(clock).station.provision(TERMINAL_ID, technician=TECHNICIAN).acceptance
    assert acceptance.citizen_id_masked == "440106********1235"
    assert acceptance.name_masked == "张*"
    assert acceptance.card_number == "X00000019"
    assert acceptance.spec_version == "2.00"
    assert acceptance.atr == FakeSocialSecurityCard.atr.hex().upper()


def test_every_step_is_reported_in_order_without_personal_data_or_credential(
    clock: FakeClock,
) -> None:
    scenario = _scenario(clock)
    result = scenario.station.provision(TERMINAL_ID, technician=TECHNICIAN)

    assert [step for step, _ in scenario.steps] == [
        ProvisioningStep.TERMINAL,
        ProvisioningStep.READERS,
        ProvisioningStep.PSAM,
        ProvisioningStep.PSAM_BINDING,
        ProvisioningStep.ACCEPTANCE,  # "insert the test card in …"
        ProvisioningStep.ACCEPTANCE,  # passed
        ProvisioningStep.BIND,
    ]
    said = " ".join(detail for _, detail in scenario.steps) + repr(result)
    for secret in ("440106199001011235", "张三", CREDENTIAL):
        assert secret not in said
    assert "insert the test card in 'Virtual PCD 00 01'" in said
    assert "440106********1235 张*" in said


def test_waits_use_the_station_timeouts(clock: FakeClock) -> None:
    scenario = _scenario(clock)
    scenario.provision()
    assert scenario.readers.waits == [(PSAM_READER, 2.0), (CARD_READER, 30.0)]


def test_the_caller_may_choose_the_readers(clock: FakeClock) -> None:
    readers = FakeReaders(
        {"Other 00": None, "Card 01": FakeSocialSecurityCard, "Psam 02": FakePsam}
    )
    scenario = _scenario(clock, readers)
    result = scenario.station.provision(
        TERMINAL_ID, technician=TECHNICIAN, psam_reader="Psam 02", card_reader="Card 01"
    )
    assert result.readers == ReaderChoice(psam_reader="Psam 02", card_reader="Card 01")


def test_choosing_one_reader_takes_the_first_other_for_the_other_role(clock: FakeClock) -> None:
    readers = FakeReaders({"A": FakeSocialSecurityCard, "B": FakePsam})
    choice = _scenario(clock, readers).station.choose_readers(psam_reader="B")
    assert choice == ReaderChoice(psam_reader="B", card_reader="A")


def test_the_last_day_of_validity_passes(clock: FakeClock) -> None:
    # 2034-01-01 15:59 UTC is still 1 January in China.
    clock.set(datetime(2034, 1, 1, 15, 59, tzinfo=UTC))
    assert _scenario(clock).provision()


# --- refusals: nothing written -------------------------------------------------------------------


def test_an_unknown_terminal_is_not_found(clock: FakeClock) -> None:
    scenario = _scenario(clock)
    with pytest.raises(NotFound):
        scenario.station.provision("T440103-9999", technician=TECHNICIAN)
    assert scenario.nothing_written()
    assert scenario.readers.waits == []


@pytest.mark.parametrize("state", [s for s in TerminalState if s is not TerminalState.REGISTERED])
def test_only_a_registered_terminal_is_provisioned(clock: FakeClock, state: TerminalState) -> None:
    scenario = Scenario(FakeRegistry(_registered(state=state)), _station_readers(), clock)
    with pytest.raises(TransitionRefused, match=f"is {state}: only a registered terminal"):
        scenario.provision()
    assert scenario.nothing_written()
    assert scenario.readers.waits == []


def test_a_psam_bound_to_another_terminal_is_refused(clock: FakeClock) -> None:
    other = _registered(
        "T440103-0001", state=TerminalState.ACTIVE, psam_terminal_number="440100000001"
    )
    scenario = Scenario(FakeRegistry(_registered(), other), _station_readers(), clock)
    with pytest.raises(PsamAlreadyBound, match="bound to terminal T440103-0001") as caught:
        scenario.provision()
    assert caught.value.bound_to == "T440103-0001"
    assert scenario.nothing_written()
    assert [reader for reader, _ in scenario.readers.waits] == [PSAM_READER]


def test_a_bind_refused_by_the_registry_propagates(clock: FakeClock) -> None:
    scenario = _scenario(clock)
    scenario.registry.refuse_with = PsamAlreadyBound("440100000001", "T440103-0002")
    with pytest.raises(PsamAlreadyBound):
        scenario.provision()
    assert scenario.nothing_written()


@pytest.mark.parametrize(
    ("overrides", "error", "message"),
    [
        ({"card": lambda: FakeSocialSecurityCard(ssse=False)}, WrongCard, "selecting SSSE"),
        (
            {"card": lambda: FakeSocialSecurityCard(remove_after=10)},
            CardRemoved,
            r"Virtual PCD 00 01: reading EF06 tag 08 \(citizen id\): the card was removed",
        ),
        ({"card": None}, NoCard, "Virtual PCD 00 01: waiting for a card: no card within 30 s"),
        ({"psam": None}, NoCard, "Virtual PCD 00 00: waiting for a card: no card within 2 s"),
        ({"psam": FakeSocialSecurityCard}, WrongCard, "selecting the PSAM's MF: not a PSAM"),
        (
            {"psam": lambda: FakePsam(remove_after=2)},
            CardRemoved,
            "reading EF15: the card was removed",
        ),
        (
            {"card": lambda: FakeSocialSecurityCard(locked_ef06=True)},
            CardRefused,
            "external authentication",
        ),
    ],
)
def test_card_failures_write_nothing(
    clock: FakeClock,
    overrides: dict[str, Callable[[], CardConnection] | None],
    error: type[CardError],
    message: str,
) -> None:
    scenario = _scenario(clock, _station_readers(**overrides))
    with pytest.raises(error, match=message):
        scenario.provision()
    assert scenario.nothing_written()
    assert ProvisioningStep.BIND not in [step for step, _ in scenario.steps]


def test_an_expired_test_card_is_refused(clock: FakeClock) -> None:
    # 2034-01-01 16:00 UTC is already 2 January in China: the card expired on 1 January.
    clock.set(datetime(2034, 1, 1, 16, 0, tzinfo=UTC))
    scenario = _scenario(clock)
    with pytest.raises(CardRefused, match="acceptance test: the card expired on 2034-01-01"):
        scenario.provision()
    assert scenario.nothing_written()


def test_a_card_issued_in_the_future_is_refused(clock: FakeClock) -> None:
    ef05 = notes_ef05() | {0x05: bytes.fromhex("20270101")}
    readers = _station_readers(card=lambda: FakeSocialSecurityCard(ef05=ef05))
    scenario = _scenario(clock, readers)
    with pytest.raises(CardRefused, match="the card is issued 2027-01-01"):
        scenario.provision()
    assert scenario.nothing_written()


def test_a_reader_that_is_not_there_is_unavailable(clock: FakeClock) -> None:
    scenario = _scenario(clock)
    with pytest.raises(ReaderUnavailable, match="Virtual PCD 00 07: choosing readers: no such"):
        scenario.provision(card_reader="Virtual PCD 00 07")
    assert scenario.nothing_written()


def test_a_station_with_one_reader_cannot_provision(clock: FakeClock) -> None:
    scenario = _scenario(clock, FakeReaders({PSAM_READER: FakePsam}))
    with pytest.raises(
        ReaderUnavailable, match="needs a PSAM reader and a card reader, pcscd has 1"
    ):
        scenario.provision()
    assert scenario.nothing_written()


def test_the_psam_and_the_card_need_different_readers(clock: FakeClock) -> None:
    scenario = _scenario(clock)
    with pytest.raises(CardError, match="need two readers"):
        scenario.provision(psam_reader=PSAM_READER, card_reader=PSAM_READER)
    assert scenario.nothing_written()
