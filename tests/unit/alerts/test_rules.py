"""Rule files: what a valid file gives, and clear errors (file, line, rule, field) for bad ones."""

from __future__ import annotations

from pathlib import Path

import pytest

from alerts.model import Severity
from alerts.observation import (
    DEVICE_CONTEXT_LABELS,
    EVENT_TYPES,
    FACT_LABELS,
    METRIC_LABELS,
    event_label_names,
)
from alerts.rule_schema import (
    EventRule,
    LabelMatchers,
    StateRule,
    Template,
    ThresholdRule,
    format_duration,
    parse_duration,
)
from alerts.rules import (
    DEFAULT_RULES_PATH,
    RuleFileError,
    load_default_rules,
    load_rule_file,
    load_rule_files,
    rules_from_data,
)
from core.errors import ConfigError

DATA = Path(__file__).resolve().parents[2] / "data" / "alerts"


def problems_of(*names: str) -> list[str]:
    with pytest.raises(RuleFileError) as caught:
        load_rule_files([DATA / name for name in names])
    return [str(p) for p in caught.value.problems]


def test_a_good_file_gives_typed_rules_with_defaults_applied() -> None:
    rules = load_rule_file(DATA / "rules_good.yaml")
    assert [r.name for r in rules] == [
        "uplink-hot",
        "free-memory-low",
        "link-down",
        "backup-missing",
        "port-down",
    ]
    uplink = rules.by_name()["uplink-hot"]
    assert isinstance(uplink, ThresholdRule)
    assert uplink.metric == "interface_utilisation_percent"
    assert uplink.matchers == LabelMatchers(
        {"tier": ["city_county", "province_city"], "link_role": ["primary"]}
    )
    assert (uplink.op, uplink.threshold, uplink.clear_threshold) == (">=", 80.0, 70.0)
    assert (uplink.for_s, uplink.keep_firing_for_s) == (300.0, 60.0)
    assert uplink.severity is Severity.MAJOR
    assert dict(uplink.labels) == {
        "team": Template("backbone"),
        "region_code": Template("{region}"),
    }
    assert uplink.flapping is not None
    assert (uplink.flapping.changes, uplink.flapping.within_s) == (6, 1800.0)
    assert uplink.flapping.stable_for_s == 900.0  # not given: the built-in default
    assert uplink.runbook_url == "https://noc.example/runbooks/uplink-hot"
    assert uplink.source.endswith("rules_good.yaml")
    assert uplink.line == 5

    free = rules.by_name()["free-memory-low"]
    assert isinstance(free, ThresholdRule)
    assert free.flapping is None
    assert dict(free.labels) == {"team": Template("noc")}
    assert free.holds(4.0, firing=False)
    assert free.holds(9.0, firing=True)  # hysteresis the other way round
    assert not free.holds(11.0, firing=True)

    backup = rules.by_name()["backup-missing"]
    assert isinstance(backup, StateRule)
    assert backup.older_than_s == 86400.0
    port = rules.by_name()["port-down"]
    assert isinstance(port, EventRule)
    assert port.identify_by == ("device", "if_index")
    assert port.clear is not None
    assert port.clear.event == "TrapReceived"
    assert port.resolve_after_s is None
    assert len(rules.threshold_rules) == 2
    assert len(rules.state_rules) == 2
    assert len(rules.event_rules) == 1


def test_a_bad_duration_names_file_line_rule_and_field() -> None:
    [problem] = problems_of("rules_bad_duration.yaml")
    assert problem == (
        f"{DATA / 'rules_bad_duration.yaml'}:7: rule 'uplink-hot': "
        "for: '5x' is not a duration (use 30s, 5m, 1h)"
    )


def test_unknown_fields_are_rejected_with_a_suggestion() -> None:
    problems = problems_of("rules_unknown_fields.yaml")
    short = [p.split("rules_unknown_fields.yaml:")[1] for p in problems]
    assert short == [
        "2: defaults.flaping: unknown field (did you mean 'flapping'?)",
        "4: rule 'cpu-high': threshold: must be a number (required)",
        "7: rule 'cpu-high': thresold: unknown field (did you mean 'threshold'?)",
        "8: rule 'cpu-high': severity: 'urgent' is not a severity "
        "(use critical, major, minor, warning, info)",
        "9: rule 'cpu-high': older_than: is for state rules (this is a threshold rule)",
    ]


def test_duplicate_names_are_refused_within_a_file_and_across_files() -> None:
    [within] = problems_of("rules_duplicates.yaml")
    assert within.endswith(
        "rules_duplicates.yaml:7: rule 'device-unreachable': name: defined twice "
        f"(first at {DATA / 'rules_duplicates.yaml'}:2)"
    )
    across = problems_of("rules_good.yaml", "rules_good.yaml")
    assert len(across) == 5
    assert all("defined twice" in p for p in across)


def test_every_problem_of_a_file_is_reported_at_once() -> None:
    problems = problems_of("rules_bad_values.yaml")
    text = "\n".join(problems)
    expected = [
        "rule 'op-typo': op: '=>' is not an operator (use >, >=, <, <=, ==, !=)",
        "rule 'metric-typo': metric: unknown metric 'device_cpu_percnt' "
        "(did you mean 'device_cpu_percent'?)",
        "rule 'clear-on-the-wrong-side': clear_threshold: 85 must not be above threshold 80 "
        "for op '>'",
        "rule 'clear-on-the-wrong-side': matchers.teir: metric interface_utilisation_percent "
        "has no label 'teir' (did you mean 'tier'?)",
        "rule 'unquoted-op': op: required: one of >, >=, <, <=, ==, !=, quoted (op: \">\")",
        "rule 'state-typo': state: 'dwn' is not a device state (use degraded, down, unknown, up)",
        "rule 'backup-with-state': state: backups have no state: use older_than (e.g. 24h)",
        "rule 'backup-with-state': older_than: required for fact backup",
        "rule 'event-typo': event: unknown event type 'TrapRecieved' "
        "(did you mean 'TrapReceived'?)",
        "rule 'never-resolves': for: event rules fire at once",
        "rule 'never-resolves': needs clear or resolve_after",
        "rule 'clear-cannot-find': identify_by: event TrapReceived has no label 'if_indx' "
        "(did you mean 'if_index'?)",
        "rule 'clear-cannot-find': clear.match.kind: event ConfigChanged has no label 'kind'",
        "rule 'templates-and-labels': annotations.summary: bad template '{device'",
        "rule 'templates-and-labels': labels.severity: set by the engine",
        "rule 'templates-and-labels': labels.team: bad template field {device.__class__}",
        "rule 'templates-and-labels': flapping.changes: must be a whole number of at least 2",
        "rule 'templates-and-labels': flapping.within: 'soon' is not a duration",
        "rule 'no-summary': annotations: needs a summary",
        "rule 'two-kinds': has metric and fact: a rule is of one kind only",
        "rule '#13': a rule is a mapping",
        "rule '#14': name: required: lowercase letters, digits, '.', '_', '-' (got 'Bad Name')",
    ]
    for fragment in expected:
        assert fragment in text, f"{fragment!r} not in:\n{text}"
    lines = [int(p.split("rules_bad_values.yaml:")[1].split(":")[0]) for p in problems]
    assert lines == sorted(lines)


def test_broken_yaml_and_missing_files_are_rule_file_errors_too() -> None:
    [broken] = problems_of("rules_not_yaml.yaml")
    assert broken.endswith(
        "rules_not_yaml.yaml:4: not valid YAML: mapping values are not allowed here"
    )
    [missing] = problems_of("no_such_rules.yaml")
    assert missing.endswith("no_such_rules.yaml: file not found")


def test_rule_file_errors_are_config_errors_and_data_needs_a_rules_list() -> None:
    with pytest.raises(ConfigError, match="a rule file is a mapping with a 'rules:' list"):
        rules_from_data([{"name": "x"}])
    with pytest.raises(RuleFileError, match="<rules>: rule 'x': annotations: required"):
        rules_from_data(
            {"rules": [{"name": "x", "fact": "device", "state": "down", "severity": "info"}]}
        )


def test_the_shipped_rules_load_and_their_templates_name_what_exists() -> None:
    rules = load_default_rules()
    assert DEFAULT_RULES_PATH.is_file()
    assert len(rules) >= 15
    common = {"rule", "severity", "alertname"}
    for rule in rules:
        if isinstance(rule, ThresholdRule):
            known = METRIC_LABELS[rule.metric] | {"value", "threshold", "metric"}
        elif isinstance(rule, StateRule):
            known = FACT_LABELS[rule.fact] | {"state", "reason", "since", "age", "site"}
        else:
            known = event_label_names(EVENT_TYPES[rule.event]) | DEVICE_CONTEXT_LABELS
        for name, template in (*rule.annotations, *rule.labels):
            unknown = template.fields - known - common
            assert not unknown, f"{rule.name}: {name} names {unknown}"


def test_durations_read_and_print_alike() -> None:
    assert parse_duration("1h30m") == 5400
    assert parse_duration("1d") == 86400
    assert parse_duration("0s") == 0
    assert format_duration(5400) == "1h30m"
    assert format_duration(0) == "0s"
    for bad in ("5x", "", "5", 5, "m", True, None, "1.5h"):
        with pytest.raises(ValueError, match="is not a duration"):
            parse_duration(bad)


def test_templates_render_format_specs_and_show_missing_fields() -> None:
    template = Template("{device} at {value:.1f}% in {county}")
    assert template.fields == {"device", "value", "county"}
    assert template.render({"device": "sw1", "value": 81.26}) == "sw1 at 81.3% in {county}"
    assert Template("{value:.0f}").render({"value": "n/a"}) == "n/a"  # a spec that does not fit
    with pytest.raises(ValueError, match="plain label name"):
        Template("{device!r}")
