"""Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2) at /open311/v2/, for partner systems.

docs/architecture.md "External contract": `services`, `requests` and `requests/<id>` in JSON and XML;
`agency_responsible` is the lead department that the routing table (plan §2(8)) gave the complaint. Partners file
complaints with a PartnerKey as `api_key`; the complaint goes through `complaint_submit`, so the web form and Open311
validate, route and limit alike.

Extensions and choices beyond the spec, for partners:
- `district` (POST): the 6-digit administrative division code (510402 东区, 510403 西区, 510411 仁和区, 510421 米易县,
  510422 盐边县). With only an `address_string` it is taken from the district or county the address names (a spec
  client sends `lat`/`long` and `address_string` only), else required; with an `address_id` it is the elevator's.
- `address_id` is the elevator's 20-digit registration code (POST also takes the 5–6 digit rescue code on the sign).
- `lat`/`long` of a POST are checked but not stored; published coordinates are the registered elevator's.
- `jurisdiction_id` is ignored: the portal serves one jurisdiction, Panzhihua.
- Personal data (first_name, last_name, phone, email) is stored for the reply and never published; phone numbers, ID
  numbers and e-mail addresses written into a description are masked before it is published (complaints.privacy).
- `trapped` (POST, true/false): someone is trapped in the elevator now (plan §2(10)). The report then opens or joins
  the elevator's entrapment incident at once (rescue.services.incident_report: the firm on call and the use unit
  are alerted), whatever the service_code; it needs an `address_id`. A POST with service_code `entrapment` and an
  `address_id` is taken as someone trapped now unless it says `trapped=false` (better one alarm too many than one
  too few). Trapped reports count against their own, much higher limit per key (RESCUE_REPORTS_PER_HOUR an hour),
  never the complaint limit; their `service_notice` says whom the platform told.
"""

import json
import re
import xml.etree.ElementTree as ET
from datetime import datetime, time, timedelta
from functools import wraps

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods
from django_ratelimit.core import get_usage

from departments.choices import Category
from departments.models import RoutingRule
from elevator_portal.filters import datetime_problem
from registry.choices import DistrictLevel
from registry.models import District

from .choices import OPEN_STATUSES, Source, Status
from .models import Complaint, PartnerKey
from .privacy import mask_personal_data
from .ratelimits import is_limited
from .selectors import elevator_for_complaint
from .services import complaint_submit

CONTENT_TYPES = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}
# GET requests: "the default query returns requests of the past 90 days, at most 1000" and a start_date/end_date range
# "may not span more than 90 days".
DEFAULT_DAYS = 90
MAX_SPAN_DAYS = 90
MAX_REQUESTS = 1000
RATE_GROUP = "open311"
# The web form's rate-limit group (complaints/views.py): one phone number's allowance is shared by both ways in, so a
# partner cannot be used to flood a resident's phone with confirmation SMS.
WEB_FORM_RATE_GROUP = "complaints"
RESCUE_RATE_GROUP = "open311-rescue"
BAD_KEY_RATE_GROUP = "open311-bad-key"
TRUE_VALUES, FALSE_VALUES = {"true", "1", "yes"}, {"false", "0", "no"}

# Open311 "status" is only open or closed.
OPEN311_STATUS = {status: "open" if status in OPEN_STATUSES else "closed" for status in Status.values}

# Service descriptions and keywords (GET services: description, keywords).
SERVICE_TEXT = {
    # Plan §2(10): whoever may be trapped is told to call the emergency numbers first (%(tel)s: the hotline setting).
    Category.ENTRAPMENT: (
        gettext_lazy("电梯困人事件的投诉。有人正被困时请先拨打电梯应急救援电话%(tel)s或119。"),
        gettext_lazy("困人,关人,救援,%(tel)s"),
    ),
    Category.BREAKDOWN: (gettext_lazy("电梯故障、停梯、异响、平层不准等。"), gettext_lazy("故障,停梯,异响,抖动")),
    Category.MAINTENANCE_QUALITY: (
        gettext_lazy("维保单位未按期维保、维保记录不实、维保质量差。"),
        gettext_lazy("维保,保养,维保单位"),
    ),
    Category.INSPECTION_OVERDUE: (
        gettext_lazy("电梯超过检验有效期仍在使用，或检验不合格仍在使用。"),
        gettext_lazy("检验,年检,过期,合格证"),
    ),
    Category.USE_MANAGEMENT: (
        gettext_lazy("使用单位管理问题：无安全管理员、标牌缺失、应急电话不通等。"),
        gettext_lazy("使用单位,物业,安全管理员,标牌"),
    ),
    Category.VANDALISM: (gettext_lazy("破坏、盗窃电梯设施。"), gettext_lazy("破坏,盗窃,损坏")),
    Category.NO_SIGNAL: (gettext_lazy("轿厢或井道内没有手机信号，被困时无法求救。"), gettext_lazy("信号,通信,手机")),
    Category.SELECTION: (gettext_lazy("新建建筑电梯数量不足或选型不当。"), gettext_lazy("配置,数量,选型,规划")),
    Category.CIVIL_WORKS: (gettext_lazy("电梯井道、机房等土建工程或安装施工问题。"), gettext_lazy("土建,安装,施工")),
    Category.RETROFIT: (gettext_lazy("既有住宅加装电梯的问题。"), gettext_lazy("加装电梯,老旧小区")),
    Category.MAINTENANCE_FUND: (gettext_lazy("住宅专项维修资金的筹集和使用。"), gettext_lazy("维修资金,大修,更新改造")),
    Category.FIRE_ELEVATOR: (gettext_lazy("消防电梯的安全问题。"), gettext_lazy("消防电梯,消防")),
    Category.INSURANCE: (gettext_lazy("电梯安全责任保险的理赔。"), gettext_lazy("保险,理赔")),
}

# Complaint columns that may be published: requests are built from these only, so personal data cannot leak.
PUBLIC_COLUMNS = (
    "tracking_no",
    "status",
    "category",
    "description",
    "answer",
    "reject_reason",
    "address",
    "department__name",
    "duplicate_of__tracking_no",
    "elevator__registration_code",
    "elevator__latitude",
    "elevator__longitude",
    "created_at",
    "updated_at",
    "resolve_deadline",
)


class Open311Error(Exception):
    """An error answered in the spec's format: `[{"code": 400, "description": "..."}]` or `<errors><error>`."""

    def __init__(self, code: int, description: str):
        super().__init__(description)
        self.code, self.description = code, description


# --- Serialisation -----------------------------------------------------------------------------------------------


def _text(value) -> str | None:
    if value is None:
        return None  # an empty element, <account_id />
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# What XML 1.0 cannot carry (its Char production): C0 controls but tab, LF and CR, surrogates, U+FFFE/U+FFFF. One
# "\x01" in a resident's description made requests.xml unreadable for every partner (issue 14); such characters go.
_NOT_XML_CHAR = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml_text(value) -> str | None:
    text = _text(value)
    return _NOT_XML_CHAR.sub("", text) if text else text


def _xml(rows: list[dict], *, root: str, item: str) -> bytes:
    """Spec XML: a root element holding one element per row, one child per field (empty when there is no value)."""
    top = ET.Element(root)
    for row in rows:
        element = ET.SubElement(top, item)
        for name, value in row.items():
            ET.SubElement(element, name).text = _xml_text(value)
    # "The root element must be preceded with the XML declaration including the encoding="UTF-8" attribute."
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(top, encoding="utf-8", xml_declaration=False)


def render(rows: list[dict], fmt: str, *, root: str, item: str, status: int = 200) -> HttpResponse:
    """The rows as a JSON array or as spec XML; UTF-8 everywhere (spec "Encoding")."""
    if fmt == "xml":
        body = _xml(rows, root=root, item=item)
    else:
        body = json.dumps(
            [
                {k: v if v is None or isinstance(v, (bool, int, float)) else str(v) for k, v in row.items()}
                for row in rows
            ],
            ensure_ascii=False,
        ).encode()
    return HttpResponse(body, status=status, content_type=CONTENT_TYPES[fmt])


def error_response(fmt: str, code: int, description: str) -> HttpResponse:
    return render([{"code": code, "description": description}], fmt, root="errors", item="error", status=code)


def _w3c(moment: datetime | None) -> str | None:
    # Spec "Date/time format": ISO 8601 as per the w3 note, with the offset (+08:00 in Panzhihua).
    return timezone.localtime(moment).isoformat(timespec="seconds") if moment else None


def _coordinate(value) -> float | None:
    return float(value) if value is not None else None


# Phone numbers, ID numbers and e-mail addresses a resident wrote into the description are not published: the one
# masking function (complaints.privacy), also under its old name for the tracking page (complaints.incidents).
mask_contacts = mask_personal_data


def _service_notice(*, status: str, category: str, department: str, merged_into: str, deadline) -> str | None:
    """What happens next (spec `service_notice`); nothing once the request is closed."""
    if merged_into:
        return _("同一电梯的同类问题已在处理中（查询编号%(no)s），本投诉已合并办理。") % {"no": merged_into}
    if status not in OPEN_STATUSES:
        return None
    notice = _("由%(dept)s牵头办理，%(date)s前答复。") % {
        "dept": department,
        "date": timezone.localtime(deadline).strftime("%Y-%m-%d"),
    }
    if category in (Category.ENTRAPMENT, Category.BREAKDOWN):
        # Plan §2(10): whoever may be trapped is told to call the emergency numbers first.
        notice += _("如有人被困，请立即拨打%(tel)s或119。") % {"tel": settings.EMERGENCY_HOTLINE}
    return notice


def _rescue_notice(complaint: Complaint) -> str:
    """What a partner tells the resident who reported someone trapped: whom the platform told, and the hotline."""
    from .incidents import incident_progress

    incident = incident_progress(fault_id=complaint.incident_id)
    hotline = {"tel": settings.EMERGENCY_HOTLINE}
    if incident is None or not incident.told:
        return _("已转96333应急处置中心跟进，请立即拨打%(tel)s。") % hotline
    return _("平台已于%(time)s通知%(told)s赶往现场救援。如仍需帮助，请拨打%(tel)s。") % {
        "time": timezone.localtime(incident.dispatched_at or incident.reported_at).strftime("%H:%M"),
        "told": incident.told_text,
        **hotline,
    }


def service_rows() -> list[dict]:
    """GET services: one service per complaint category; `group` is the lead department of the routing table.
    One query."""
    groups = dict(RoutingRule.objects.values_list("category", "department__name"))
    hotline = {"tel": settings.EMERGENCY_HOTLINE}
    return [
        {
            "service_code": code,
            "service_name": str(label),
            "description": str(SERVICE_TEXT[code][0]) % hotline,
            "metadata": False,  # no extra attributes: GET service definition is not needed
            "type": "realtime",  # a service_request_id is returned at once, no token
            "keywords": str(SERVICE_TEXT[code][1]) % hotline,
            "group": groups.get(code, ""),
        }
        for code, label in Category.choices
    ]


def request_row(row: dict) -> dict:
    """One service request in the spec's field order, from the public columns of a complaint."""
    status = row["status"]
    if status == Status.MERGED:
        notes = _("已合并至%(no)s办理。") % {"no": row["duplicate_of__tracking_no"]}
    else:
        notes = row["reject_reason"] if status == Status.REJECTED else row["answer"]
    return {
        "service_request_id": row["tracking_no"],
        "status": OPEN311_STATUS[status],
        "status_notes": notes or None,
        "service_name": str(Category(row["category"]).label) if row["category"] in Category.values else "",
        "service_code": row["category"],
        "description": mask_personal_data(row["description"]),
        "agency_responsible": row["department__name"],
        "service_notice": _service_notice(
            status=status,
            category=row["category"],
            department=row["department__name"],
            merged_into=row["duplicate_of__tracking_no"] or "",
            deadline=row["resolve_deadline"],
        ),
        "requested_datetime": _w3c(row["created_at"]),
        "updated_datetime": _w3c(row["updated_at"]),
        "expected_datetime": _w3c(row["resolve_deadline"]),
        "address": row["address"],
        "address_id": row["elevator__registration_code"] or "",
        "zipcode": "",
        "lat": _coordinate(row["elevator__latitude"]),
        "long": _coordinate(row["elevator__longitude"]),
        "media_url": "",  # photos are evidence for the handlers, not public
    }


# --- Reads -------------------------------------------------------------------------------------------------------


def _comma_list(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def _parse_moment(name: str, value: str, *, end: bool = False) -> datetime:
    """A w3c datetime; a bare date (also w3c) means the start of that day, or for end_date its end."""
    try:
        day = parse_date(value)  # first: parse_datetime also reads a bare date, as midnight
        moment = datetime.combine(day, time.max if end else time.min) if day else parse_datetime(value)
    except ValueError:
        moment = None
    if moment is None:
        raise Open311Error(400, _("%(name)s应为ISO 8601日期时间，例如2024-05-01T08:00:00+08:00。") % {"name": name})
    if problem := datetime_problem(moment):  # PostgreSQL refuses offsets beyond ±15:59 (a 500 before issue 14)
        raise Open311Error(400, f"{name}: {problem}")
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


def request_rows(params, *, now: datetime) -> list[dict]:
    """GET requests with the spec's filters, newest first, at most 1000; one query."""
    rows = Complaint.objects.order_by("-created_at", "-id")
    ids = _comma_list(params.get("service_request_id", ""))
    if ids:
        # "service_request_id ... comma delimited. This overrides all other arguments."
        rows = rows.filter(tracking_no__in=ids)
    else:
        codes = _comma_list(params.get("service_code", ""))
        unknown = [c for c in codes if c not in Category.values]
        if unknown:
            raise Open311Error(400, _("service_code不存在：%(codes)s") % {"codes": ",".join(unknown)})
        if codes:
            rows = rows.filter(category__in=codes)
        statuses = set(_comma_list(params.get("status", "")))
        if statuses - {"open", "closed"}:
            raise Open311Error(400, _("status只能是open或closed。"))
        if statuses == {"open"}:
            rows = rows.filter(status__in=OPEN_STATUSES)
        elif statuses == {"closed"}:
            rows = rows.exclude(status__in=OPEN_STATUSES)
        start_text, end_text = params.get("start_date", "").strip(), params.get("end_date", "").strip()
        end = _parse_moment("end_date", end_text, end=True) if end_text else None
        start = _parse_moment("start_date", start_text) if start_text else None
        if start is None:
            start = (end or now) - timedelta(days=DEFAULT_DAYS)
        elif end is not None and end - start > timedelta(days=MAX_SPAN_DAYS):
            raise Open311Error(400, _("start_date与end_date的间隔不能超过%(n)d天。") % {"n": MAX_SPAN_DAYS})
        rows = rows.filter(created_at__gte=start)
        if end is not None:
            rows = rows.filter(created_at__lte=end)
    return [request_row(row) for row in rows.values(*PUBLIC_COLUMNS)[:MAX_REQUESTS]]


# --- Writes ------------------------------------------------------------------------------------------------------


def district_named_in(address: str) -> str:
    """The division code of the one district or county whose name the address contains ("攀枝花市东区炳草岗大街" →
    510402; "米易" for 米易县 too), or "" when it names none or several: a spec POST with `lat`/`long` and an
    `address_string` but no `district` (issue 14). Coordinates are not mapped to districts: no boundaries on file."""
    found = set()
    for code, name in District.objects.filter(level__in=[DistrictLevel.DISTRICT, DistrictLevel.COUNTY]).values_list(
        "code", "name"
    ):
        short = name[:-1] if name[-1:] in ("县", "区") and len(name) > 2 else name  # 米易县 → 米易, 东区 stays
        if name in address or short in address:
            found.add(code)
    return found.pop() if len(found) == 1 else ""


def _range_messages(message) -> dict:
    return {"min_value": message, "max_value": message, "invalid": message}


class RequestForm(forms.Form):
    """The fields of POST requests (spec names); what is valid beyond their format is decided by the service."""

    service_code = forms.CharField(max_length=24, error_messages={"required": gettext_lazy("缺少service_code。")})
    description = forms.CharField(required=False, strip=False)
    address_string = forms.CharField(required=False, max_length=255)
    address_id = forms.CharField(required=False, max_length=20)
    district = forms.CharField(required=False, max_length=6)
    # Absurd points are refused naming the field (issue 14); a FloatField already refuses nan and inf.
    lat = forms.FloatField(
        required=False,
        min_value=-90,
        max_value=90,
        error_messages=_range_messages(gettext_lazy("lat（纬度）应为-90到90之间的数字。")),
    )
    long = forms.FloatField(
        required=False,
        min_value=-180,
        max_value=180,
        error_messages=_range_messages(gettext_lazy("long（经度）应为-180到180之间的数字。")),
    )
    first_name = forms.CharField(required=False, max_length=50)
    last_name = forms.CharField(required=False, max_length=50)
    phone = forms.CharField(required=False, max_length=20)
    email = forms.EmailField(required=False)
    trapped = forms.CharField(required=False, max_length=5)

    def clean_trapped(self) -> bool | None:
        value = self.cleaned_data["trapped"].strip().lower()
        if not value:
            return None
        if value not in TRUE_VALUES | FALSE_VALUES:
            raise forms.ValidationError(_("trapped只能是true或false。"))
        return value in TRUE_VALUES

    def clean_service_code(self):
        code = self.cleaned_data["service_code"]
        if code not in Category.values:
            raise forms.ValidationError(_("service_code不存在：%(code)s") % {"code": code}, code="unknown")
        return code

    def clean_phone(self):
        return "".join(self.cleaned_data["phone"].split())

    def clean(self):
        data = super().clean()
        code = "".join(data.get("address_id", "").split())
        if code:
            elevator = elevator_for_complaint(code=code) if code.isdigit() and len(code) in (5, 6, 20) else None
            if elevator is None:
                raise forms.ValidationError({"address_id": _("未找到该电梯（应为20位注册代码或5～6位救援识别码）。")})
            data["elevator"], data["district"] = elevator, None  # the elevator's district applies
        elif data.get("address_string", "").strip():
            division = data.get("district", "").strip() or district_named_in(data["address_string"])
            if not division:
                raise forms.ValidationError(
                    {
                        "district": _(
                            "只填写address_string时，请用district给出区县行政区划代码，"
                            "或在address_string中写明一个区县名称（如东区、米易县）。"
                        )
                    }
                )
            data["district"] = District.objects.filter(
                code=division, level__in=[DistrictLevel.DISTRICT, DistrictLevel.COUNTY]
            ).first()
            if data["district"] is None:
                raise forms.ValidationError({"district": _("区县行政区划代码不存在：%(code)s") % {"code": division}})
        else:
            raise forms.ValidationError(
                {"address_id": _("请提供address_id（电梯注册代码或救援识别码），或address_string与district。")}
            )
        return data

    def contact_name(self) -> str:
        first, last = self.cleaned_data["first_name"].strip(), self.cleaned_data["last_name"].strip()
        # Chinese names are written family name first, without a space.
        return f"{last}{first}" if not (first + last).isascii() else " ".join(p for p in (first, last) if p)


# The service names its fields after the model; partners know the spec's names.
SPEC_FIELDS = {
    "category": "service_code",
    "elevator": "address_id",
    "contact_phone": "phone",
    "contact_email": "email",
    "contact_name": "first_name",
    "trapped_now": "trapped",
}


def is_trapped_report(data) -> bool:
    """Whether a POST reports someone trapped now (see the module's notes): read from the raw fields, before the
    rate limit is chosen; the form then validates the same fields."""
    flag = str(data.get("trapped", "")).strip().lower()
    if flag in TRUE_VALUES:
        return True
    if flag in FALSE_VALUES:
        return False
    return data.get("service_code", "") == Category.ENTRAPMENT and bool("".join(data.get("address_id", "").split()))


def _describe(error: ValidationError) -> str:
    if not hasattr(error, "error_dict"):
        return " ".join(error.messages)
    return " ".join(
        f"{SPEC_FIELDS.get(field, field)}: {message}"
        for field, messages in error.message_dict.items()
        for message in messages
    )


def request_create(*, data, partner: str, tell_resident: bool = True) -> Complaint:
    """POST requests: translate the spec's fields and file the complaint through `complaint_submit`."""
    form = RequestForm(data)
    if not form.is_valid():
        # The spec: "404 - service_code or service_request_id not found"; every other problem is a 400.
        status = 404 if form.has_error("service_code", "unknown") else 400
        raise Open311Error(status, _describe(ValidationError(form.errors.as_data())))
    cleaned = form.cleaned_data
    try:
        return complaint_submit(
            elevator=cleaned.get("elevator"),
            address=cleaned["address_string"],
            district=cleaned["district"],
            category=cleaned["service_code"],
            description=cleaned["description"],
            contact_name=form.contact_name(),
            contact_phone=cleaned["phone"],
            contact_email=cleaned["email"],
            trapped_now=is_trapped_report(data),
            source=Source.OPEN311,
            partner=partner,
            tell_resident=tell_resident,
        )
    except ValidationError as error:
        raise Open311Error(400, _describe(error)) from error


def _bad_keys_rate(request) -> dict:
    return {"group": BAD_KEY_RATE_GROUP, "key": "ip", "rate": f"{settings.OPEN311_BAD_KEYS_PER_HOUR}/h"}


def _bad_keys_blocked(request) -> bool:
    """An address past OPEN311_BAD_KEYS_PER_HOUR wrong keys is refused before its key is looked at (issue 14);
    like every limit here it fails open when the cache is down."""
    try:
        return get_usage(request, increment=False, **_bad_keys_rate(request))["should_limit"]
    except Exception:  # noqa: BLE001 - the cache is unreachable: not counted, nothing fails (complaints.ratelimits)
        return False


def _partner(request, api_key: str) -> PartnerKey:
    """The partner of a valid, unexpired key (stored hashed, compared hashed); a wrong key counts against the
    address (is_limited)."""
    if _bad_keys_blocked(request):
        raise Open311Error(429, _("错误的api_key过多，请一小时后再试；如有人被困，请拨打%(tel)s。") % _hotline())
    partner = PartnerKey.find(api_key)
    if partner is None:
        if is_limited(request, **_bad_keys_rate(request)):
            raise Open311Error(429, _("错误的api_key过多，请一小时后再试；如有人被困，请拨打%(tel)s。") % _hotline())
        raise Open311Error(403, _("api_key无效，不能提交服务请求。"))
    if partner.expired:
        raise Open311Error(403, _("api_key已过期，请联系平台更换。"))
    now = timezone.now()
    if partner.last_used_at is None or now - partner.last_used_at > timedelta(minutes=5):
        PartnerKey.objects.filter(pk=partner.pk).update(last_used_at=now)
    return partner


def _hotline() -> dict:
    return {"tel": settings.EMERGENCY_HOTLINE}


def _trapped_rate_limited(request) -> bool:
    """A partner's trapped reports count against the key's rescue allowance only (never its complaint limit)."""
    return is_limited(
        request, group=RESCUE_RATE_GROUP, key="post:api_key", rate=f"{settings.RESCUE_REPORTS_PER_HOUR}/h"
    )


def _phone_may_be_texted(request, phone: str) -> bool:
    """A trapped report is filed whatever the phone number's complaint allowance; over it, it sends no text."""
    return not phone or not is_limited(
        request, group=WEB_FORM_RATE_GROUP, key=lambda g, r: "phone:" + phone, rate=settings.COMPLAINT_RATE_PER_PHONE
    )


def _rate_limited(request, phone: str) -> bool:
    by_key = is_limited(
        request, group=RATE_GROUP, key="post:api_key", rate=getattr(settings, "OPEN311_RATE_PER_KEY", "120/m")
    )
    by_phone = bool(phone) and is_limited(
        request, group=WEB_FORM_RATE_GROUP, key=lambda g, r: "phone:" + phone, rate=settings.COMPLAINT_RATE_PER_PHONE
    )
    return by_key or by_phone


# --- Views -------------------------------------------------------------------------------------------------------


def open311_view(view):
    """Answer an Open311Error in the spec's error format and the requested format."""

    @wraps(view)
    def wrapper(request, *args, fmt, **kwargs):
        try:
            # PostgreSQL can neither store nor compare NUL: a parameter holding one is refused, naming it.
            for params in (request.GET, request.POST):
                for name, values in params.lists():
                    if "\x00" in name or any("\x00" in value for value in values):
                        raise Open311Error(400, _("%(name)s不能包含空字符。") % {"name": name.replace("\x00", "")})
            return view(request, *args, fmt=fmt, **kwargs)
        except Open311Error as error:
            return error_response(fmt, error.code, error.description)

    return wrapper


@require_GET
@open311_view
def services(request, fmt):
    return render(service_rows(), fmt, root="services", item="service")


@require_GET
@open311_view
def service_definition(request, service_code, fmt):
    """GET service definition (`services/<service_code>.<format>`): no service has extra attributes (metadata is
    false), so a known code has an empty list of them; an unknown code is the spec's 404 in the spec's format."""
    if service_code not in Category.values:
        raise Open311Error(404, _("service_code不存在：%(code)s") % {"code": service_code})
    if fmt == "xml":
        top = ET.Element("service_definition")
        ET.SubElement(top, "service_code").text = service_code
        ET.SubElement(top, "attributes")
        body = b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(top, encoding="utf-8", xml_declaration=False)
    else:
        body = json.dumps({"service_code": service_code, "attributes": []}).encode()
    return HttpResponse(body, content_type=CONTENT_TYPES[fmt])


@csrf_exempt  # partners post with an api_key, not a session
@require_http_methods(["GET", "POST"])
@open311_view
def requests(request, fmt):
    if request.method == "GET":
        return render(request_rows(request.GET, now=timezone.now()), fmt, root="service_requests", item="request")
    partner = _partner(request, request.POST.get("api_key", ""))
    phone = "".join(request.POST.get("phone", "").split())
    trapped = is_trapped_report(request.POST)
    if _trapped_rate_limited(request) if trapped else _rate_limited(request, phone):
        raise Open311Error(429, _("提交过于频繁，请稍后再试。"))
    complaint = request_create(
        data=request.POST,
        partner=partner.name,
        tell_resident=_phone_may_be_texted(request, phone) if trapped else True,
    )
    if complaint.incident_id:
        notice = _rescue_notice(complaint)
    else:
        notice = _service_notice(
            status=complaint.status,
            category=complaint.category,
            department=complaint.department.name,
            merged_into=complaint.duplicate_of.tracking_no if complaint.duplicate_of_id else "",
            deadline=complaint.resolve_deadline,
        )
    return render(
        [{"service_request_id": complaint.tracking_no, "service_notice": notice, "account_id": None}],
        fmt,
        root="service_requests",
        item="request",
    )


@require_GET
@open311_view
def request_detail(request, service_request_id, fmt):
    rows = request_rows({"service_request_id": service_request_id}, now=timezone.now())
    if not rows:
        raise Open311Error(404, _("service_request_id不存在：%(id)s") % {"id": service_request_id})
    return render(rows, fmt, root="service_requests", item="request")
