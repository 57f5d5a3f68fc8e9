"""The ebpmkit command: help, generate, and errors without tracebacks."""

import subprocess
import sys
from pathlib import Path

import ebpmkit
from ebpmkit.cli import main


def test_help_lists_commands(capsys):
    try:
        main(["--help"])
    except SystemExit as exc:
        assert exc.code == 0
    out = capsys.readouterr().out
    for command in ("generate", "lab", "profiles"):
        assert command in out


def test_console_script_runs():
    out = subprocess.run(
        [sys.executable, "-m", "ebpmkit.cli", "profiles"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "urban-ward" in out.stdout and "架空" in out.stdout


def test_generate_to_folder(tmp_path, capsys):
    code = main(
        [
            "generate",
            "--profile",
            "town",
            "--seed",
            "2",
            "--scale",
            "0.02",
            "--out",
            str(tmp_path / "o"),
            "--format",
            "csv",
        ]
    )
    assert code == 0
    assert (tmp_path / "o" / "residents.csv").exists()


def test_bad_input_is_one_clear_line(tmp_path, capsys):
    assert main(["generate", "--profile", "nowhere", "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "profile" in err and "Traceback" not in err
    assert (
        main(["generate", "--profile", "town", "--scale", "0", "--out", str(tmp_path / "o")]) == 2
    )
    assert "scale" in capsys.readouterr().err
    assert (
        main(
            [
                "generate",
                "--profile",
                "town",
                "--scale",
                "0.02",
                "--format",
                "xls",
                "--out",
                str(tmp_path / "o"),
            ]
        )
        == 2
    )
    assert "format" in capsys.readouterr().err


def test_lab_serves_the_curriculum_offline(monkeypatch):
    calls = []
    monkeypatch.setattr("subprocess.call", lambda cmd, env=None: calls.append(cmd) or 0)
    assert main(["lab", "--port", "9999", "--no-browser"]) == 0
    cmd = calls[0]
    assert cmd[1:4] == ["-m", "jupyter", "lab"]
    assert "--port" in cmd and "9999" in cmd and "--no-browser" in cmd
    assert "--LabApp.default_url=/lab/tree/notebooks" in cmd
    assert "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate" in cmd


def test_unknown_option_of_other_commands_is_refused(capsys):
    try:
        main(["profiles", "--colour"])
    except SystemExit as exc:
        assert exc.code == 2
    assert "--colour" in capsys.readouterr().err


def test_lab_installs_the_japanese_settings_once_and_keeps_an_admins(tmp_path):
    # A pip-only environment gets the settings make would copy; an existing file is not replaced.
    from ebpmkit.cli import _install_lab_settings

    shipped = Path(ebpmkit.__file__).parent / "jupyterlab" / "overrides.json"
    written = _install_lab_settings(tmp_path / "fresh")
    assert written is not None and written.read_bytes() == shipped.read_bytes()
    admin = tmp_path / "admin" / "share" / "jupyter" / "lab" / "settings" / "overrides.json"
    admin.parent.mkdir(parents=True)
    admin.write_text("{}", encoding="utf-8")
    assert _install_lab_settings(tmp_path / "admin") is None
    assert admin.read_text(encoding="utf-8") == "{}"
