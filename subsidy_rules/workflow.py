"""The application procedure of 宜府办发〔2023〕20号 五、申报程序 as an explicit state machine (pure logic).

    submitted ──township review──▶ township_reviewed ──ADL assessment──▶ assessed
      ──civil affairs (public elderly-institution placement) or disability federation (all others)──▶ sector_reviewed
      ──rural revitalisation identity check──▶ identity_checked ──finance approval──▶ approved
      ──7-day public notice──▶ in_notice ──notice ends──▶ active ──exit──▶ exited
    any step before active ──reject (reason shown to the applicant)──▶ rejected

Institution subsidy applications (九府办字[2022]113号 附件3: construction and operating subsidies) use the same
machinery with a shorter procedure, from 附件1 责任清单: the lead department reviews (民政局 for “一老”, 第2项; 卫健委
for “一小”, 第3项), then finance, which “做好奖补类、补贴类资金的审核、支出” (第4项), approves:

    submitted ──sector review (民政 or 卫健)──▶ sector_reviewed ──finance approval──▶ approved

Who may act: each step belongs to one role; a user acts only on cases of their jurisdiction (the case's division
code starts with theirs), and never on two consecutive steps of the same case (segregation of duties).
Payments run from the month after approval (“申请人照护和托养补贴发放日期从审批之日的次月算起”) and stop from
the month after an exit. This module decides; storing cases, users and the audit log is the database layer's job.

Dates: ``on`` is the day a step is taken, by the server's clock (care_services.clock) — the approval date, the first
day of the notice. A date the procedure needs of its own (the day of the ADL assessment, the day of death or of
leaving 低保 for an exit) is a fact of the step (``FACT_DATES``), checked by ``fact_date_problem``.

Before approval, the reviewing step's owner may correct the applicant's facts (``correct_facts``): the case keeps
its state, the correction is audited with the old and the new values and the rules re-evaluate. It is not a step of
the procedure, so it does not count for segregation of duties. Once approved, the facts the approval was made on no
longer change: a change of circumstances is an exit (三（五）退出管理) and, if need be, a new application.

退回补正 (``send_back``): the reviewer of the step a case waits for, up to and including finance's approval, may send
it back to an earlier step that owns a fact (``FACT_OWNERS``: the township the application's facts, the health
department the ADL assessment, 民政 or 残联 the funds to integrate), with a reason the applicant is told. The case
returns to the state before that step; its owner corrects and passes it again, and every later step is taken again.
A send-back is a step of the procedure (it counts for segregation of duties).

Passing a step on a case the rules say is not eligible, or cannot yet decide for want of a fact no later step
records, needs an explicit confirmation with a reason (``confirmation_needed``): the reviewer sees the verdict and
owns the decision, and the audit keeps both. Finance never approves a case the rules do not find eligible.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

NOTICE_DAYS = 7  # “进行为期7天的公示”

ROLES = {
    "township_reviewer": "乡镇（街道）残联或民政所初审",
    "health_assessor": "县级卫健部门失能评估",
    "civil_affairs_reviewer": "县级民政部门审核",
    "disability_federation_reviewer": "县级残联审核",
    "rural_revitalisation_officer": "县级乡村振兴部门核定易返贫致贫身份",
    "health_commission_reviewer": "县级卫健部门审核（托育机构补助）",
    "finance_approver": "县级财政部门审批",
    "administrator": "系统管理员",
}
STATES = {
    "submitted": "已申请，待乡镇初审",
    "township_reviewed": "初审通过，待失能评估",
    "assessed": "已评估，待民政或残联审核",
    "sector_reviewed": "审核通过，待乡村振兴部门核定",
    "identity_checked": "已核定身份，待财政审批",
    "approved": "已审批，待公示",
    "in_notice": "公示中",
    "active": "享受中",
    "exited": "已退出",
    "rejected": "未通过",
}
EXIT_REASONS = {"death": "死亡", "left_dibao": "退出低保", "moved_away": "迁出户籍地", "no_longer_eligible": "不再符合条件",
                "entered_tekun": "纳入特困供养", "withdrawn": "本人或监护人申请退出"}
ADL_ACTIVITIES = ("adl_eating", "adl_dressing", "adl_transfer", "adl_toileting", "adl_walking_indoors", "adl_bathing")

# action -> (from state, to state, clause)
ACTIONS = {
    "township_review": ("submitted", "township_reviewed", "（二）乡镇（街道）初审"),
    "assess": ("township_reviewed", "assessed", "（三）失能评估"),
    "sector_review": ("assessed", "sector_reviewed", "（四）民政、残联审核"),
    "identity_check": ("sector_reviewed", "identity_checked", "（五）乡村振兴部门核定"),
    "approve": ("identity_checked", "approved", "（五）财政部门审批"),
    "publish_notice": ("approved", "in_notice", "（五）公示"),
    "activate": ("in_notice", "active", "（五）公示期满"),
    "exit": ("active", "exited", "三（五）退出管理"),
}
ACTIVE_STEPS = ("submitted", "township_reviewed", "assessed", "sector_reviewed", "identity_checked", "approved",
                "in_notice")
CORRECTION = "correct_facts"
CORRECTABLE_STATES = ("submitted", "township_reviewed", "assessed", "sector_reviewed", "identity_checked")
SEND_BACK = "send_back"
# The steps that own the facts a reviewer may find wrong (退回补正 goes back to one of them): step -> (zh, en)
FACT_OWNERS = {
    "township_review": ("申请人信息（乡镇初审）", "the application's facts (township review)"),
    "assess": ("失能评估", "the ADL assessment"),
    "sector_review": ("统筹整合资金（民政或残联审核）", "the funds to integrate (sector review)"),
}
INSTITUTION_FACT_OWNERS = {"sector_review": ("机构申报事实（主管部门审核）", "the institution's facts (sector review)")}
# The facts a step records: before it, their absence leaves the rules undecided without anyone being at fault
FACTS_OF_STEP = {"assess": ADL_ACTIVITIES, "approve": ("approved_on",)}
# The steps that pass a case on the strength of the facts (finance's approval has a stricter rule of its own)
PASSING_STEPS = ("township_review", "assess", "sector_review", "identity_check")
# Offices as a blocked user is told who acts: role -> (zh, en)
ROLE_OFFICES = {
    "township_reviewer": ("乡镇（街道）残联或民政所", "the township's disability federation or civil-affairs office"),
    "health_assessor": ("县级卫健部门", "the county health department"),
    "civil_affairs_reviewer": ("县级民政部门", "the county civil-affairs bureau"),
    "disability_federation_reviewer": ("县级残联", "the county disability federation"),
    "rural_revitalisation_officer": ("县级乡村振兴部门", "the county rural revitalisation bureau"),
    "health_commission_reviewer": ("县级卫健部门", "the county health commission"),
    "finance_approver": ("县级财政部门", "the county finance bureau"),
    "administrator": ("系统管理员", "the system administrator"),
}
# The dates a step records as facts of its own (the step's own date is the server's): action -> (field, zh, en)
FACT_DATES = {"assess": ("assessed_on", "评估日期", "the day of the assessment"),
              "exit": ("exit_date", "退出事由发生日期", "the day of the death, the move or the loss of eligibility")}

INSTITUTION_ACTIONS = {
    "sector_review": ("submitted", "sector_reviewed", "九府办字[2022]113号 附件1 第2、3项（民政局牵头“一老”，卫健委牵头“一小”）"),
    "approve": ("sector_reviewed", "approved", "九府办字[2022]113号 附件1 第4项（财政局“做好奖补类、补贴类资金的审核、支出”）"),
}
INSTITUTION_STATES = {"submitted": "已申请，待主管部门审核", "sector_reviewed": "审核通过，待财政审批",
                      "approved": "已审批", "rejected": "未通过"}


@dataclass(frozen=True)
class Procedure:
    name: str
    actions: dict[str, tuple[str, str, str]]
    states: dict[str, str]  # state -> label
    pending: tuple[str, ...]  # states waiting for a step; a case can be rejected in any of them
    fact_owners: dict[str, tuple[str, str]] = field(default_factory=dict)  # steps a case can be sent back to

    @property
    def awaited(self) -> dict[str, str]:
        return {source: action for action, (source, _, _) in self.actions.items()}


PROCEDURES = {
    "disability_care": Procedure("disability_care", ACTIONS, STATES, ACTIVE_STEPS, FACT_OWNERS),
    "institution_subsidy": Procedure("institution_subsidy", INSTITUTION_ACTIONS, INSTITUTION_STATES,
                                     ("submitted", "sector_reviewed"), INSTITUTION_FACT_OWNERS),
}


class WorkflowError(Exception):
    """A refused action: ``code`` is stable for programs (HTTP mapping), the texts are for people."""

    def __init__(self, code: str, zh: str, en: str, field: str | None = None):
        super().__init__(f"{zh} / {en}")
        self.code, self.zh, self.en = code, zh, en
        self.field = field  # the input at fault, when one is (a date given as a fact of the step)


@dataclass(frozen=True)
class Actor:
    user: str
    role: str
    jurisdiction: str  # a division code: the user sees cases whose division starts with it

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ValueError(f"unknown role {self.role!r}")


@dataclass(frozen=True)
class Step:
    action: str
    actor: str
    role: str
    on: dt.date
    from_state: str
    to_state: str
    reason: str | None = None
    details: tuple[tuple[str, object], ...] = ()


@dataclass(frozen=True)
class Case:
    """What the procedure needs to know about an application; immutable: every action returns a new Case."""

    division_code: str  # the applicant's hukou township or county
    requested_service: str  # home_care / day_care / institutional_care
    institution_type: str | None = None  # public_elderly for a public elderly-care institution
    state: str = "submitted"
    history: tuple[Step, ...] = field(default_factory=tuple)
    approved_on: dt.date | None = None
    notice_from: dt.date | None = None
    exited_on: dt.date | None = None
    procedure: str = "disability_care"
    sector: str | None = None  # elderly / childcare, for institution subsidies
    submitted_on: dt.date | None = None

    @property
    def steps(self) -> Procedure:
        return PROCEDURES[self.procedure]

    @property
    def last_actor(self) -> str | None:
        """Who took the last step of the procedure (a correction of facts is not one)."""
        return next((step.actor for step in reversed(self.history) if step.action != CORRECTION), None)

    @property
    def last_date(self) -> dt.date | None:
        """The day of the latest step (or of the application): no fact of a later step may be dated before it."""
        return self.history[-1].on if self.history else self.submitted_on


def reviewer_role(case: Case) -> str:
    """（四）: civil affairs reviews placements in public elderly-care institutions, the federation all others."""
    if case.requested_service == "institutional_care" and case.institution_type == "public_elderly":
        return "civil_affairs_reviewer"
    return "disability_federation_reviewer"


def role_for(case: Case, action: str) -> str:
    if case.procedure == "institution_subsidy":
        if action == "approve":
            return "finance_approver"
        return "civil_affairs_reviewer" if case.sector == "elderly" else "health_commission_reviewer"
    if action == "township_review":
        return "township_reviewer"
    if action == "assess":
        return "health_assessor"
    if action == "identity_check":
        return "rural_revitalisation_officer"
    if action == "approve":
        return "finance_approver"
    # sector review, the notice, activation and exit are the reviewing department's (民政或残联)
    return reviewer_role(case)


def _check_actor(case: Case, actor: Actor, role: str, *, segregated: bool = True) -> None:
    if not case.division_code.startswith(actor.jurisdiction):
        raise WorkflowError("jurisdiction", f"该申请不在您的辖区（{actor.jurisdiction}）内",
                            f"this case is outside your jurisdiction ({actor.jurisdiction})")
    if actor.role != role:
        raise WorkflowError("role", f"此步骤须由“{ROLES[role]}”办理，您的角色是“{ROLES[actor.role]}”",
                            f"this step is for the {role} role; yours is {actor.role}")
    if segregated and case.last_actor == actor.user:
        raise WorkflowError("segregation", "同一人员不能连续办理同一申请的两个环节",
                            "the same user cannot take one case through two consecutive steps")


def fact_date_problem(case: Case, value: object, today: dt.date) -> tuple[str, str] | None:
    """Why a date given as a fact of the next step cannot be right, (zh, en), or None: it is not in the future, not
    before the application and not before the previous step's day."""
    if not isinstance(value, dt.date):
        return "请填写日期（年-月-日）", "give a date (YYYY-MM-DD)"
    if value > today:
        return f"日期不能晚于今天（{today.isoformat()}）", f"the date cannot be after today ({today.isoformat()})"
    if case.submitted_on and value < case.submitted_on:
        return (f"日期不能早于申请日期（{case.submitted_on.isoformat()}）",
                f"the date cannot be before the application ({case.submitted_on.isoformat()})")
    if case.last_date and value < case.last_date:
        return (f"日期不能早于上一环节的办理日期（{case.last_date.isoformat()}）",
                f"the date cannot be before the previous step ({case.last_date.isoformat()})")
    return None


def correction_role(case: Case) -> str:
    """A correction of facts belongs to the owner of the step the case waits for."""
    return role_for(case, case.steps.awaited[case.state])


def correct(case: Case, actor: Actor, on: dt.date, reason: str | None) -> Case:
    """Allow a correction of the applicant's facts (the caller records which, old and new): the state stays."""
    if case.procedure != "disability_care" or case.state not in CORRECTABLE_STATES:
        raise WorkflowError("state", f"当前状态为“{case.steps.states[case.state]}”，不能更正申请人信息（审批后如情况变化，请办理退出）",
                            f"a {case.state} case cannot have its facts corrected "
                            "(after approval, an exit records a change)")
    _check_actor(case, actor, correction_role(case), segregated=False)  # a correction is not a step
    if not reason or not reason.strip():
        raise WorkflowError("reason", "更正须写明依据", "a correction states its basis")
    step = Step(CORRECTION, actor.user, actor.role, on, case.state, case.state, reason.strip())
    return Case(**{**case.__dict__, "history": (*case.history, step)})


def advance(case: Case, action: str, actor: Actor, on: dt.date, **details) -> Case:
    """Carry out ``action`` on day ``on`` (the server's date) or raise WorkflowError saying why not."""
    if action == "reject":
        return reject(case, actor, on, details.get("reason", ""))
    if action == CORRECTION:
        return correct(case, actor, on, details.get("reason"))
    if action == SEND_BACK:
        return send_back(case, actor, on, details.get("send_back_to"), details.get("reason"))
    procedure = case.steps
    if action not in procedure.actions:
        raise WorkflowError("unknown_action", f"未知操作：{action}", f"unknown action {action!r}")
    source, target, _ = procedure.actions[action]
    if case.state != source:
        raise WorkflowError("state", f"当前状态为“{procedure.states[case.state]}”，不能办理此操作",
                            f"a case in state {case.state!r} cannot take the action {action!r}")
    _check_actor(case, actor, role_for(case, action))
    changes: dict = {}
    if action == "assess":
        failed = details.get("failed_activities")
        doctor = details.get("doctor")
        if not doctor or failed is None or not set(failed) <= set(ADL_ACTIVITIES):
            raise WorkflowError("assessment", "评估须记录评估医生和未通过的生活自理能力指标（6项之中）",
                                "an assessment records the doctor and which of the 6 activities are failed")
        details = {"doctor": doctor, "failed_activities": tuple(sorted(failed)),
                   "assessed_on": details.get("assessed_on")}
    elif action == "approve":
        changes["approved_on"] = on
    elif action == "publish_notice":
        changes["notice_from"] = on
    elif action == "activate":
        ends = notice_ends(case)
        if on < ends:
            raise WorkflowError("notice", f"公示期{NOTICE_DAYS}天（自{case.notice_from.isoformat()}起），"
                                          f"至{ends.isoformat()}期满后方可确认享受",
                                f"the {NOTICE_DAYS}-day notice from {case.notice_from.isoformat()} ends on "
                                f"{ends.isoformat()}; the case can be activated from then")
    elif action == "exit":
        if details.get("exit_reason") not in EXIT_REASONS:
            raise WorkflowError("exit_reason", f"退出原因应为：{'、'.join(EXIT_REASONS.values())}",
                                f"the exit reason must be one of {', '.join(EXIT_REASONS)}")
        # payments stop after the month of the event itself (the death, the move), not of the day it was recorded
        changes["exited_on"] = details.get("exit_date") or on
    if case.procedure == "disability_care" and action in FACT_DATES:
        name, zh, en = FACT_DATES[action]
        reason = fact_date_problem(case, details.get(name), on)
        if reason:
            raise WorkflowError("fact_date", f"{zh}：{reason[0]}", f"{en}: {reason[1]}", field=name)
    step = Step(action, actor.user, actor.role, on, case.state, target, details.get("reason"),
                tuple(sorted(details.items())))
    return Case(**{**case.__dict__, **changes, "state": target, "history": (*case.history, step)})


def reject(case: Case, actor: Actor, on: dt.date, reason: str) -> Case:
    """Any step before payments start can reject; the reason is what the applicant is told."""
    procedure = case.steps
    if case.state not in procedure.pending:
        raise WorkflowError("state", f"当前状态为“{procedure.states[case.state]}”，不能驳回",
                            f"a {case.state} case cannot be rejected")
    if not reason or not reason.strip():
        raise WorkflowError("reason", "驳回须写明原因（申请人可见）", "a rejection needs a reason the applicant will see")
    _check_actor(case, actor, role_for(case, procedure.awaited[case.state]))
    step = Step("reject", actor.user, actor.role, on, case.state, "rejected", reason.strip())
    return Case(**{**case.__dict__, "state": "rejected", "history": (*case.history, step)})


def send_back_targets(case: Case) -> tuple[str, ...]:
    """The earlier steps owning a fact that the case, in its state, can be sent back to (none after approval)."""
    order = list(case.steps.actions)
    awaited = case.steps.awaited.get(case.state)
    if awaited is None or case.state not in case.steps.pending or order.index(awaited) > order.index("approve"):
        return ()
    return tuple(step for step in case.steps.fact_owners if order.index(step) < order.index(awaited))


def send_back(case: Case, actor: Actor, on: dt.date, to_step: str | None, reason: str | None) -> Case:
    """退回补正: the reviewer of the awaited step returns the case to the state before ``to_step``, whose owner
    corrects the facts and passes it again; the reason is what the applicant is told."""
    procedure = case.steps
    targets = send_back_targets(case)
    if not targets:
        raise WorkflowError("state", f"当前状态为“{procedure.states[case.state]}”，不能退回补正",
                            f"a {case.state} case cannot be sent back")
    _check_actor(case, actor, role_for(case, procedure.awaited[case.state]))
    if to_step not in targets:
        names = "、".join(procedure.fact_owners[step][0] for step in targets)
        raise WorkflowError("send_back_to", f"只能退回到此前负责该信息的环节：{names}",
                            f"send back to one of the earlier steps: {', '.join(targets)}", field="send_back_to")
    if not reason or not reason.strip():
        raise WorkflowError("reason", "退回补正须写明原因（申请人可见）", "a send-back states its reason (the applicant sees it)",
                            field="reason")
    target = procedure.actions[to_step][0]
    step = Step(SEND_BACK, actor.user, actor.role, on, case.state, target, reason.strip(), (("send_back_to", to_step),))
    return Case(**{**case.__dict__, "state": target, "history": (*case.history, step)})


def facts_to_come(case: Case, action: str) -> set[str]:
    """The facts steps after ``action`` record (the ADL answers before the assessment): not knowing them yet is not
    a reason to stop."""
    order = list(case.steps.actions)
    later = order[order.index(action) + 1:] if action in order else order
    return {name for step in later for name in FACTS_OF_STEP.get(step, ())}


def confirmation_needed(case: Case, action: str, eligible: bool | None, missing: list[str] | tuple = ()) -> str | None:
    """Whether passing ``action`` needs the reviewer's explicit confirmation, given the rules' verdict after the
    step: ``not_eligible`` (✘), ``undecided`` (a fact is missing that no later step records), or None."""
    if action not in PASSING_STEPS or action not in case.steps.actions or eligible is True:
        return None
    if eligible is False:
        return "not_eligible"
    return "undecided" if set(missing) - facts_to_come(case, action) else None


def check_confirmation(needed: str | None, confirmed: object, reason: object) -> str | None:
    """The confirmation's reason (stripped) when one is needed, or WorkflowError naming the missing input."""
    if needed is None:
        return None
    verdict = "不符合条件" if needed == "not_eligible" else "条件尚不能确定"
    if confirmed is not True:
        raise WorkflowError("confirmation", f"按政策规则{verdict}：仍要通过，须勾选确认并写明理由",
                            "the rules say the case is " + ("not eligible" if needed == "not_eligible" else "undecided")
                            + ": passing it needs the confirmation box ticked and a reason", field="confirm_override")
    if not isinstance(reason, str) or not reason.strip():
        raise WorkflowError("confirmation", f"按政策规则{verdict}：仍要通过，须写明理由",
                            "passing a case the rules do not find eligible needs a reason", field="override_reason")
    return reason.strip()


@dataclass(frozen=True)
class Block:
    """Why a user who sees a due step cannot take it, and who can: for the page beside the step."""

    action: str
    code: str  # role / segregation / notice / inactive
    zh: str
    en: str


def blocks(case: Case, actor: Actor, on: dt.date, action_zh: dict[str, str], action_en: dict[str, str]) -> list[Block]:
    """The due steps of ``case`` (its awaited step; an exit when active) that ``actor`` cannot take now, each with
    the reason and who can act ("须由本部门另一名工作人员办理：残联审核"). ``action_*`` name the steps for people."""
    due = [case.steps.awaited[case.state]] if case.state in case.steps.awaited else []
    found = []
    for action in due:
        role = role_for(case, action)
        zh_step, en_step = action_zh.get(action, action), action_en.get(action, action)
        office_zh, office_en = ROLE_OFFICES[role]
        if not case.division_code.startswith(actor.jurisdiction):
            continue  # the user does not see the case at all
        if actor.role != role:
            found.append(Block(action, "role", f"须由{office_zh}办理：{zh_step}", f"{en_step}: for {office_en}"))
        elif case.last_actor == actor.user:
            found.append(Block(action, "segregation", f"须由本部门另一名工作人员办理：{zh_step}（同一人员不能连续办理同一申请的两个环节）",
                               f"{en_step}: for another member of your department (one person does not take two "
                               "consecutive steps of a case)"))
        elif action == "activate" and case.notice_from and on < notice_ends(case):
            ends = notice_ends(case).isoformat()
            found.append(Block(action, "notice", f"公示期至{ends}期满，期满后方可办理：{zh_step}",
                               f"{en_step}: from {ends}, when the {NOTICE_DAYS}-day notice is over"))
    return found


def notice_ends(case: Case) -> dt.date:
    """The day the 7-day notice is over, counted from its recorded publication: activation from this day."""
    return case.notice_from + dt.timedelta(days=NOTICE_DAYS)


def month_index(date: dt.date) -> int:
    return date.year * 12 + date.month - 1


def paid_months(case: Case, *, projected: bool = False) -> tuple[int, int | None] | None:
    """(first, last) month index paid once the case is active — from the month after approval to the month of the
    exit (None: still paid) — or None while it is not (yet) a recipient. ``projected``: also an approved case still
    in its notice (a budget counts it; a payment roll does not)."""
    states = ("approved", "in_notice", "active", "exited") if projected else ("active", "exited")
    if case.approved_on is None or case.state not in states:
        return None
    first = month_index(case.approved_on) + 1
    return first, month_index(case.exited_on) if case.exited_on else None


def is_paid_in(case: Case, year: int, month: int) -> bool:
    months = paid_months(case)
    if months is None:
        return False
    index = year * 12 + month - 1
    return months[0] <= index and (months[1] is None or index <= months[1])
