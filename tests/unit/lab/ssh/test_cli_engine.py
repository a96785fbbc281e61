"""The CLI engine speaks each platform's dialect: prompts, modes, errors, paging, enable, …"""

from __future__ import annotations

from pathlib import Path

import pytest

from core.model import Platform
from lab.ssh.cli_engine import CliSession, InputMode
from lab.ssh.device import Login
from lab.ssh.spec import SshBehaviour
from tests.unit.lab.ssh.conftest import NETWORK_PLATFORMS, DeviceFactory, SessionFactory, lines_of

VRP, COMWARE, IOS, ZXROS = (
    Platform.HUAWEI_VRP,
    Platform.HP_COMWARE,
    Platform.CISCO_IOS,
    Platform.ZTE_ZXROS,
)
# platform: (exec prompt, enter config, config prompt, an interface, its prompt, leave config)
MODES = {
    VRP: ("<LAB-DEV1>", "system-view", "[LAB-DEV1]", "GigabitEthernet0/0/1",
          "[LAB-DEV1-GigabitEthernet0/0/1]", "return"),
    COMWARE: ("<LAB-DEV1>", "system-view", "[LAB-DEV1]", "GigabitEthernet1/0/1",
              "[LAB-DEV1-GigabitEthernet1/0/1]", "return"),
    IOS: ("LAB-DEV1#", "configure terminal", "LAB-DEV1(config)#", "GigabitEthernet0/1",
          "LAB-DEV1(config-if)#", "end"),
    ZXROS: ("LAB-DEV1#", "configure terminal", "LAB-DEV1(config)#", "gei-0/1/0/1",
            "LAB-DEV1(config-if-gei-0/1/0/1)#", "end"),
}  # fmt: skip
VERSION = {VRP: "dis ver", COMWARE: "dis ver", IOS: "sh ver", ZXROS: "sh ver"}
RUNNING = {
    VRP: "display current-configuration",
    COMWARE: "display current-configuration",
    IOS: "show running-config",
    ZXROS: "show running-config",
}
PAGING_OFF = {
    VRP: "screen-length 0 temporary",
    COMWARE: "screen-length disable",
    IOS: "terminal length 0",
    ZXROS: "terminal length 0",
}


@pytest.mark.parametrize("platform", NETWORK_PLATFORMS)
def test_modes_and_their_prompts(make_session: SessionFactory, platform: Platform) -> None:
    exec_prompt, enter, config_prompt, interface, sub_prompt, leave = MODES[platform]
    session = make_session(platform)
    assert session.start().endswith("\r\n" + exec_prompt)
    assert session.line("").text == exec_prompt
    assert session.line(enter).text.endswith("\r\n" + config_prompt)
    assert session.line(f"interface {interface}").text == sub_prompt
    assert session.line(leave).text == exec_prompt


@pytest.mark.parametrize("platform", NETWORK_PLATFORMS)
def test_abbreviated_version_names_the_device(
    make_session: SessionFactory, platform: Platform
) -> None:
    session = make_session(platform)
    session.line(PAGING_OFF[platform])
    text = session.line(VERSION[platform]).text
    assert text.endswith(MODES[platform][0])
    assert session.device.state is not None
    assert session.device.state.model in text


@pytest.mark.parametrize(
    ("platform", "typed", "caret_under", "message"),
    [
        (VRP, "display foo", 8, "Error: Unrecognized command found at '^' position."),
        (COMWARE, "dis foo", 4, " % Unrecognized command found at '^' position."),
        (IOS, "show foo", 5, "% Invalid input detected at '^' marker."),
        (ZXROS, "show foo", 5, "%Error 20200: Invalid input detected at '^' marker."),
    ],
)
def test_unknown_words_get_a_caret_in_the_platforms_words(
    make_session: SessionFactory, platform: Platform, typed: str, caret_under: int, message: str
) -> None:
    session = make_session(platform)
    prompt = session.prompt()
    caret, said, after = lines_of(session.line(typed).text)
    assert caret == " " * (len(prompt) + caret_under) + "^"
    assert said == message
    assert after == prompt


def test_ios_takes_an_unknown_first_word_for_a_host(make_session: SessionFactory) -> None:
    said = lines_of(make_session(IOS).line("frobnicate").text)[0]
    assert said == "% Unknown command or computer name, or unable to find computer address"


def test_ambiguous_and_incomplete_commands(make_session: SessionFactory) -> None:
    vrp = make_session(VRP)
    assert "Error: Ambiguous command found at '^' position." in vrp.line("dis l").text
    assert "Error: Incomplete command found at '^' position." in vrp.line("display").text
    ios = make_session(IOS)
    assert '% Ambiguous command:  "sh in"' in ios.line("sh in").text
    assert "% Incomplete command." in ios.line("show").text


@pytest.mark.parametrize("platform", NETWORK_PLATFORMS)
def test_long_output_pages_until_paging_is_disabled(
    make_session: SessionFactory, platform: Platform
) -> None:
    session = make_session(platform)
    more = session.dialect.more_prompt
    first = session.line(RUNNING[platform])
    assert first.text.endswith(more)
    assert len(lines_of(first.text)) == session.dialect.page_length + 1
    assert session.input_mode is InputMode.KEY
    second = session.key(" ")
    assert second.text.startswith(session.dialect.more_erase)
    assert second.text.endswith(more)
    stopped = session.key("q")
    assert stopped.text.endswith(session.prompt())
    assert session.input_mode is InputMode.LINE
    session.line(PAGING_OFF[platform])
    whole = session.line(RUNNING[platform]).text
    assert more not in whole
    assert whole.endswith(session.prompt())


def test_enter_at_a_more_prompt_shows_one_more_line(make_session: SessionFactory) -> None:
    session = make_session(VRP)
    session.line("display current-configuration")
    one = session.key("\r").text
    assert one.count("\r\n") == 1
    assert one.endswith(session.dialect.more_prompt)


def test_filters_keep_the_lines_asked_for(make_session: SessionFactory) -> None:
    ios = make_session(IOS)
    ios.line("terminal length 0")
    lines = lines_of(ios.line("show running-config | include ^username").text)[:-1]
    assert lines
    assert all(line.startswith("username ") for line in lines)
    vrp = make_session(VRP)
    vrp.line("screen-length 0 temporary")
    begun = lines_of(vrp.line("display current-configuration | begin ^aaa").text)
    assert begun[0] == "aaa"
    counted = ios.line("show running-config | count username").text
    assert counted.startswith(f"Number of lines which match regexp = {len(lines)}")


def test_enable_asks_for_the_secret_and_gates_the_configuration(
    make_session: SessionFactory,
) -> None:
    session = make_session(IOS, enable_secret="s3cret")
    assert session.prompt() == "LAB-DEV1>"
    assert "% Invalid input detected" in session.line("show running-config").text
    assert session.line("enable").text == "Password: "
    assert session.input_mode is InputMode.SECRET
    assert session.line("wrong").text == "Password: "
    assert session.line("s3cret").text == "LAB-DEV1#"
    assert session.line("show running-config | include ^hostname").text.startswith(
        "hostname LAB-DEV1"
    )
    session.line("disable")
    assert session.prompt() == "LAB-DEV1>"


def test_three_wrong_enable_secrets_are_refused(make_session: SessionFactory) -> None:
    session = make_session(ZXROS, enable_secret="s3cret")
    session.line("enable")
    session.line("a")
    session.line("b")
    assert session.line("c").text == "% Access denied\r\nLAB-DEV1>"
    assert session.input_mode is InputMode.LINE


def test_comware_developer_mode_asks_to_confirm_and_for_its_password(
    make_session: SessionFactory,
) -> None:
    session = make_session(COMWARE)
    assert session.line("_cmdline-mode on").text.endswith("Continue? [Y/N]")
    assert session.line("y").text == "Please input password:"
    assert session.input_mode is InputMode.SECRET
    assert "Warning: Now you enter an all-command mode" in session.line("512900").text
    session.line("_cmdline-mode on")
    session.line("Y")
    assert "Error: Invalid password." in session.line("guess").text


@pytest.mark.parametrize("platform", NETWORK_PLATFORMS)
def test_configuration_changes_show_in_prompt_outputs_and_running_config(
    make_session: SessionFactory, platform: Platform
) -> None:
    _, enter, _, interface, _, leave = MODES[platform]
    session = make_session(platform)
    session.line(PAGING_OFF[platform])
    naming = "sysname" if platform in (VRP, COMWARE) else "hostname"
    for command in (enter, f"{naming} GZ-RENAMED1", f"interface {interface}"):
        session.line(command)
    session.line("description to the new card terminals")
    session.line("snmp-agent sys-info version v3" if naming == "sysname" else "ntp source vlan1")
    assert session.line(leave).text.startswith("<GZ-RENAMED1>" if naming == "sysname" else "GZ")
    config = session.line(RUNNING[platform]).text
    assert f"{naming} GZ-RENAMED1" in config
    assert "description to the new card terminals" in config
    state = session.device.state
    assert state is not None
    assert state.interface_by_name()[interface].alias == "to the new card terminals"


def test_undo_takes_a_line_entered_before_back_out(make_session: SessionFactory) -> None:
    session = make_session(VRP)
    session.line("screen-length 0 temporary")
    session.line("system-view")
    session.line("snmp-agent trap source LoopBack0")
    assert "snmp-agent trap source LoopBack0" in session.device.running_config()
    session.line("undo snmp-agent trap source LoopBack0")
    assert "snmp-agent trap source LoopBack0" not in session.device.running_config()


def test_configuration_needs_the_privilege_for_it(make_device: DeviceFactory) -> None:
    device = make_device(COMWARE)
    device.logins["viewer"] = Login("viewer-pass", 1)  # a network-operator
    session = CliSession(device, "viewer")
    session.line("system-view")
    assert "Permission denied." in session.line("sysname X").text
    assert device.hostname == "LAB-DEV1"


def test_display_commands_run_in_system_view(make_session: SessionFactory) -> None:
    session = make_session(VRP)
    session.line("system-view")
    assert "Huawei Versatile Routing Platform" in session.line("display version").text
    assert session.line("foo").text.startswith(" " * len("[LAB-DEV1]") + "^")


def test_ctrl_z_leaves_configuration_from_any_depth(make_session: SessionFactory) -> None:
    session = make_session(IOS)
    session.line("configure terminal")
    session.line("interface GigabitEthernet0/1")
    assert session.end_config().text == "\r\nLAB-DEV1#"


@pytest.mark.parametrize("platform", NETWORK_PLATFORMS)
def test_logging_out_closes_the_session(make_session: SessionFactory, platform: Platform) -> None:
    word = "quit" if platform in (VRP, COMWARE) else "exit"
    assert make_session(platform).line(word).close


def test_a_hanging_command_never_answers_however_it_is_typed(
    make_session: SessionFactory,
) -> None:
    behaviour = SshBehaviour(hanging_commands=("display version",))
    session = make_session(VRP, behaviour=behaviour)
    assert session.line("dis ver").hang
    assert session.line("display   version").hang
    assert not session.line("display clock").hang


def test_every_answer_carries_the_devices_delay(make_session: SessionFactory) -> None:
    session = make_session(IOS, behaviour=SshBehaviour(command_delay_s=0.25))
    assert session.line("show clock").delay_s == 0.25
    assert session.line("terminal length 0").delay_s == 0.25


def test_recorded_outputs_answer_their_commands(
    make_session: SessionFactory, tmp_path: Path
) -> None:
    recordings = tmp_path / "recordings"
    (recordings / "display_lldp_neighbor").mkdir(parents=True)
    (recordings / "display_lldp_neighbor" / "b.raw").write_text("second\n")
    (recordings / "display_lldp_neighbor" / "a.raw").write_text("first\r\nrecording\n")
    (recordings / "display_version.raw").write_text("VRP (R) software, Version 8.180\n")
    session = make_session(VRP, outputs_dir=recordings)
    session.line("screen-length 0 temporary")
    assert session.line("dis ver").text == "VRP (R) software, Version 8.180\r\n<LAB-DEV1>"
    assert session.line("display lldp neighbor").text == "first\r\nrecording\r\n<LAB-DEV1>"
    assert "Unrecognized command" in session.line("display interface brief").text


def test_an_exec_request_prints_the_output_alone(make_session: SessionFactory) -> None:
    session = make_session(ZXROS, enable_secret="s3cret")
    reply = session.exec_request("show version")
    assert reply.text.startswith("ZTE ZXR10 Software, Version: ")
    assert "--More--" not in reply.text
    assert "\r\n" not in reply.text
    assert not reply.text.endswith(session.prompt())
    assert reply.close


def test_an_exec_request_can_hang_too(make_session: SessionFactory) -> None:
    session = make_session(VRP, behaviour=SshBehaviour(hanging_commands=("display version",)))
    assert session.exec_request("display version").hang
