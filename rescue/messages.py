"""What the rescue loop says at each step, and to whom it writes it (through the durable outbox)."""

from datetime import datetime

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from maintenance.faults.rules import fault_limit_minutes
from maintenance.models import Fault
from notifications.outbox import messages_for_person, outbox_write

from .choices import Step
from .recipients import Contact, unique


def _hm(value: datetime) -> str:
    return timezone.localtime(value).strftime("%H:%M")


def step_text(fault: Fault, step: str, *, now: datetime) -> tuple[str, str]:
    """The title and the text of a step's message (short enough for one SMS)."""
    e = fault.elevator
    where = f"{e.address}（{_('救援识别码')}{e.rescue_code or '-'}）"
    limit = fault_limit_minutes(fault)
    people = _("%(n)d人被困") % {"n": fault.trapped_people} if fault.trapped_people else _("有人被困")
    values = {"where": where, "time": _hm(fault.reported_at), "people": people, "limit": limit}
    if step == Step.DISPATCH:
        title = _("【困人救援】%(where)s") % values
        text = _("%(time)s报告%(where)s电梯%(people)s，请立即接警并在%(limit)d分钟内到场救援。") % values
    elif step in (Step.ACK_MISSED, Step.ACK_MISSED_2):
        title = _("【未接警】%(where)s") % values
        text = _("%(time)s报告%(where)s电梯%(people)s，维保单位未在规定时间内接警，请立即督促救援。") % values
    elif step == Step.ARRIVAL_WARNING:
        title = _("【即将超时】%(where)s") % values
        text = _("%(time)s报告%(where)s电梯%(people)s，%(limit)d分钟到场时限即将届满，救援人员尚未到场。") % values
    elif step == Step.ARRIVAL_MISSED:
        title = _("【到场超时】%(where)s") % values
        text = _("%(time)s报告%(where)s电梯%(people)s，已超过%(limit)d分钟到场时限，救援人员仍未到场。") % values
    else:
        title = _("【困人事故】%(where)s") % values
        text = (
            _("%(time)s报告%(where)s电梯%(people)s，超过2小时仍未解救，依《特种设备安全监察条例》第六十四条计为事故。")
            % values
        )
    return title, text


def incident_link(fault: Fault) -> str:
    return reverse("rescue:incident", args=[fault.pk])


def write_step_messages(fault: Fault, step: str, contacts: list[Contact], *, now: datetime) -> int:
    """Write the step's messages to each contact on each of their channels, in the caller's transaction; the
    keys ("fault:<id>:<step>:<person>:<channel>") make a second write of the same step a no-op."""
    title, text = step_text(fault, step, now=now)
    link = incident_link(fault)
    messages = []
    contacts = unique(contacts)
    for contact in contacts:
        messages += messages_for_person(
            key=f"fault:{fault.pk}:{step}:{contact.key}",
            title=title,
            body=text,
            user=contact.user,
            phone=contact.phone,
            email=contact.email,
            name=contact.name,
            link=link,
            subject_key=f"fault:{fault.pk}",
            district_id=fault.elevator.district_id,
        )
    outbox_write(messages, now=now)
    return len(contacts)
