"""Who may do what, and with whom: the one authorisation table (権限表).

Every command of the application core (`kiosk.desk`) names an `Act`; inside the write transaction the
core re-reads each person from the ledger and calls `authorize(act, actor, second, now=...)`. A screen may
call it first for a friendlier prompt, but only the core's call decides. Where the design is silent, the
stricter reading is taken.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from kiosk.domain.staff import Role, StaffMember, TwoPersonError


class Act(enum.StrEnum):
    """The acts the kiosk records (one per command of the core)."""

    OPEN_SAFE = "open_safe"  # 保管庫を開く
    CLOSE_SAFE = "close_safe"  # 保管庫を閉じる
    JOIN_SESSION = "join_session"  # a third person joins an open session
    TAKE_OUT = "take_out"  # 持出
    PUT_BACK = "put_back"  # 返却
    HAND_OVER = "hand_over"  # 交付
    OVERRIDE = "override"  # 予定外持出の承認
    MARK_MISSING = "mark_missing"  # 所在不明の記録
    RECORD_FOUND = "record_found"  # 発見の記録
    BOOK_PICK_LIST = "book_pick_list"  # 交付予定の登録
    RECEIVE = "receive"  # 受領
    BIND_RFID = "bind_rfid"
    STOCKTAKE_START = "stocktake_start"  # 点検開始
    STOCKTAKE_SCAN = "stocktake_scan"
    STOCKTAKE_FINISH = "stocktake_finish"  # 点検完了
    OFFICER_HANDOVER = "officer_handover"  # 保管責任者の引継ぎ
    RETENTION_RECORD = "retention_record"  # 通知・督促の送付記録
    APPLICANT_SET = "applicant_set"  # 申請者参照の設定・訂正
    HOLD = "hold"  # 保留 / 保留解除
    DISPOSAL_PREPARE = "disposal_prepare"
    DISPOSAL_APPROVE = "disposal_approve"
    DISPOSAL_SCAN = "disposal_scan"
    DISPOSAL_FINISH = "disposal_finish"
    STAFF_ADD = "staff_add"
    STAFF_ADD_FIRST = "staff_add_first"  # the first administrator adds the first colleague alone
    STAFF_DEACTIVATE = "staff_deactivate"
    STAFF_REACTIVATE = "staff_reactivate"
    STAFF_SET_ROLE = "staff_set_role"
    STAFF_UNLOCK = "staff_unlock"
    STAFF_RESET_PIN = "staff_reset_pin"
    STAFF_TRAINING = "staff_training"  # 研修の記録
    RESTORE = "restore"
    ACKNOWLEDGE_DOOR_ALARM = "acknowledge_door_alarm"  # 扉の警報の確認
    SAFE_MANUAL = "safe_manual"  # 入出力機器の停止中、鍵による手動手順の承認
    DAILY_CLOSE = "daily_close"  # 日次締め
    ACKNOWLEDGE_RESTORE = "acknowledge_restore"  # 復元の確認（アラートの終了）


class Second(enum.StrEnum):
    """Which second person an act needs."""

    NONE = "none"
    ANY = "any"  # a different active person
    OFFICER_PAIR = "officer_pair"  # a different person; one of the two a responsible officer
    SUPERVISOR = "supervisor"  # a supervisor other than the actor
    STAFF_WITNESS = "staff_witness"  # an officer, supervisor or administrator (never a clerk)
    ANY_FOR_CLERK = "any_for_clerk"  # a clerk needs a different active person; an officer or supervisor not


STAFF = frozenset({Role.CLERK, Role.OFFICER, Role.SUPERVISOR})
ADMIN = frozenset({Role.ADMIN})
OFFICER = frozenset({Role.OFFICER})
SUPERVISOR = frozenset({Role.SUPERVISOR})
ANYONE = frozenset(Role)
STAFF_WITNESSES = frozenset({Role.OFFICER, Role.SUPERVISOR, Role.ADMIN})
HIGH_ROLES = frozenset({Role.SUPERVISOR, Role.ADMIN})


@dataclass(frozen=True, slots=True)
class Rule:
    """One row of the table: the roles that may act, and the second person the act needs."""

    actors: frozenset[Role]
    second: Second
    in_session: bool = False  # the actor must be one of the open session's people
    ja: str = ""


RULES: dict[Act, Rule] = {
    Act.OPEN_SAFE: Rule(STAFF, Second.OFFICER_PAIR, ja="保管庫を開く：二人、うち一人は保管責任者"),
    Act.CLOSE_SAFE: Rule(STAFF, Second.OFFICER_PAIR, ja="保管庫を閉じる：二人、うち一人は保管責任者"),
    Act.JOIN_SESSION: Rule(STAFF, Second.ANY, ja="三人目の参加：参加者と開いた二人の一人"),
    Act.TAKE_OUT: Rule(STAFF, Second.NONE, in_session=True, ja="持出：開いた二人（参加者）の一人"),
    Act.PUT_BACK: Rule(STAFF, Second.NONE, in_session=True, ja="返却：開いた二人（参加者）の一人"),
    Act.HAND_OVER: Rule(STAFF, Second.ANY, in_session=True, ja="交付：立会人がその場で確認"),
    Act.OVERRIDE: Rule(STAFF, Second.SUPERVISOR, in_session=True, ja="予定外持出：責任者の承認と理由"),
    Act.MARK_MISSING: Rule(STAFF, Second.ANY, ja="所在不明の記録：二人"),
    Act.RECORD_FOUND: Rule(STAFF, Second.ANY, ja="発見の記録：二人"),
    Act.BOOK_PICK_LIST: Rule(
        STAFF,
        Second.ANY_FOR_CLERK,
        ja="交付予定の登録：保管責任者・責任者、または担当者と確認者の二人（登録者は持出者になれない）",
    ),
    Act.RECEIVE: Rule(OFFICER, Second.ANY, ja="受領：保管責任者と立会人"),
    Act.BIND_RFID: Rule(OFFICER, Second.ANY, ja="RFIDタグの紐付け：保管責任者と立会人"),
    Act.STOCKTAKE_START: Rule(STAFF, Second.OFFICER_PAIR, ja="点検開始：二人、うち一人は保管責任者"),
    Act.STOCKTAKE_SCAN: Rule(STAFF, Second.NONE, ja="点検の読取：サインインした点検者"),
    Act.STOCKTAKE_FINISH: Rule(STAFF, Second.OFFICER_PAIR, ja="点検完了：二人、うち一人は保管責任者"),
    Act.OFFICER_HANDOVER: Rule(OFFICER, Second.ANY, ja="保管責任者の引継ぎ：立会人"),
    Act.RETENTION_RECORD: Rule(STAFF, Second.NONE, ja="通知・督促の送付記録"),
    Act.APPLICANT_SET: Rule(STAFF, Second.NONE, ja="申請者参照の設定・訂正（訂正は理由を記録）"),
    Act.HOLD: Rule(STAFF, Second.NONE, ja="保留・保留解除（理由を記録）"),
    Act.DISPOSAL_PREPARE: Rule(STAFF, Second.NONE, ja="廃棄の準備：職員"),
    Act.DISPOSAL_APPROVE: Rule(
        frozenset({Role.SUPERVISOR}), Second.NONE, ja="廃棄の承認：準備者以外の責任者"
    ),
    Act.DISPOSAL_SCAN: Rule(STAFF, Second.ANY, in_session=True, ja="廃棄の取出：保管庫利用中、二人"),
    Act.DISPOSAL_FINISH: Rule(STAFF, Second.ANY, ja="廃棄の完了：二人"),
    Act.STAFF_ADD: Rule(
        ADMIN, Second.STAFF_WITNESS, ja="職員の登録：管理者と立会人（保管責任者・責任者・管理者、本人以外）"
    ),
    Act.STAFF_ADD_FIRST: Rule(
        frozenset({Role.ADMIN}), Second.NONE, ja="最初の職員の登録：立会人がまだいない"
    ),
    Act.STAFF_DEACTIVATE: Rule(
        ADMIN, Second.STAFF_WITNESS, ja="職員の無効化：管理者と立会人（保管責任者・責任者・管理者、本人以外）"
    ),
    Act.STAFF_REACTIVATE: Rule(
        ADMIN,
        Second.STAFF_WITNESS,
        ja="職員の再有効化：管理者と立会人（保管責任者・責任者・管理者、本人以外）",
    ),
    Act.STAFF_SET_ROLE: Rule(
        ADMIN, Second.STAFF_WITNESS, ja="役割の変更：管理者と立会人（保管責任者・責任者・管理者、本人以外）"
    ),
    Act.STAFF_UNLOCK: Rule(
        ADMIN, Second.STAFF_WITNESS, ja="ロック解除：管理者と立会人（保管責任者・責任者・管理者、本人以外）"
    ),
    Act.STAFF_RESET_PIN: Rule(
        ADMIN,
        Second.STAFF_WITNESS,
        ja="暗証番号の再設定：管理者と立会人（保管責任者・責任者・管理者、本人以外）",
    ),
    Act.STAFF_TRAINING: Rule(
        ADMIN, Second.STAFF_WITNESS, ja="研修の記録：管理者と立会人（保管責任者・責任者・管理者）"
    ),
    Act.RESTORE: Rule(
        frozenset({Role.OFFICER}), Second.SUPERVISOR, ja="バックアップの復元：保管責任者と責任者"
    ),
    Act.ACKNOWLEDGE_DOOR_ALARM: Rule(SUPERVISOR, Second.NONE, ja="扉の警報の確認：責任者（理由を記録）"),
    Act.SAFE_MANUAL: Rule(OFFICER, Second.SUPERVISOR, ja="鍵による手動手順：責任者の承認と理由"),
    # The CLI's `kiosk report daily` needed nobody; at the kiosk and on the CLI alike a responsible
    # officer now answers for the close (the stricter reading).
    Act.DAILY_CLOSE: Rule(OFFICER, Second.NONE, ja="日次締め：保管責任者"),
    Act.ACKNOWLEDGE_RESTORE: Rule(SUPERVISOR, Second.NONE, ja="復元の確認：責任者"),
}


class NotAllowed(TwoPersonError):
    """The table refuses the act. `reason` is a stable code (recorded as a refused attempt).

    A `TwoPersonError` (a ValueError), so every front end that shows a two-person refusal shows this too.
    `seq` is the refused-attempt event once the core has recorded it.
    """

    seq: int | None = None


def check_person(person: StaffMember, now: datetime, lockout_minutes: int) -> None:
    """An active, not locked-out member of staff (as re-read from the ledger) who holds a PIN of their own.

    A PIN an administrator reset is a one-time PIN: it lets its owner choose a new one and nothing else.
    """
    if not person.active:
        raise NotAllowed("inactive", f"{person.name} is deactivated")
    if person.is_locked(now, lockout_minutes):
        raise NotAllowed("locked", f"{person.name} is locked out")
    if person.pin_change_due:
        raise NotAllowed("pin_change_due", f"{person.name} must first set a new PIN (the PIN was reset)")


def authorize(
    act: Act,
    actor: StaffMember,
    second: StaffMember | None = None,
    *,
    now: datetime,
    lockout_minutes: int,
) -> Rule:
    """Raise `NotAllowed` unless `actor` (with `second`) may do `act`; return the rule that applied."""
    rule = RULES[act]
    check_person(actor, now, lockout_minutes)
    if actor.role not in rule.actors:
        raise NotAllowed("role", f"{actor.name} ({actor.role.value}) may not {act.value}")
    if rule.second is Second.NONE:
        return rule
    if rule.second is Second.ANY_FOR_CLERK and actor.role is not Role.CLERK:
        return rule
    if second is None:
        raise NotAllowed("need_second", f"{act.value} needs a second person")
    check_person(second, now, lockout_minutes)
    if second.id == actor.id:
        raise NotAllowed("same_person", "the two people must be different people")
    if second.employee_no and second.employee_no == actor.employee_no:
        # Two accounts of one employee are one person.
        raise NotAllowed("same_person", "the two accounts belong to the same employee")
    if rule.second is Second.OFFICER_PAIR and not (actor.is_officer or second.is_officer):
        raise NotAllowed("need_officer", "one of the two must be a responsible officer (保管責任者)")
    if rule.second is Second.STAFF_WITNESS and second.role not in STAFF_WITNESSES:
        # A clerk cannot judge an account change; the subject's own consent is no second person either
        # (checked with the subject by `authorize_staff_change`).
        raise NotAllowed(
            "need_staff_witness", "a staff change is witnessed by an officer, supervisor or admin"
        )
    if rule.second is Second.SUPERVISOR and second.role is not Role.SUPERVISOR:
        raise NotAllowed("need_supervisor", "the second person must be a supervisor (責任者)")
    if (
        rule.second in (Second.ANY, Second.ANY_FOR_CLERK)
        and second.role is Role.ADMIN
        and act not in _ADMIN_MAY_WITNESS
    ):
        # An administrator keeps accounts; the safe's work is witnessed by the staff who do it.
        raise NotAllowed("role", f"{second.name} (admin) may not witness {act.value}")
    return rule


_ADMIN_MAY_WITNESS = frozenset(
    {
        Act.STAFF_ADD,
        Act.STAFF_DEACTIVATE,
        Act.STAFF_REACTIVATE,
        Act.STAFF_SET_ROLE,
        Act.STAFF_UNLOCK,
        Act.STAFF_RESET_PIN,
        Act.STAFF_TRAINING,
    }
)


@dataclass(frozen=True, slots=True)
class StaffChange:
    """What a staff change does, as the core read it inside its transaction.

    `subject`: the member changed (None for an account being added); `new_role`: the role the change
    gives (add, role change), else None; `similar`: an active member whose name or employee number suggests
    the same person as the account being added (see `kiosk.domain.staff.suggests_same_person`);
    `first_supervisor`: the ledger has no active supervisor and a single active administrator, so the
    first supervisor may be witnessed by an officer (there is nobody else to ask yet).
    """

    act: Act
    subject: StaffMember | None = None
    new_role: Role | None = None
    similar: StaffMember | None = None
    first_supervisor: bool = False


def authorize_staff_change(change: StaffChange, actor: StaffMember, second: StaffMember | None) -> None:
    """The staff-change rules that need the subject (after `authorize` passed for the act).

    - the witness is never the subject (a person does not consent to their own promotion or PIN);
    - raising anyone to supervisor or administrator, and any change to a supervisor's or administrator's
      account but an unlock, needs a second administrator or a supervisor (the one exception: the first
      supervisor while none exists and a single administrator keeps the ledger, witnessed by an officer);
    - the first colleague an administrator adds alone is neither an administrator nor a supervisor;
    - an account that suggests the same person as an active member needs a second administrator.
    """
    subject = change.subject
    if second is not None and subject is not None:
        same_no = bool(second.employee_no) and second.employee_no == subject.employee_no
        if second.id == subject.id or same_no:
            raise NotAllowed("witness_is_subject", "the witness of a staff change may not be its subject")
    raises = change.new_role in HIGH_ROLES
    touches_high = subject is not None and subject.role in HIGH_ROLES and change.act is not Act.STAFF_UNLOCK
    if second is None:
        if change.new_role is not None and change.new_role in HIGH_ROLES:
            raise NotAllowed(
                "first_not_high", "the first colleague added alone cannot be an administrator or supervisor"
            )
        if change.similar is not None:
            raise NotAllowed(
                "similar_person",
                f"the new account suggests the same person as {change.similar.name}: "
                "a second administrator must confirm",
            )
        return
    if raises or touches_high:
        first = change.first_supervisor and change.new_role is Role.SUPERVISOR and not touches_high
        if second.role not in HIGH_ROLES and not (first and second.role is Role.OFFICER):
            raise NotAllowed(
                "need_high_second",
                "a supervisor's or administrator's account needs a second administrator or a supervisor",
            )
    if change.similar is not None and second.role is not Role.ADMIN:
        raise NotAllowed(
            "similar_person",
            f"the new account suggests the same person as {change.similar.name}: "
            "a second administrator must confirm",
        )
