"""Demo complaints for `seed_demo`: about 40, in every state of the workflow, made through the services.

Routing, duplicate merging, the entrapment fault and escalation all run as they do for a real complaint; only the
timestamps of the older ones are moved back afterwards, so that the queue shows a realistic spread of dates.
"""

import random
from datetime import date, timedelta

from django.db.models import F
from django.utils import timezone

from accounts.models import User
from departments.choices import Category
from departments.models import Department
from departments.plan import ensure_plan
from maintenance.models import Fault
from notifications.choices import DeliveryState
from notifications.models import OutboxMessage
from registry.choices import BuildingKind, ElevatorStatus
from registry.demo import GIVEN_NAMES, SURNAMES, demo_elevators
from registry.models import Elevator
from rescue.models import IncidentReport, RescueStep

from .models import Complaint, ComplaintEvent
from .services import (
    complaint_close,
    complaint_respond,
    complaint_submit,
    complaint_transition,
    complaints_escalate,
)

DESCRIPTIONS = {
    Category.ENTRAPMENT: "电梯停在8楼和9楼之间，轿厢里有一位老人，按警铃没人应答。",
    Category.BREAKDOWN: "电梯这周已经停了三次，每次都要等一上午才有人来修。",
    Category.MAINTENANCE_QUALITY: "维保人员每次来十分钟就走，维保记录上的项目根本没做。",
    Category.INSPECTION_OVERDUE: "轿厢里的检验合格标志已经过期两个月了，物业说还在办。",
    Category.USE_MANAGEMENT: "电梯里没有张贴安全注意事项和应急救援电话，物业也找不到安全管理员。",
    Category.VANDALISM: "有人把电梯按钮面板撬坏了，夜里还有人故意扒门。",
    Category.NO_SIGNAL: "电梯里完全没有手机信号，被困时没法打电话求救。",
    Category.SELECTION: "新小区32层只配了两台电梯，早高峰要等十几分钟。",
    Category.CIVIL_WORKS: "新装电梯的井道渗水，底坑常年积水。",
    Category.RETROFIT: "我们单元想加装电梯，不知道要找哪个部门报批，补贴怎么申请。",
    Category.MAINTENANCE_FUND: "电梯要大修，物业说维修资金不够，要求每户再交钱，想咨询维修资金怎么使用。",
    Category.FIRE_ELEVATOR: "消防电梯前室堆满杂物，消防电梯按钮被锁住了。",
    Category.INSURANCE: "在电梯里摔伤了，保险公司迟迟不理赔。",
}
ANSWERS = {
    Category.RETROFIT: "已告知加装电梯的申报流程、所需材料及补贴政策，社区将组织业主协商。",
    Category.MAINTENANCE_FUND: "经核实，该小区专项维修资金余额不足，已指导业委会按程序续筹，并可申请使用应急维修资金。",
    Category.CIVIL_WORKS: "已责成施工单位对井道进行防水处理，完工后组织复查。",
}
DEFAULT_ANSWER = "经现场核查，问题属实，已责令相关单位整改完毕，并将持续跟踪。"

# (category, final state, days ago, building kind of the elevator or None for the demo use unit's lifts)
# States: submitted, accepted, in_progress, resolved, closed, rejected, merged, overdue (escalated).
PLAN: list[tuple[str, str, int, str | None]] = [
    # 住建局 (the demo user `jianshe`): retrofit, maintenance fund, civil works (plan §2(4)–(6), §2(8)).
    (Category.RETROFIT, "submitted", 0, BuildingKind.RESIDENTIAL),
    (Category.RETROFIT, "accepted", 1, BuildingKind.RESIDENTIAL),
    (Category.RETROFIT, "in_progress", 2, BuildingKind.RESIDENTIAL),
    (Category.RETROFIT, "closed", 34, BuildingKind.RESIDENTIAL),
    (Category.MAINTENANCE_FUND, "submitted", 0, BuildingKind.RESIDENTIAL),
    (Category.MAINTENANCE_FUND, "in_progress", 3, BuildingKind.RESIDENTIAL),
    (Category.MAINTENANCE_FUND, "resolved", 6, BuildingKind.RESIDENTIAL),
    (Category.MAINTENANCE_FUND, "overdue", 5, BuildingKind.RESIDENTIAL),
    (Category.CIVIL_WORKS, "accepted", 1, BuildingKind.RESIDENTIAL),
    (Category.CIVIL_WORKS, "rejected", 12, BuildingKind.OFFICE),
    (Category.CIVIL_WORKS, "closed", 45, BuildingKind.RESIDENTIAL),
    # 市市场监管局: the demo use unit's lifts (so `wuye` and `weibao` see and answer them), and crowded places.
    (Category.ENTRAPMENT, "accepted", 0, None),
    (Category.BREAKDOWN, "submitted", 0, None),
    (Category.BREAKDOWN, "merged", 0, None),
    (Category.BREAKDOWN, "in_progress", 2, None),
    (Category.MAINTENANCE_QUALITY, "submitted", 0, None),
    (Category.MAINTENANCE_QUALITY, "resolved", 5, None),
    (Category.MAINTENANCE_QUALITY, "overdue", 11, None),
    (Category.INSPECTION_OVERDUE, "accepted", 1, None),
    (Category.INSPECTION_OVERDUE, "closed", 20, None),
    (Category.USE_MANAGEMENT, "rejected", 8, None),
    (Category.BREAKDOWN, "submitted", 0, BuildingKind.SCHOOL),
    (Category.BREAKDOWN, "closed", 25, BuildingKind.HOSPITAL),
    (Category.MAINTENANCE_QUALITY, "in_progress", 2, BuildingKind.MALL),
    (Category.USE_MANAGEMENT, "accepted", 1, BuildingKind.TRANSPORT),
    (Category.BREAKDOWN, "resolved", 4, BuildingKind.TOURIST),
    (Category.INSPECTION_OVERDUE, "submitted", 0, BuildingKind.RESIDENTIAL),
    (Category.USE_MANAGEMENT, "closed", 60, BuildingKind.RESIDENTIAL),
    (Category.MAINTENANCE_QUALITY, "rejected", 15, BuildingKind.RESIDENTIAL),
    # The other departments of plan §2(8).
    (Category.VANDALISM, "submitted", 0, BuildingKind.RESIDENTIAL),
    (Category.VANDALISM, "closed", 28, BuildingKind.MALL),
    (Category.NO_SIGNAL, "accepted", 1, BuildingKind.RESIDENTIAL),
    (Category.NO_SIGNAL, "resolved", 9, BuildingKind.HOSPITAL),
    (Category.SELECTION, "submitted", 0, BuildingKind.RESIDENTIAL),
    (Category.SELECTION, "rejected", 18, BuildingKind.RESIDENTIAL),
    (Category.FIRE_ELEVATOR, "in_progress", 2, BuildingKind.OFFICE),
    (Category.FIRE_ELEVATOR, "closed", 40, BuildingKind.MALL),
    (Category.INSURANCE, "submitted", 0, BuildingKind.RESIDENTIAL),
    (Category.INSURANCE, "resolved", 7, BuildingKind.RESIDENTIAL),
]
TRANSITIONS_TO = {
    "submitted": [],
    "overdue": [],
    "merged": [],
    "accepted": ["accept"],
    "in_progress": ["accept", "start"],
    "resolved": ["accept", "start", "resolve"],
    "closed": ["accept", "start", "resolve"],
    "rejected": ["reject"],
}


def _person(rng: random.Random) -> tuple[str, str]:
    return rng.choice(SURNAMES) + rng.choice(GIVEN_NAMES), f"13{rng.randint(0, 9)}{rng.randint(0, 99_999_999):08d}"


def _backdate(complaint: Complaint, days: int, rng: random.Random) -> None:
    """Move a complaint and its events `days` back (timestamps only; the workflow already ran)."""
    if not days:
        return
    delta = timedelta(days=days, hours=rng.randint(0, 8))
    Complaint.objects.filter(pk=complaint.pk).update(
        created_at=F("created_at") - delta,
        accept_deadline=F("accept_deadline") - delta,
        resolve_deadline=F("resolve_deadline") - delta,
        accepted_at=F("accepted_at") - delta,
        resolved_at=F("resolved_at") - delta,
        closed_at=F("closed_at") - delta,
    )
    ComplaintEvent.objects.filter(complaint=complaint).update(created_at=F("created_at") - delta)


def _rescued(complaint: Complaint) -> None:
    """The demo's trapped reports are past rescues: the incident is moved back with the complaint (at least an hour)
    and closed with plausible times inside 东区's 30-minute limit, so that no demo incident is left open for the
    escalation ladder to alarm about (docs/rules.md "Entrapment rescue loop")."""
    complaint.refresh_from_db(fields=["created_at"])
    reported = min(complaint.created_at, timezone.now() - timedelta(hours=1)).replace(microsecond=0)
    Fault.objects.filter(pk=complaint.incident_id, released_at__isnull=True).update(
        reported_at=reported,
        acknowledged_at=reported + timedelta(minutes=2),
        dispatched_at=reported + timedelta(minutes=3),
        arrived_at=reported + timedelta(minutes=18),
        released_at=reported + timedelta(minutes=25),
    )
    IncidentReport.objects.filter(fault_id=complaint.incident_id).update(reported_at=reported)
    RescueStep.objects.filter(fault_id=complaint.incident_id).update(taken_at=reported)
    # Its dispatch went out back then: nothing is left for the worker to send today.
    OutboxMessage.objects.filter(subject_key=f"fault:{complaint.incident_id}").update(
        state=DeliveryState.DELIVERED, attempts=1, created_at=reported, delivered_at=reported, next_attempt_at=reported
    )


def seed_complaints(*, today: date, rng: random.Random) -> int:
    """Idempotent: does nothing once any complaint exists. Returns the number of complaints made."""
    departments = ensure_plan()
    city = User.objects.filter(username="city").first()
    if city is not None:
        # 市市场监管局 leads most categories, so its overdue complaints go to the demo city regulator.
        Department.objects.filter(pk=departments["scjgj"].pk, supervisor__isnull=True).update(supervisor=city)
    if Complaint.objects.exists():
        return 0
    jianshe = User.objects.filter(username="jianshe").first()
    wuye = User.objects.filter(username="wuye").select_related("organization").first()
    weibao = User.objects.filter(username="weibao").select_related("organization").first()
    handlers = {departments["zjj"].pk: jianshe or city}

    in_use = demo_elevators().filter(status=ElevatorStatus.IN_USE).select_related("district")
    own = list(in_use.filter(use_unit=wuye.organization).order_by("registration_code")[:20]) if wuye else []
    by_kind: dict[str, list[Elevator]] = {}
    for kind in BuildingKind.values:
        # Shuffled over the whole registry, so that the complaints come from every district.
        rows = list(in_use.filter(building_kind=kind).order_by("registration_code"))
        rng.shuffle(rows)
        by_kind[kind] = rows[:200]
    used: set[int] = set()

    def pick(kind: str | None) -> Elevator | None:
        for elevator in own if kind is None else by_kind.get(kind, []):
            if elevator.pk not in used:
                used.add(elevator.pk)
                return elevator
        return None

    made = 0
    last: dict[str, Complaint] = {}
    for category, state, days, kind in PLAN:
        if state == "merged" and category in last:
            elevator = last[category].elevator  # the same lift and problem within days: merged into the first
        else:
            elevator = pick(kind)
        name, phone = _person(rng)
        complaint = complaint_submit(
            elevator=elevator,
            district=None if elevator else departments["dq"].district,
            address="" if elevator else "东区炳草岗大街某小区",
            category=category,
            description=DESCRIPTIONS[category],
            trapped_now=category == Category.ENTRAPMENT,
            contact_name=name,
        )
        made += 1
        last.setdefault(category, complaint)
        handler = handlers.get(complaint.department_id, city)
        for action in TRANSITIONS_TO[state]:
            text = {
                "resolve": ANSWERS.get(category, DEFAULT_ANSWER),
                "reject": "经核实，该问题不属于电梯安全问题，已告知投诉人向相关部门反映。",
            }.get(action, "")
            complaint_transition(user=handler, complaint=complaint, action=action, text=text)
        if state in ("in_progress", "resolved", "closed") and complaint.elevator_id and wuye and weibao:
            responder = wuye if complaint.elevator.use_unit_id == wuye.organization_id else None
            if complaint.elevator.maintenance_firm_id == weibao.organization_id:
                responder = weibao
            if responder is not None:
                complaint_respond(
                    user=responder, complaint=complaint, text="已安排人员到现场核查，正在整改，预计三日内完成。"
                )
        if state == "closed":
            # As the resident does it from the browser that filed the complaint.
            complaint_close(tracking_no=complaint.tracking_no, rating=rng.choice([3, 4, 5, 5]), filed_in_session=True)
        _backdate(complaint, days, rng)
        if complaint.incident_id:
            _rescued(complaint)
        if rng.random() < 0.8:
            # Demo numbers are made up: they are written only after the workflow ran, so that no text message
            # is ever sent to them, whatever SMS gateway is configured.
            Complaint.objects.filter(pk=complaint.pk).update(contact_phone=phone)

    # The complaints moved past their deadline are escalated to the department's supervisor, as the hourly job does.
    complaints_escalate(now=timezone.now())
    return made
