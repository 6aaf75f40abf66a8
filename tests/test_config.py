from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from kiosk.config import ConfigError, Settings, load_settings

EXAMPLE = Path(__file__).parent.parent / "config" / "kiosk.example.toml"


def test_the_example_file_loads_and_documents_every_option(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KIOSK_DB_URL", raising=False)
    settings = load_settings(EXAMPLE)
    data = tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))
    for section, model in Settings.model_fields.items():
        if section in ("devices", "safe_io"):
            continue  # tables of optional hardware, commented out in the example (safe_io: its own test)
        fields = set(model.annotation.model_fields)  # type: ignore[union-attr]
        assert fields == set(data[section]), f"[{section}] in the example differs from the settings"
    assert settings.retention.preset == "notice-2017"


def test_unknown_key_names_the_key_and_the_allowed_ones(tmp_path: Path) -> None:
    path = tmp_path / "k.toml"
    path.write_text("[session]\nmax_open = 5\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    assert "session.max_open" in str(info.value)
    assert "max_open_minutes" in str(info.value)


def test_wrong_value_names_the_key_and_what_is_allowed(tmp_path: Path) -> None:
    path = tmp_path / "k.toml"
    path.write_text('[kiosk]\nlanguage = "fr"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"kiosk\.language.*'ja' or 'en'"):
        load_settings(path)


def test_broken_toml_is_reported_with_the_file(tmp_path: Path) -> None:
    path = tmp_path / "k.toml"
    path.write_text("[kiosk\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(path)


def test_environment_overrides_the_file_and_db_option_overrides_both(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "k.toml"
    path.write_text('[session]\nmax_open_minutes = 20\n[ledger]\nurl = "sqlite:///a.db"\n', encoding="utf-8")
    monkeypatch.setenv("KIOSK_SESSION__MAX_OPEN_MINUTES", "45")
    monkeypatch.setenv("KIOSK_DB_URL", "sqlite:///b.db")
    assert load_settings(path).session.max_open_minutes == 45
    assert load_settings(path).ledger.url == "sqlite:///b.db"
    assert load_settings(path, db_url="sqlite:///c.db").ledger.url == "sqlite:///c.db"


def test_a_config_value_shaped_like_an_individual_number_is_refused_without_echo(tmp_path: Path) -> None:
    value = "".join(str(i % 10) for i in range(3, 15))
    path = tmp_path / "k.toml"
    path.write_text(f'[kiosk]\nname = "{value}"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    assert value not in str(info.value)
    assert "kiosk.name" in str(info.value)


def test_an_ipv4_address_is_not_an_individual_number_but_a_number_beside_it_still_is(tmp_path: Path) -> None:
    """192.168.100.100 is twelve digits once the dots go: a technician must be able to name such a host."""
    path = tmp_path / "k.toml"
    path.write_text(
        '[alerts]\nsmtp_host = "192.168.100.100"\nsender = "kiosk@example.jp"\n'
        'recipients = ["k@example.jp"]\n',
        encoding="utf-8",
    )
    assert load_settings(path).alerts.smtp_host == "192.168.100.100"
    url = "postgresql://kiosk@192.168.100.100:5432/ledger"
    assert load_settings(path, db_url=url).ledger.url == url
    # Not an address (a part above 255, or more digits run on): the guard still refuses it.
    for value in (
        "123.456.789.012",
        "192.168.100.1000",
        "192.168.100.100" + "".join(str(i) for i in range(4)),
    ):
        path.write_text(f'[kiosk]\nname = "{value}"\n', encoding="utf-8")
        with pytest.raises(ConfigError, match=r"kiosk\.name"):
            load_settings(path)
