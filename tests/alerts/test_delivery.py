"""Alerts end to end on a real ledger (SQLite and PostgreSQL): derived from the chain, queued on it, received
by a real SMTP server and a real HTTP server on loopback, retried while the relay is down."""

from __future__ import annotations

from collections.abc import Iterable

import pytest
from sqlalchemy import text

from drivers.text import holds_individual_number
from kiosk.desk import Desk
from kiosk.desk.alerts import Alerter, alert_history, holder_gone, make_holder
from kiosk.domain.events import EventKind
from kiosk.domain.management_id import ManagementId
from kiosk.domain.safe_session import Override, ScanMode
from kiosk.domain.staff import MAX_FAILED_ATTEMPTS, AuthError, StaffMember
from kiosk.ledger.chain import EventRecord
from kiosk.ledger.service import Ledger
from kiosk.ledger.verify import verify
from tests.alerts.conftest import Hook, Relay, alert_settings
from tests.conftest import Crew, FakeClock
from tests.ledger.helpers import ids, receive

VALUE = "".join(str((7 * i + 3) % 10) for i in range(12))


def events(ledger: Ledger, kind: EventKind) -> list[EventRecord]:
    return [e for e in ledger.events() if e.kind == kind]


def override_take_out(desk: Desk, crew: Crew) -> str:
    """The officer books a card and takes it out on the supervisor's override."""
    (card,) = ids(1)
    receive(desk.ledger, [card])
    desk.book([card], crew.officer)
    sid = desk.open_safe(crew.officer, crew.clerk, desk.settings.session.opening_checklist).id
    done = desk.scan(
        sid,
        ManagementId.parse(card),
        ScanMode.TAKE_OUT,
        crew.officer,
        override=Override(crew.supervisor, "予約外来庁"),
    )
    assert done.code == "taken_out"
    return card


def lock_out(desk: Desk, member: StaffMember, badge: str) -> None:
    for _ in range(MAX_FAILED_ATTEMPTS):
        with pytest.raises(AuthError):
            desk.sign_in(badge, "0000")
    assert desk.person(member.id).is_locked(desk.ledger.clock(), desk.ledger.lockout_minutes)  # type: ignore[union-attr]


def no_long_numbers(texts: Iterable[tuple[str, str]]) -> None:
    for subject, body in texts:
        assert not holds_individual_number(subject)
        assert not holds_individual_number(body)


def test_an_override_and_a_lockout_reach_the_supervisor_by_mail(
    ledger: Ledger, crew: Crew, relay: Relay
) -> None:
    desk = Desk(ledger, alert_settings(relay.port))
    alerter = Alerter(desk)
    assert alerter.tick().queued == 0  # the first sender starts at the head: history is not alerted
    card = override_take_out(desk, crew)
    lock_out(desk, crew.clerk2, "C002")
    report = alerter.tick()
    assert (report.leased, report.queued, report.sent, report.failed) == (True, 2, 2, 0)
    (override, lockout) = relay.inbox.texts()
    assert "交付予定外の持出" in override[0]
    assert crew.officer.name in override[1]
    assert crew.supervisor.name in override[1]
    assert "職員がロックされました" in lockout[0]
    assert crew.clerk2.name in lockout[1]
    for subject, body in (override, lockout):
        assert card not in subject + body  # no management ID, no holder: staff names only
        assert "予約外来庁" not in body
    assert relay.inbox.recipients[0] == ["kacho@office.example", "hokan@office.example"]
    no_long_numbers(relay.inbox.texts())
    # On the chain: each alert queued, then sent; the chain still verifies.
    queued = events(ledger, EventKind.ALERT_QUEUED)
    sent = events(ledger, EventKind.ALERT_SENT)
    assert [q.data["alert"] for q in queued] == ["override", "lockout"]
    assert sorted(e.data["queued"] for e in sent) == [q.seq for q in queued]
    assert alerter.tick() == type(report)(True, 0, 0, 0, 0)  # nothing twice
    assert len(relay.inbox.mails) == 2
    assert verify(ledger).ok
    history = alert_history(desk)
    assert [a.alert for a in history] == ["lockout", "override"]
    assert all(a.state == "sent" for a in history)


def test_a_webhook_receives_the_alert_as_json_and_a_refusal_is_retried(
    ledger: Ledger, crew: Crew, webhook: Hook, clock: FakeClock
) -> None:
    desk = Desk(ledger, alert_settings(None, webhook_url=webhook.url))
    alerter = Alerter(desk)
    alerter.tick()
    webhook.status[0] = 503
    lock_out(desk, crew.clerk, "C001")
    report = alerter.tick()
    assert (report.queued, report.sent, report.failed) == (1, 0, 1)
    (failed,) = events(ledger, EventKind.ALERT_FAILED)
    assert failed.data["channel"] == "webhook"
    assert "503" in failed.data["error"]
    webhook.status[0] = 200
    assert alerter.tick().sent == 0  # its retry time has not come
    clock.advance(seconds=30)
    assert alerter.tick().sent == 1
    post = webhook.posts[-1]
    assert post["alert"] == "lockout"
    assert post["title"] == "職員がロックされました"
    assert crew.clerk.name in post["body"]
    assert post["queued_seq"] == failed.data["queued"]
    no_long_numbers([(post["subject"], post["body"])])


def test_relay_down_the_alert_waits_on_the_chain_and_is_sent_when_it_is_back(
    ledger: Ledger, crew: Crew, relay_down: Relay, clock: FakeClock
) -> None:
    desk = Desk(ledger, alert_settings(relay_down.port))
    alerter = Alerter(desk)
    alerter.tick()
    lock_out(desk, crew.clerk, "C001")
    first = alerter.tick()
    assert (first.queued, first.sent, first.failed) == (1, 0, 1)
    clock.advance(seconds=30)
    assert alerter.tick().failed == 1  # still down: tried again, backing off
    attempts = [e.data["attempt"] for e in events(ledger, EventKind.ALERT_FAILED)]
    assert attempts == [1, 2]
    assert (
        events(ledger, EventKind.ALERT_FAILED)[-1].data["retry_at"]
        > events(ledger, EventKind.ALERT_FAILED)[0].data["retry_at"]
    )
    relay_down.start()
    clock.advance(seconds=59)
    assert alerter.tick().sent == 0  # the back-off (60 s after the second failure) holds
    clock.advance(seconds=1)
    assert alerter.tick().sent == 1
    (mail,) = relay_down.inbox.texts()
    assert crew.clerk.name in mail[1]
    assert alerter.tick().sent == 0
    assert [a.state for a in alert_history(desk)] == ["sent"]


def test_the_rate_limit_holds_back_a_kind_then_says_how_many_were_held(
    ledger: Ledger, crew: Crew, relay: Relay, clock: FakeClock
) -> None:
    desk = Desk(ledger, alert_settings(relay.port, rate_limit_per_kind_minutes=10))
    alerter = Alerter(desk)
    alerter.tick()
    lock_out(desk, crew.clerk, "C001")
    assert alerter.tick().queued == 1
    clock.advance(minutes=2)
    lock_out(desk, crew.clerk2, "C002")
    report = alerter.tick()
    assert (report.queued, report.held_back) == (0, 1)
    clock.advance(minutes=9)
    lock_out(desk, crew.deputy, "O002")
    assert alerter.tick().queued == 1
    bodies = [body for _, body in relay.inbox.texts()]
    assert len(bodies) == 2
    assert "1件省略" in bodies[1]
    assert crew.deputy.name in bodies[1]


def test_a_device_offline_too_long_and_a_safe_open_too_long_alert_once(
    ledger: Ledger, crew: Crew, relay: Relay, clock: FakeClock
) -> None:
    desk = Desk(ledger, alert_settings(relay.port, device_offline_minutes=10))
    alerter = Alerter(desk)
    alerter.tick()
    desk.record_device("scanner", online=False, reason="unplugged")
    desk.record_device("webcam", online=False, reason="unplugged")
    desk.open_safe(crew.officer, crew.clerk, desk.settings.session.opening_checklist)
    clock.advance(minutes=5)
    desk.record_device("webcam", online=True)
    assert alerter.tick().queued == 0
    clock.advance(minutes=5)
    assert alerter.tick().queued == 1  # the scanner, ten minutes offline; the webcam came back
    clock.advance(minutes=20)  # the session: 30 minutes open (the default limit)
    assert alerter.tick().queued == 1
    clock.advance(minutes=30)
    assert alerter.tick().queued == 0
    subjects = [subject for subject, _ in relay.inbox.texts()]
    assert ["機器の切断が続いています" in subjects[0], "保管庫が長時間開いたままです" in subjects[1]] == [
        True,
        True,
    ]
    assert "scanner" in relay.inbox.texts()[0][1]
    assert "webcam" not in relay.inbox.texts()[0][1]


def test_the_daily_close_not_run_by_its_time_alerts(
    ledger: Ledger, crew: Crew, relay: Relay, clock: FakeClock
) -> None:
    desk = Desk(ledger, alert_settings(relay.port, daily_close_due_time="18:00"))
    alerter = Alerter(desk)
    alerter.tick()
    session = desk.open_safe(crew.officer, crew.clerk, desk.settings.session.opening_checklist)
    desk.close_safe(session.id, crew.officer, crew.clerk, desk.settings.session.closing_checklist)
    clock.advance(hours=8, minutes=30)  # 18:00 in the office
    alerter.tick()
    assert [a.alert for a in alert_history(desk)] == ["daily_close_missing"]
    clock.advance(hours=1)
    alerter.tick()
    assert len(relay.inbox.mails) == 1


def test_a_twelve_digit_value_never_reaches_the_mail(ledger: Ledger, crew: Crew, relay: Relay) -> None:
    """A name that came into the ledger around the kiosk (a hand-edited or pre-guard row) still cannot
    carry an individual number out: the alert goes out with its words withheld."""
    desk = Desk(ledger, alert_settings(relay.port))
    alerter = Alerter(desk)
    alerter.tick()
    spaced = f"{VALUE[:4]} {VALUE[4:8]} {VALUE[8:]}"
    with ledger.engine.begin() as conn:
        conn.execute(
            text("UPDATE staff SET name = :n WHERE id = :i"), {"n": f"課長 {spaced}", "i": crew.supervisor.id}
        )
    override_take_out(desk, crew)
    assert alerter.tick().sent == 1
    (raw,) = relay.inbox.raw
    assert VALUE.encode() not in raw.replace(b" ", b"")
    assert VALUE[:4].encode() + b" " not in raw
    no_long_numbers(relay.inbox.texts())
    assert "交付予定外の持出" in relay.inbox.texts()[0][0]
    assert "省略" in relay.inbox.texts()[0][1]


def test_one_sender_per_ledger_a_second_waits_for_the_lease(ledger: Ledger, crew: Crew, relay: Relay) -> None:
    settings = alert_settings(relay.port)
    first = Alerter(Desk(ledger, settings))
    second = Alerter(Desk(ledger, settings), holder=make_holder())
    assert first.tick().leased
    lock_out(Desk(ledger, settings), crew.clerk, "C001")
    assert not second.tick().leased  # the first holds the lease (alive, on this host)
    assert first.tick().sent == 1
    first.release()
    assert second.tick().leased
    assert len(relay.inbox.mails) == 1


def test_a_holder_on_this_host_that_no_longer_runs_is_gone() -> None:
    assert not holder_gone(make_holder())  # this process
    assert not holder_gone("another-host/pid1/run-abc")


def test_a_handed_over_card_seen_at_the_safe_on_a_later_day_alerts(
    ledger: Ledger, crew: Crew, relay: Relay, clock: FakeClock
) -> None:
    desk = Desk(ledger, alert_settings(relay.port, rate_limit_per_kind_minutes=0))
    alerter = Alerter(desk)
    alerter.tick()
    (card,) = ids(1)
    receive(ledger, [card])
    desk.book([card], crew.supervisor)
    opening, closing = desk.settings.session.opening_checklist, desk.settings.session.closing_checklist
    sid = desk.open_safe(crew.officer, crew.clerk, opening).id
    mid = ManagementId.parse(card)
    assert desk.scan(sid, mid, ScanMode.TAKE_OUT, crew.clerk).ok
    assert desk.scan(sid, mid, ScanMode.HAND_OVER, crew.clerk, witness=crew.deputy).code == "issued"
    assert desk.scan(sid, mid, ScanMode.PUT_BACK, crew.clerk).code == "handed_over_seen"  # the same day
    desk.close_safe(sid, crew.officer, crew.clerk, closing)
    assert alerter.tick().queued == 0
    clock.advance(days=1)
    sid = desk.open_safe(crew.officer, crew.clerk, opening).id
    assert desk.scan(sid, mid, ScanMode.PUT_BACK, crew.clerk).code == "handed_over_seen"
    desk.close_safe(sid, crew.officer, crew.clerk, closing)
    stocktake = desk.stocktake_start(crew.officer, crew.deputy)
    assert desk.stocktake_scan(stocktake.id, card, crew.officer).code == "unexpected"
    assert alerter.tick().queued == 2
    texts = relay.inbox.texts()
    assert [subject.startswith("【保管庫通知】交付済みのカード") for subject, _ in texts] == [True, True]
    assert f"保管庫利用 {sid}" in texts[0][1]
    assert f"点検 {stocktake.id}" in texts[1][1]
    assert all(card not in subject + body for subject, body in texts)


def test_a_failed_verify_and_a_restore_on_the_chain_alert(ledger: Ledger, crew: Crew, relay: Relay) -> None:
    """What the daily close and `kiosk restore` record (the same payloads they append) alerts."""
    from kiosk.domain.events import LedgerRestored, LedgerVerified

    desk = Desk(ledger, alert_settings(relay.port))
    alerter = Alerter(desk)
    alerter.tick()
    with ledger.unit() as u:
        u.append(EventKind.LEDGER_VERIFIED, device=ledger.kiosk, payload=LedgerVerified(True, 40, 1))
    assert alerter.tick().queued == 0  # a close that verified is no alert
    with ledger.unit() as u:
        u.append(EventKind.LEDGER_VERIFIED, device=ledger.kiosk, payload=LedgerVerified(False, 41, 1))
        u.append(
            EventKind.LEDGER_RESTORED,
            device=ledger.kiosk,
            payload=LedgerRestored(
                30,
                "a" * 64,
                "/var/backups/ledger.sqlite3",
                35,
                "b" * 64,
                dropped_first_seq=31,
                dropped_last_seq=40,
            ),
        )
    assert alerter.tick().sent == 2
    (verify_mail, restore_mail) = relay.inbox.texts()
    assert "管理簿の検証に失敗しました" in verify_mail[0]
    assert "管理簿がバックアップから復元されました" in restore_mail[0]
    assert "記録が失われた復元: はい" in restore_mail[1]
    assert "失われた記録: 31 番から 40 番" in restore_mail[1]
