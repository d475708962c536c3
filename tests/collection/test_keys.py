"""Keys: layout, permissions, refusal to overwrite, fingerprints, and the commands."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from nacl.public import PrivateKey
from nacl.signing import SigningKey
from typer.testing import CliRunner

from safepupil.cli.main import app
from safepupil.collection.keys.atomic_file import atomic_write_bytes, atomic_writer
from safepupil.collection.keys.create import init_keys
from safepupil.collection.keys.fingerprint import fingerprint, secret_key_id
from safepupil.collection.keys.inventory import list_keys
from safepupil.collection.keys.layout import KeyLayout
from safepupil.collection.keys.load import (
    load_la_tool_keys,
    load_la_verify_keys,
    load_national_box_key,
    load_pseudonym_key,
    read_key_file,
)
from safepupil.errors import ConfigError

TWO_LAS = ("201", "202")


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def layout(tmp_path: Path) -> KeyLayout:
    layout = KeyLayout(tmp_path / "home")
    init_keys(layout, TWO_LAS)
    return layout


def test_init_writes_the_documented_layout_with_owner_only_secrets(layout: KeyLayout) -> None:
    secrets = [
        layout.pseudonym_key,
        layout.national_box_key,
        *(layout.la_signing_key(code) for code in TWO_LAS),
    ]
    publics = [layout.national_box_public, layout.la_registry]
    publics += [layout.la_verify_key(code) for code in TWO_LAS]
    assert {mode_of(path) for path in secrets} == {0o600}
    assert {mode_of(path) for path in publics} == {0o644}
    folders = [layout.root, layout.custodian_folder, layout.national_folder, layout.la_root]
    folders += [layout.la_folder(code) for code in TWO_LAS]
    assert {mode_of(folder) for folder in folders} == {0o700}
    assert len(load_pseudonym_key(layout.pseudonym_key)) == 32
    assert not list(layout.root.rglob("*.part")), "no temporary file is left behind"


def test_default_is_every_la_of_january_2018(tmp_path: Path) -> None:
    layout = KeyLayout(tmp_path)
    result = init_keys(layout)
    assert len(result.la_codes) == 152
    assert len(load_la_verify_keys(layout)) == 152
    assert "201" in result.la_codes and "940" not in result.la_codes  # 940 began in 2021


def test_init_refuses_to_overwrite_and_writes_nothing(layout: KeyLayout) -> None:
    before = {p: p.read_bytes() for p in layout.root.rglob("*") if p.is_file()}
    with pytest.raises(ConfigError, match="already exist") as refused:
        init_keys(layout, TWO_LAS)
    assert "--force" in refused.value.hint
    assert {p: p.read_bytes() for p in layout.root.rglob("*") if p.is_file()} == before


def test_force_without_la_codes_replaces_every_key(layout: KeyLayout) -> None:
    old_secret = load_pseudonym_key(layout.pseudonym_key)
    old_national = layout.national_box_key.read_bytes()
    with pytest.raises(ConfigError, match="already exist"):
        init_keys(layout)
    init_keys(layout, force=True)
    assert load_pseudonym_key(layout.pseudonym_key) != old_secret
    assert layout.national_box_key.read_bytes() != old_national
    assert mode_of(layout.pseudonym_key) == 0o600


def test_unknown_la_code_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    layout = KeyLayout(tmp_path)
    with pytest.raises(ConfigError, match="not an LA code"):
        init_keys(layout, ("201", "999"))
    assert not layout.root.exists()


def test_registry_holds_each_las_verify_key(layout: KeyLayout) -> None:
    registry = json.loads(layout.la_registry.read_text())
    assert sorted(registry["la"]) == list(TWO_LAS)
    verify = load_la_verify_keys(layout)
    for code in TWO_LAS:
        signing = load_la_tool_keys(layout, code).signing_key
        assert bytes(verify[code]) == bytes(signing.verify_key)
        assert registry["la"][code]["fingerprint"] == fingerprint(bytes(signing.verify_key))


def test_adding_an_la_later_keeps_shared_keys_and_registry_entries(layout: KeyLayout) -> None:
    secret = load_pseudonym_key(layout.pseudonym_key)
    national = layout.national_box_key.read_bytes()
    result = init_keys(layout, ("203",))
    assert sorted(load_la_verify_keys(layout)) == ["201", "202", "203"]
    assert load_pseudonym_key(layout.pseudonym_key) == secret
    assert layout.national_box_key.read_bytes() == national
    assert layout.pseudonym_key in result.kept
    assert [k.role for k in result.written] == ["LA 203 signing key", "LA 203 verify key"]


def test_replacing_one_las_key_leaves_the_others(layout: KeyLayout) -> None:
    secret = load_pseudonym_key(layout.pseudonym_key)
    other = layout.la_signing_key("202").read_bytes()
    old = layout.la_signing_key("201").read_bytes()
    with pytest.raises(ConfigError, match="already exist"):
        init_keys(layout, ("201",))
    init_keys(layout, ("201",), force=True)
    assert layout.la_signing_key("201").read_bytes() != old
    assert layout.la_signing_key("202").read_bytes() == other
    assert load_pseudonym_key(layout.pseudonym_key) == secret


def test_loose_secret_is_refused(layout: KeyLayout) -> None:
    layout.pseudonym_key.chmod(0o644)
    with pytest.raises(ConfigError, match="readable by other users"):
        load_pseudonym_key(layout.pseudonym_key)


@pytest.mark.parametrize(
    ("content", "problem"),
    [(b"", "not a key file"), (b"zz" * 32, "not a key file"), (b"ab" * 31, "not a key file")],
)
def test_damaged_key_file_is_refused(tmp_path: Path, content: bytes, problem: str) -> None:
    path = tmp_path / "k.key"
    atomic_write_bytes(path, content)
    with pytest.raises(ConfigError, match=problem):
        read_key_file(path, secret=True)


def test_missing_key_file_says_how_to_create_keys(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found") as missing:
        load_national_box_key(KeyLayout(tmp_path))
    assert "keys init" in missing.value.hint


def test_fingerprints_name_public_keys_and_never_show_secrets(layout: KeyLayout) -> None:
    listed = {info.role: info for info in list_keys(layout)}
    box = load_national_box_key(layout)
    public_fp = fingerprint(bytes(box.public_key))
    assert listed["national public key"].fingerprint == public_fp
    assert listed["national decryption key"].fingerprint == public_fp
    secret = load_pseudonym_key(layout.pseudonym_key)
    assert listed["pseudonymisation secret"].fingerprint == secret_key_id(secret)
    assert all(info.problem == "" for info in listed.values())
    shown = json.dumps([str(i) for i in listed.values()])
    for path in (layout.pseudonym_key, layout.national_box_key, layout.la_signing_key("201")):
        assert path.read_text().strip() not in shown


def test_fingerprint_and_key_id_distinguish_keys() -> None:
    first, second = PrivateKey.generate(), PrivateKey.generate()
    assert fingerprint(bytes(first.public_key)) != fingerprint(bytes(second.public_key))
    assert len(fingerprint(bytes(first.public_key))) == 32
    assert secret_key_id(b"a" * 32) != secret_key_id(b"b" * 32)
    assert secret_key_id(b"a" * 32) == secret_key_id(b"a" * 32)
    signing = SigningKey.generate()
    assert fingerprint(bytes(signing.verify_key)) not in bytes(signing).hex()


def test_show_flags_a_secret_with_loose_permissions(layout: KeyLayout) -> None:
    layout.la_signing_key("202").chmod(0o640)
    flagged = [info for info in list_keys(layout) if info.problem]
    assert [info.role for info in flagged] == ["LA 202 signing key"]


def test_atomic_writer_leaves_nothing_when_interrupted(tmp_path: Path) -> None:
    target = tmp_path / "out.bin"
    with pytest.raises(RuntimeError), atomic_writer(target) as stream:
        stream.write(b"half")
        raise RuntimeError("interrupted")
    assert list(tmp_path.iterdir()) == []


def test_cli_init_and_show(tmp_path: Path) -> None:
    runner = CliRunner()
    home = tmp_path / "home"
    created = runner.invoke(app, ["keys", "init", "--home", str(home), "--la", "201"])
    assert created.exit_code == 0, created.output
    assert "pseudonymisation" in created.output
    again = runner.invoke(app, ["keys", "init", "--home", str(home), "--la", "201"])
    assert isinstance(again.exception, ConfigError)
    shown = runner.invoke(app, ["keys", "show", "--home", str(home), "--json"])
    assert shown.exit_code == 0, shown.output
    roles = [entry["role"] for entry in json.loads(shown.output)]
    assert roles[:3] == [
        "pseudonymisation secret",
        "national decryption key",
        "national public key",
    ]
    secret_hex = KeyLayout(home).pseudonym_key.read_text().strip()
    assert secret_hex not in shown.output and secret_hex not in created.output


def test_cli_home_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SAFEPUPIL_HOME", str(tmp_path / "env-home"))
    result = CliRunner().invoke(app, ["keys", "init", "--la", "202"])
    assert result.exit_code == 0, result.output
    assert KeyLayout(tmp_path / "env-home").la_signing_key("202").is_file()
