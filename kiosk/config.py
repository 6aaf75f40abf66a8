"""Typed settings: a TOML file, `KIOSK_`-prefixed environment overrides, and CLI options.

Precedence (highest first): CLI options (`--db`), environment (`KIOSK_DB_URL`, `KIOSK_<SECTION>__<KEY>`),
the TOML file (`KIOSK_CONFIG_FILE`, default `config/kiosk.toml`), the defaults below. A wrong or unknown
key stops start-up with a message naming the key and what is allowed.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_core import PydanticCustomError
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from kiosk.domain.guard import guard_text, looks_like_individual_number
from kiosk.domain.management_id import Refusal

DEFAULT_CONFIG_FILE = Path("config/kiosk.toml")

# The notice's checklist (総行住第236号): nothing personal may be brought to the safe.
DEFAULT_OPENING_CHECKLIST = [
    "私物のかばんを持ち込んでいない",
    "携帯電話・スマートフォンを持ち込んでいない",
    "保管庫に持ち込む物は業務に必要な物だけである",
]
DEFAULT_CLOSING_CHECKLIST = [
    "持ち出したカードはすべて戻したか交付を記録した",
    "保管庫から私物・不要な物を持ち出していない",
    "保管庫を施錠した",
]
# Why a card not booked today is taken out (予定外持出): the supervisor picks one; その他 needs a note.
DEFAULT_OVERRIDE_REASONS = ["予約外来庁", "郵送", "再交付", "その他"]


class ConfigError(Exception):
    """The configuration is wrong; the message names the key and what is allowed."""


class Section(BaseModel):
    """A TOML table: unknown keys are an error, not silently ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class LedgerSettings(Section):
    """[ledger] Where the ledger lives. An empty URL means the SQLite file in the data directory."""

    url: str = ""


class PathSettings(Section):
    """[paths] One data directory for everything the kiosk keeps; each entry may be moved on its own.

    Relative paths are taken from the folder of the configuration file, never the current directory.
    Put `anchors` on another volume (or a mounted share) so that losing the ledger's disk cannot take
    the record of its heads with it.
    """

    data_dir: Path = Path("var")
    ledger: Path | None = None  # the SQLite ledger file (when [ledger].url is empty)
    pepper: Path | None = None
    anchors: Path | None = None  # a folder: the anchor log and the start-up checkpoint
    logs: Path | None = None
    reports: Path | None = None
    backups: Path | None = None
    # Folders the 受領 screen offers delivery files (CSV) from, besides USB sticks under /media.
    imports: list[Path] = Field(default_factory=list)


class BackupSettings(Section):
    """[backup] `kiosk backup` and the daily close's backup."""

    keep: int = Field(default=14, ge=1, le=3650)


class KioskSettings(Section):
    """[kiosk] This station."""

    name: str = "kiosk-1"
    language: Literal["ja", "en"] = "ja"
    idle_signout_seconds: int = Field(default=180, ge=10, le=3600)
    training: bool = False
    # The terminal's own keyboard is a wedge input (burst = scan); off on kiosks with evdev scanners only.
    terminal_wedge: bool = True


class SessionSettings(Section):
    """[session] Safe sessions (保管庫利用)."""

    max_open_minutes: int = Field(default=30, ge=1, le=24 * 60)
    # 交付 needs the witness at that moment: "pin" (badge and PIN, the default) or "badge" (a badge scan).
    handover_witness: Literal["pin", "badge"] = "pin"
    opening_checklist: list[str] = Field(default_factory=lambda: list(DEFAULT_OPENING_CHECKLIST))
    closing_checklist: list[str] = Field(default_factory=lambda: list(DEFAULT_CLOSING_CHECKLIST))
    # The override reasons offered (予定外持出の理由), in this order; a note may be added to any.
    override_reasons: list[str] = Field(
        default_factory=lambda: list(DEFAULT_OVERRIDE_REASONS), min_length=1, max_length=9
    )


class ScanSettings(Section):
    """[scan] Input handling common to every device."""

    double_read_window_s: float = Field(default=1.5, ge=0.0, le=30.0)
    wedge_max_key_gap_ms: int = Field(default=60, ge=1, le=1000)
    wedge_min_length: int = Field(default=4, ge=1, le=64)


class RetentionSettings(Section):
    """[retention] Reminder and disposal periods (see kiosk.domain.retention)."""

    preset: Literal[
        "notice-2017", "reminder-plus-3-months", "later-of-reminder-3m-or-notice-12m", "no-disposal"
    ] = "notice-2017"
    reminder_after_days: int = Field(default=30, ge=1, le=3650)
    disposal_after_reminder_days: int = Field(default=90, ge=1, le=3650)
    disposal_after_reminder_months: int = Field(default=3, ge=1, le=120)
    disposal_after_notice_months: int = Field(default=12, ge=1, le=120)


class ReportSettings(Section):
    """[reports] Printed reports (PDF needs a TrueType font with Japanese glyphs, embedded)."""

    font_file: Path = Path("/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf")
    office_name: str = ""
    # Who certifies a disposal on the 廃棄証明書 (e.g. 市民課長); empty for none.
    certifying_post: str = ""


class LabelSettings(Section):
    """[labels] Label sheets for management IDs (see kiosk.labels.sheet)."""

    sheet: Literal["a4-12", "a4-24", "a4-44", "custom"] = "a4-44"
    symbol: Literal["datamatrix", "qr"] = "datamatrix"
    # Calibration: shift everything on the sheet (mm; right and down are positive).
    offset_x_mm: float = Field(default=0.0, ge=-20.0, le=20.0)
    offset_y_mm: float = Field(default=0.0, ge=-20.0, le=20.0)
    # Geometry of sheet = "custom" (mm); the presets ignore these.
    columns: int = Field(default=4, ge=1, le=10)
    rows: int = Field(default=11, ge=1, le=30)
    left_mm: float = Field(default=8.4, ge=0.0, le=100.0)
    top_mm: float = Field(default=8.8, ge=0.0, le=100.0)
    width_mm: float = Field(default=48.3, ge=15.0, le=210.0)
    height_mm: float = Field(default=25.4, ge=10.0, le=297.0)
    pitch_x_mm: float = Field(default=48.3, ge=15.0, le=210.0)
    pitch_y_mm: float = Field(default=25.4, ge=10.0, le=297.0)


class StaffSettings(Section):
    """[staff] Accounts and sign-in."""

    # A lockout (5 wrong PINs) ends by itself after this long; an administrator may unlock sooner.
    lockout_minutes: int = Field(default=30, ge=1, le=24 * 60)
    # Training (研修): a member is due on arrival until trained, then again this many days after the last.
    training_every_days: int = Field(default=365, ge=1, le=3660)
    # The kinds a training record may name (着任時研修, 定期研修, and any the office adds).
    training_kinds: list[str] = Field(default_factory=lambda: ["着任時研修", "定期研修"], min_length=1)


class StocktakeSettings(Section):
    """[stocktake] Stocktakes (点検)."""

    due_every_days: int = Field(default=30, ge=1, le=366)
    rfid_quiet_rounds: int = Field(default=3, ge=1, le=100)


def _safe_io_error(message: str) -> ValueError:
    """The driver's own sentence as the settings error (without pydantic's "Value error, " prefix)."""
    return PydanticCustomError("safe_io", message)


class SafeIoSettings(Section):
    """[safe_io] The safe's door contact and electric lock on a Modbus I/O module (optional).

    Absent: the kiosk runs without one, exactly as before. Present: `url` names the transport and
    the module (`modbus-tcp://HOST:PORT`, `modbus-rtu:///dev/serial/by-id/...`, no query); the other
    keys say how the safe is wired (see `drivers.safe_io.target` for each). The whole section is
    checked at start by building the driver's target from it (`target()`), so a mistake stops
    start-up with the key named.
    """

    url: str
    unit: int = Field(default=1, ge=1, le=247)
    door_input: int | Literal["none"] = Field(default=0)
    polarity: Literal["nc", "no"] = "nc"
    relay: int | Literal["none"] = Field(default=0)
    lock: Literal["strike", "maglock"] = "strike"
    release_seconds: float = Field(default=5.0, gt=0.0, le=600.0)
    # The door open longer than this (seconds) is recorded as left open (safe_door_left_open).
    door_open_limit_s: float = Field(default=120.0, ge=5.0, le=24 * 3600.0)
    poll_ms: int = Field(default=100, ge=20, le=1000)
    debounce_ms: int = Field(default=0, ge=0, le=2000)
    line_input: int | Literal["none"] = "none"
    line_limits: list[int] = Field(default_factory=lambda: [1000, 4000, 8000], min_length=3, max_length=3)
    baudrate: Literal[1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200] = 9600
    parity: Literal["N", "E", "O"] = "N"
    bytesize: Literal[7, 8] = 8
    stopbits: Literal[1, 2] = 1
    timeout_ms: int = Field(default=500, ge=50, le=5000)
    reconnect_max_s: float = Field(default=5.0, ge=0.5, le=60.0)

    # Keys that are this kiosk's policy, not the module's wiring: never passed to the driver's URL.
    _POLICY: ClassVar[frozenset[str]] = frozenset({"url", "release_seconds", "door_open_limit_s"})

    @field_validator("url")
    @classmethod
    def _url_names_a_module(cls, value: str) -> str:
        from drivers.safe_io.target import SafeIoSettingsError, parse_url

        if not value.strip():
            return ""  # no module (yet): `Settings` then holds no [safe_io] at all
        if "?" in value:
            # One place per setting: a unit in the URL and another in the section would disagree.
            raise _safe_io_error(
                "write the wiring as keys of [safe_io] (unit = 1, ...), not in the URL's query"
            )
        try:
            parse_url(value)
        except SafeIoSettingsError as exc:
            raise _safe_io_error(str(exc)) from None
        return value

    @model_validator(mode="after")
    def _wiring_is_consistent(self) -> SafeIoSettings:
        if self.url:
            self.target()
        return self

    def wiring(self) -> dict[str, Any]:
        """The section's wiring keys as the driver's options (`line_limits` is the driver's `line`)."""
        out: dict[str, Any] = {}
        for key in sorted(type(self).model_fields.keys() - self._POLICY):
            out["line" if key == "line_limits" else key] = getattr(self, key)
        return out

    def target(self) -> Any:
        """The driver's `SafeIoTarget` for this section; `ValueError` naming the key when it is wrong."""
        from drivers.safe_io.target import SafeIoSettingsError, parse_url

        try:
            return parse_url(self.url, **self.wiring())
        except SafeIoSettingsError as exc:
            raise _safe_io_error(str(exc)) from None


class PrinterSettings(Section):
    """[printers] The CUPS queues the kiosk prints to (`lpstat -e` lists them); empty for none."""

    labels: str = ""  # label sheets (kiosk labels)
    reports: str = ""  # A4: the daily close, the ledger, stocktake and disposal reports


class SuperviseSettings(Section):
    """[supervise] Where `kiosk supervise` (the supervisor's view) listens, unless its options say."""

    # 127.0.0.1: this PC only. The view is plain HTTP: "0.0.0.0" (the office LAN) only on a closed
    # network, or put a TLS proxy in front.
    host: str = "127.0.0.1"
    port: int = Field(default=8765, ge=1, le=65535)
    session_minutes: int = Field(default=60, ge=1, le=24 * 60)


class AlertSettings(Section):
    """[alerts] Alerts that reach people: e-mail through the office's own relay, and/or a JSON POST.

    Nothing is sent until a channel is set: `smtp_host` with `sender` and `recipients` (e-mail), or
    `webhook_url` (an in-house service). Alerts wait on the ledger (the chain is the outbox), so a relay
    that is down loses nothing: each channel is retried with back-off until it takes the alert.
    """

    smtp_host: str = ""
    smtp_port: int = Field(default=25, ge=1, le=65535)
    starttls: bool = False
    # The office CA's certificate (PEM) when the relay's STARTTLS certificate is not in the system store.
    ca_file: str = ""
    username: str = ""
    password_file: str = ""  # a file holding the relay password (never the password itself)
    sender: str = ""
    recipients: list[str] = Field(default_factory=list)
    webhook_url: str = ""
    rate_limit_per_kind_minutes: int = Field(default=10, ge=0, le=24 * 60)
    device_offline_minutes: int = Field(default=10, ge=1, le=24 * 60)
    # Office time (Asia/Tokyo) by which the daily close (日次締め) must have run; "" for no such alert.
    daily_close_due_time: str = "18:00"
    timeout_seconds: float = Field(default=20.0, gt=0.0, le=300.0)
    poll_seconds: float = Field(default=5.0, gt=0.0, le=600.0)
    # One sender per ledger: the lease lapses this long after its holder stopped renewing it.
    lease_seconds: int = Field(default=120, ge=5, le=3600)

    @field_validator("recipients")
    @classmethod
    def _addresses(cls, value: list[str]) -> list[str]:
        for address in value:
            if "@" not in address or any(c.isspace() for c in address) or not address.isascii():
                raise ValueError("each recipient is one e-mail address (ASCII, with @)")
        return value

    @field_validator("webhook_url")
    @classmethod
    def _http(cls, value: str) -> str:
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("webhook_url is an http:// or https:// URL")
        return value

    @field_validator("daily_close_due_time")
    @classmethod
    def _hh_mm(cls, value: str) -> str:
        if value:
            hh, _, mm = value.partition(":")
            if not (hh.isdigit() and mm.isdigit() and int(hh) < 24 and int(mm) < 60 and len(mm) == 2):
                raise ValueError('daily_close_due_time is "HH:MM" (office time) or ""')
        return value

    @model_validator(mode="after")
    def _mail_is_complete(self) -> AlertSettings:
        if self.smtp_host and (not self.sender or not self.recipients):
            raise ValueError("with smtp_host, set sender and recipients too")
        if self.username and not self.password_file:
            raise ValueError("with username, set password_file (the relay's password, in a file)")
        return self

    @property
    def mail(self) -> bool:
        """E-mail is configured."""
        return bool(self.smtp_host and self.recipients)

    @property
    def channels(self) -> tuple[str, ...]:
        """Where a new alert goes ("mail", "webhook"); empty: alerts are off."""
        return (("mail",) if self.mail else ()) + (("webhook",) if self.webhook_url else ())


class DeviceSettings(Section):
    """[[devices]] One input device: a driver name from the registry and its options."""

    name: str
    driver: str
    enabled: bool = True
    options: dict[str, Any] = Field(default_factory=dict)

    @field_validator("name")
    @classmethod
    def _name_is_plain(cls, value: str) -> str:
        if not value or not value.isascii():
            raise ValueError("a device name is non-empty ASCII")
        return value


# -- device options, checked per driver before the kiosk starts ------------------------------------
# The drivers take plain keyword options; these tables say which keys each registered driver takes,
# with their types and ranges, including the nested tables (serial `rules`, camera `settings`).

_SYMBOLOGIES = Literal[
    "code128", "qr", "datamatrix", "ean13", "ean8", "code39", "itf", "pdf417", "rfid_uid", "rfid_epc",
    "keyboard", "unknown",
]  # fmt: skip


class _Options(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=False)


class RulesOptions(_Options):
    """`rules = { ... }` of a scanner: what it sends around the code (`drivers.payload.PayloadRules`)."""

    prefix: str = ""
    suffix: str = ""
    aim: Literal["auto", "require", "off"] = "auto"
    # The vendors with a Code ID table in `drivers.code_id` (CODE_ID_CHOICES; a test keeps them equal).
    code_id: Literal["off", "zebra", "honeywell", "datalogic", "datalogic-eu", "denso"] = "off"
    symbologies: list[_SYMBOLOGIES] | None = None
    reject_modem_probes: bool = True
    diagnose_affixes: bool = True


class _ScannerOptions(_Options):
    rules: RulesOptions | None = None
    dedup_window: float = Field(default=1.5, ge=0.0, le=30.0)
    reconnect_interval: float = Field(default=0.25, gt=0.0, le=60.0)


class SerialOptions(_ScannerOptions):
    """driver = "serial" (`drivers.serial_scanner.SerialScanner`)."""

    url: str
    baudrate: Literal[1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400] = 9600
    bytesize: Literal[5, 6, 7, 8] = 8
    parity: Literal["N", "E", "O", "M", "S", "none", "even", "odd", "mark", "space"] = "N"
    stopbits: float = 1
    framing: Literal["auto", "cr", "lf", "crlf", "tab", "stx-etx"] = "auto"
    gap: float = Field(default=0.5, gt=0.0, le=10.0)
    max_length: int = Field(default=512, ge=16, le=65536)

    @field_validator("stopbits")
    @classmethod
    def _stopbits(cls, value: float) -> float:
        if value not in (1, 1.5, 2):
            raise ValueError("stopbits must be 1, 1.5 or 2")
        return value


class EvdevOptions(_ScannerOptions):
    """driver = "evdev" (`drivers.evdev_scanner.EvdevScanner`)."""

    path: str
    layout: Literal["us", "jis"] = "us"
    grab: bool = True
    max_key_gap_ms: int | None = Field(default=None, ge=1, le=1000)
    # An HF RFID pad typing tag UIDs (drivers.rfid.UidFormat): its input is a UID, never a management ID.
    uid_format: Literal["hex", "hex-reversed", "decimal", "decimal-reversed"] | None = None


class WedgeOptions(_Options):
    """driver = "wedge" (the terminal keyboard, `drivers.wedge_device.KeyboardWedge`)."""

    rules: RulesOptions | None = None
    dedup_window: float = Field(default=1.5, ge=0.0, le=30.0)
    max_key_gap_ms: int | None = Field(default=None, ge=1, le=1000)
    uid_format: Literal["hex", "hex-reversed", "decimal", "decimal-reversed"] | None = None


class CaptureOptions(_Options):
    """`settings = { ... }` of a camera (`drivers.camera_sources.CaptureSettings`)."""

    width: int | None = Field(default=1920, ge=160, le=7680)
    height: int | None = Field(default=1080, ge=120, le=4320)
    fps: float | None = Field(default=None, gt=0.0, le=240.0)
    focus: float | None = Field(default=None, ge=0.0, le=1023.0)
    exposure: float | None = Field(default=None, gt=0.0, le=100000.0)
    fourcc: str | None = Field(default="MJPG", min_length=4, max_length=4)
    still_width: int | None = Field(default=None, ge=160, le=7680)
    still_height: int | None = Field(default=None, ge=120, le=4320)


class CameraOptions(_Options):
    """driver = "camera" (`drivers.camera.Camera`)."""

    source: int | str
    settings: CaptureOptions | None = None
    symbologies: list[_SYMBOLOGIES] | None = None
    backend: Literal["cascade", "zxing", "pyzbar"] = "cascade"
    mode: Literal["counter", "tray"] = "counter"
    dedup_window: float = Field(default=1.5, ge=0.0, le=30.0)
    lost_after: float = Field(default=2.0, gt=0.0, le=60.0)
    check_frozen: bool = True
    reconnect_interval: float = Field(default=1.0, gt=0.0, le=60.0)
    full_every: int | None = Field(default=None, ge=1, le=100)
    stocktake: bool = False


class UhfOptions(_Options):
    """driver = "rfid-uhf" (`drivers.rfid_uhf.UhfReader`)."""

    url: str
    address: int = Field(default=0xFF, ge=0, le=0xFF)
    baudrate: Literal[9600, 19200, 38400, 57600, 115200] = 57600
    layout: Literal["basic", "rssi"] = "basic"
    response_timeout: float = Field(default=1.0, gt=0.0, le=30.0)
    frame_gap: float = Field(default=0.2, gt=0.0, le=5.0)
    dedup_window: float = Field(default=1.5, ge=0.0, le=30.0)
    reconnect_interval: float = Field(default=0.25, gt=0.0, le=60.0)
    once: bool = False
    stocktake: bool = False


DEVICE_OPTIONS: dict[str, type[_Options]] = {
    "serial": SerialOptions,
    "evdev": EvdevOptions,
    "wedge": WedgeOptions,
    "camera": CameraOptions,
    "rfid-uhf": UhfOptions,
}


def _option_problem(error: Any, model: type[BaseModel]) -> str:
    loc = [str(p) for p in error["loc"]]
    key = ".".join(loc)
    if error["type"] == "extra_forbidden":
        return f"unknown option {key!r}; allowed here: {', '.join(_allowed_keys(model, loc[:-1]))}"
    if error["type"] == "missing":
        return f"option {key!r} is required"
    # The message says what is allowed; it never repeats the value (it could be an individual number).
    return f"option {key!r}: {error['msg']}"


def check_device(device: DeviceSettings, index: int | None = None) -> None:
    """Check one `[[devices]]` entry's options against its driver's table; raise `ConfigError` naming
    the device, the key (nested ones as `rules.prefix`) and what is allowed. Drivers without a table
    (registered elsewhere) are checked by `kiosk.app_factory.build_device` against their signature."""
    model = DEVICE_OPTIONS.get(device.driver)
    where = f"devices[{index}] '{device.name}'" if index is not None else f"devices '{device.name}'"
    if model is None:
        return
    try:
        model.model_validate(device.options)
    except ValidationError as exc:
        problems = "; ".join(_option_problem(e, model) for e in exc.errors())
        raise ConfigError(f"{where} (driver {device.driver}): {problems}") from None


def check_devices(settings: Settings) -> None:
    """Every device entry (enabled or not), all problems in one message."""
    problems = []
    names: set[str] = set()
    for i, device in enumerate(settings.devices):
        if device.name in names:
            problems.append(f"devices[{i}] '{device.name}': the name is used twice")
        names.add(device.name)
        try:
            check_device(device, i)
        except ConfigError as exc:
            problems.append(str(exc))
    if problems:
        raise ConfigError("; ".join(problems))


class Settings(BaseSettings):
    """Everything the kiosk reads at start-up."""

    model_config = SettingsConfigDict(
        env_prefix="KIOSK_", env_nested_delimiter="__", extra="forbid", frozen=True
    )
    _toml_file: ClassVar[Path | None] = None

    ledger: LedgerSettings = LedgerSettings()
    paths: PathSettings = PathSettings()
    backup: BackupSettings = BackupSettings()
    kiosk: KioskSettings = KioskSettings()
    session: SessionSettings = SessionSettings()
    scan: ScanSettings = ScanSettings()
    retention: RetentionSettings = RetentionSettings()
    reports: ReportSettings = ReportSettings()
    labels: LabelSettings = LabelSettings()
    stocktake: StocktakeSettings = StocktakeSettings()
    staff: StaffSettings = StaffSettings()
    printers: PrinterSettings = PrinterSettings()
    supervise: SuperviseSettings = SuperviseSettings()
    alerts: AlertSettings = AlertSettings()
    devices: list[DeviceSettings] = Field(default_factory=list)
    safe_io: SafeIoSettings | None = None  # the safe's door contact and lock; absent: no module

    @field_validator("safe_io")
    @classmethod
    def _empty_url_is_no_module(cls, value: SafeIoSettings | None) -> SafeIoSettings | None:
        # `url = ""` keeps the section for later: the site runs without the module, exactly as before.
        return value if value is not None and value.url else None

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, _TomlSource(settings_cls, cls._toml_file))


class _TomlSource(PydanticBaseSettingsSource):
    """Reads the TOML file (if any); a syntax error is reported with the file and line."""

    def __init__(self, settings_cls: type[BaseSettings], path: Path | None) -> None:
        super().__init__(settings_cls)
        self.path = path

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        if self.path is None or not self.path.exists():
            return {}
        try:
            with self.path.open("rb") as fh:
                return tomllib.load(fh)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{self.path}: not valid TOML ({exc})") from None


def _describe(error: Any, settings: type[BaseModel]) -> str:
    loc = [str(p) for p in error["loc"]]
    key = ".".join(loc)
    if error["type"] == "extra_forbidden":
        allowed = _allowed_keys(settings, loc[:-1])
        return f"unknown setting {key!r}; allowed here: {', '.join(allowed)}"
    # Never echo a value that could be an individual number back into a message.
    return f"setting {key!r}: {error['msg']}"


def _allowed_keys(model: type[BaseModel], path: list[str]) -> list[str]:
    current: Any = model
    for part in path:
        if part.isdigit():
            continue
        fields = getattr(current, "model_fields", {})
        if part not in fields:
            return []
        annotation = fields[part].annotation
        args = getattr(annotation, "__args__", ())
        current = args[0] if args else annotation
    return sorted(getattr(current, "model_fields", {}))


# A technician's settings name hosts by IPv4 address (the safe's I/O module, the SMTP relay, the
# PostgreSQL server): 192.168.100.100 is twelve digits once the dots are ignored, and was refused as an
# individual number. A dotted quad whose four parts are each 0–255 is taken out before the guard looks
# at the rest; an individual number is written in groups of four, and 123.456.789.012 is no address.
_IPV4 = re.compile(
    r"(?<![\d.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?![\d.])"
)


def _check_no_individual_numbers(value: Any, path: str = "") -> None:
    """Every string (and key) of the settings passes the My Number guard; the message names the key path."""
    if isinstance(value, str):
        try:
            guard_text(_IPV4.sub("<ip>", value), path)
        except Refusal:
            raise ConfigError(
                f"setting {path!r} holds 12 or more digits in a row (the shape of an individual number)"
                " and is refused"
            ) from None
    elif isinstance(value, int | float) and not isinstance(value, bool):
        _check_no_individual_numbers(repr(value), path)
    elif isinstance(value, dict):
        for k, v in value.items():
            key = str(k)
            if looks_like_individual_number(key):
                where = f"{path}.<key>" if path else "<key>"
                raise ConfigError(f"a key under {where!r} has the shape of an individual number; refused")
            _check_no_individual_numbers(v, f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _check_no_individual_numbers(v, f"{path}[{i}]")


def load_settings(config_file: str | Path | None = None, *, db_url: str | None = None) -> Settings:
    """Load the settings; raise `ConfigError` naming the first wrong key(s)."""
    path = (
        Path(config_file) if config_file else Path(os.environ.get("KIOSK_CONFIG_FILE", DEFAULT_CONFIG_FILE))
    )
    if config_file and not path.exists():
        raise ConfigError(f"configuration file {path} does not exist")
    db = db_url or os.environ.get("KIOSK_DB_URL")

    loaded = type("LoadedSettings", (Settings,), {"_toml_file": path})
    try:
        settings: Settings = loaded()
    except ValidationError as exc:
        problems = "; ".join(_describe(e, Settings) for e in exc.errors())
        raise ConfigError(f"{path}: {problems}") from None
    _check_no_individual_numbers(settings.model_dump(mode="json"))
    try:
        check_devices(settings)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    settings = resolve_paths(settings, path.absolute().parent)
    if db:
        _check_no_individual_numbers(db, "ledger.url")
        settings = settings.model_copy(update={"ledger": settings.ledger.model_copy(update={"url": db})})
    return settings


# -- [paths]: one data directory -------------------------------------------------------------------

ANCHOR_LOG_NAME = "anchors.log"
CHECKPOINT_NAME = "checkpoint"


@dataclass(frozen=True, slots=True)
class DataPaths:
    """Where everything the kiosk keeps lives (absolute paths)."""

    root: Path
    ledger: Path  # the SQLite file used when [ledger].url is empty
    pepper: Path
    anchors: Path  # a folder
    logs: Path
    reports: Path
    backups: Path

    @property
    def anchor_log(self) -> Path:
        return self.anchors / ANCHOR_LOG_NAME

    @property
    def checkpoint(self) -> Path:
        return self.anchors / CHECKPOINT_NAME

    def protected(self, ledger_url: str) -> list[Path]:
        """Files no `-o` may write: the ledger (and its -wal/-shm/-journal), the pepper, the anchor log
        and checkpoint, every log file and every backup."""
        files = [self.ledger, self.pepper, self.anchor_log, self.checkpoint]
        database = sqlite_file(ledger_url)
        if database is not None:
            files.append(database)
        for db in [f for f in files if f.suffix == ".sqlite3" or f == database]:
            files += [Path(f"{db}{suffix}") for suffix in ("-wal", "-shm", "-journal")]
        for folder in (self.logs, self.backups):
            if folder.is_dir():
                files += [p for p in folder.rglob("*") if p.is_file()]
        return files


# A SQLite URL with a plain path (no query, quoting or credentials): read here without SQLAlchemy, whose
# import is a third of the kiosk's start; any other URL is parsed by SQLAlchemy as before.
_PLAIN_SQLITE = re.compile(r"(sqlite(?:\+pysqlite)?):///([^?#%@]+)")


def _backend(url: str) -> str | None:
    """The URL's backend name ("sqlite", "postgresql" …), None without a scheme."""
    scheme, sep, _ = url.partition("://")
    return scheme.split("+", 1)[0].lower() if sep else None


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite ledger URL (None for PostgreSQL, memory or a malformed URL)."""
    plain = _PLAIN_SQLITE.fullmatch(url)
    if plain is not None:
        database = plain.group(2)
        return None if database == ":memory:" else Path(database).absolute()
    if _backend(url) not in (None, "sqlite"):
        return None
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except ArgumentError:
        return None
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database).absolute()


def data_paths(settings: Settings) -> DataPaths:
    """The data paths of `settings` (made absolute by `load_settings`; otherwise from here)."""
    p = settings.paths
    root = p.data_dir.absolute()
    return DataPaths(
        root=root,
        ledger=(p.ledger or root / "ledger.sqlite3").absolute(),
        pepper=(p.pepper or root / "pepper").absolute(),
        anchors=(p.anchors or root / "anchors").absolute(),
        logs=(p.logs or root / "log").absolute(),
        reports=(p.reports or root / "reports").absolute(),
        backups=(p.backups or root / "backups").absolute(),
    )


def _rebase(value: Path | None, base: Path) -> Path | None:
    if value is None:
        return None
    value = value.expanduser()
    return value if value.is_absolute() else base / value


def resolve_paths(settings: Settings, base: Path) -> Settings:
    """Make every data path absolute against `base` (the configuration file's folder), and fill in the
    default ledger URL: the SQLite file in the data directory. A relative SQLite path in the
    configuration is taken from `base` too, so the kiosk finds the same files from any directory."""
    p = settings.paths
    paths = p.model_copy(
        update={
            "data_dir": _rebase(p.data_dir, base),
            **{
                name: _rebase(getattr(p, name), base)
                for name in ("ledger", "pepper", "anchors", "logs", "reports", "backups")
            },
            "imports": [base / folder.expanduser() for folder in p.imports],
        }
    )
    settings = settings.model_copy(update={"paths": paths})
    url = settings.ledger.url
    plain = _PLAIN_SQLITE.fullmatch(url) if url else None
    if not url:
        url = f"sqlite:///{data_paths(settings).ledger}"
    elif plain is not None:
        scheme, database = plain.groups()
        if database != ":memory:" and not Path(database).is_absolute():
            url = f"{scheme}:///{base / database}"
    elif _backend(url) not in (None, "sqlite"):
        return settings  # PostgreSQL: no path to resolve
    else:
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        try:
            parsed = make_url(url)
        except ArgumentError:
            return settings  # reported by whoever opens the ledger, with the URL
        database = parsed.database
        relative = database and database != ":memory:" and not Path(database).is_absolute()
        if parsed.get_backend_name() == "sqlite" and relative:
            assert database is not None
            url = parsed.set(database=str(base / database)).render_as_string(hide_password=False)
    return settings.model_copy(update={"ledger": settings.ledger.model_copy(update={"url": url})})
