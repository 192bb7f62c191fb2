"""Public complaint pages (no account): the form and the tracking page, never showing personal data.

docs/rules.md "Journey 1: a resident files a complaint" (plan §2(10), §2(11)). Abuse protection on the form: rate
limits per client IP and per phone number, a honeypot field and a minimum fill time; everything else is validated
by `complaint_submit`.

A report of someone trapped now (plan §2(10)) is never held back by the complaint limits: it has its own per-address
limit, RESCUE_REPORTS_PER_HOUR, far higher (one building's residents may share a carrier's address); a phone number
over its complaint limit still files it, only without the confirmation text. The tracking page of a trapped report
shows whom the platform told and how far the rescue has come, and refreshes itself while the incident is open.
"""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from departments.choices import Category
from elevator_portal.forms import add_service_errors

from .forms import MIN_FILL_SECONDS, CloseForm, ComplaintForm, started_token
from .incidents import incident_progress, resident_report
from .models import Complaint
from .ratelimits import is_limited
from .selectors import complaint_public_status, elevator_for_complaint
from .services import complaint_close, complaint_submit

RATE_GROUP = "complaints"
# Reports of a trapped passenger count against their own, much higher limit (settings.RESCUE_REPORTS_PER_HOUR).
RESCUE_RATE_GROUP = "rescue-reports"
# The tracking page of an open incident reloads itself this often (seconds), so the resident sees 接警 and 到场.
TRACK_REFRESH_SECONDS = 15
# The browser that filed a complaint may close and rate it without further proof. It remembers its last tracking
# numbers in a cookie signed by the server (so it cannot be forged), not in a session: a session would cost every
# complaint a session row (a lookup, an insert and a second commit) just to hold this list.
FILED_COOKIE, FILED_SALT, FILED_KEEP = "filed_complaints", "complaints.filed", 20
# The service names the elevator; the form asks for its code.
SERVICE_FIELDS = {"elevator": "elevator_code"}


def client_ip(request) -> str:
    """The client's address. Only REMOTE_ADDR is trusted (X-Forwarded-For can be forged by anyone): a reverse proxy
    in front of the portal must set REMOTE_ADDR to the real client address (README "Deploying")."""
    return request.META.get("REMOTE_ADDR", "")


def _phone_key(group, request) -> str:
    return "phone:" + "".join(request.POST.get("contact_phone", "").split())


def _rate_limited(request) -> bool:
    """Count this submission against the client IP and, when one is given, the phone number."""
    by_ip = is_limited(
        request, group=RATE_GROUP, key=lambda group, r: "ip:" + client_ip(r), rate=settings.COMPLAINT_RATE_PER_IP
    )
    by_phone = bool(request.POST.get("contact_phone", "").strip()) and is_limited(
        request, group=RATE_GROUP, key=_phone_key, rate=settings.COMPLAINT_RATE_PER_PHONE
    )
    return by_ip or by_phone


def _trapped_rate_limited(request) -> bool:
    """A trapped report counts against the client IP's rescue allowance only (never the complaint limit)."""
    return is_limited(
        request,
        group=RESCUE_RATE_GROUP,
        key=lambda group, r: "ip:" + client_ip(r),
        rate=f"{settings.RESCUE_REPORTS_PER_HOUR}/h",
    )


def _phone_may_be_texted(request) -> bool:
    """Whether a trapped report may text its confirmation to the phone number given: the number's complaint
    allowance is shared by every way in, so that no one floods a resident's phone by reporting in their name."""
    if not request.POST.get("contact_phone", "").strip():
        return True
    return not is_limited(request, group=RATE_GROUP, key=_phone_key, rate=settings.COMPLAINT_RATE_PER_PHONE)


def filed_here(request) -> list[str]:
    """The tracking numbers this browser filed, newest last."""
    signed = request.get_signed_cookie(FILED_COOKIE, default="", salt=FILED_SALT, max_age=settings.SESSION_COOKIE_AGE)
    # Browsers that filed before the cookie kept the list in their session.
    return [*request.session.get("filed_complaints", []), *filter(None, signed.split("-"))]


def _remember_filed(request, response, tracking_no: str) -> None:
    numbers = [n for n in filed_here(request) if n != tracking_no][-(FILED_KEEP - 1) :] + [tracking_no]
    response.set_signed_cookie(
        FILED_COOKIE,
        "-".join(numbers),
        salt=FILED_SALT,
        max_age=settings.SESSION_COOKIE_AGE,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


def _photos(files) -> list[tuple[str, bytes]]:
    # Read one byte over the limit at most: the service then refuses the photo without a huge file in memory.
    return [(f.name, f.read(settings.COMPLAINT_PHOTO_MAX_BYTES + 1)) for f in files]


def _render_form(request, form, *, elevator=None, status=200):
    return render(request, "complaints/new.html", {"form": form, "elevator": elevator or form.elevator}, status=status)


def _refuse(request, form, message: str, *, status: int = 200):
    """Re-show the form (with a fresh start time) and a message; nothing is filed."""
    form.data = form.data.copy()
    form.data["started"] = started_token()
    form.data["website"] = ""
    messages.error(request, message)
    return _render_form(request, form, elevator=form.elevator, status=status)


@require_http_methods(["GET", "POST"])
def complaint_new(request):
    """The public complaint form; `?elevator=<registration or rescue code>` pre-fills the elevator."""
    if request.method == "GET":
        code = "".join(request.GET.get("elevator", "").split())
        elevator = elevator_for_complaint(code=code) if code.isdigit() and len(code) in (5, 6, 20) else None
        form = ComplaintForm(initial={"elevator_code": code if elevator else ""})
        return _render_form(request, form, elevator=elevator)

    form = ComplaintForm(request.POST, request.FILES)
    trapped = form.is_trapped
    if _trapped_rate_limited(request) if trapped else _rate_limited(request):
        return _refuse(
            request,
            form,
            _("提交过于频繁，请稍后再试。如有人被困，请立即拨打%(tel)s或119。") % {"tel": settings.EMERGENCY_HOTLINE},
            status=429,
        )
    if form.is_honeypot_filled():
        # Quietly: a script learns nothing about why it was refused.
        return _refuse(request, form, _("提交未成功，请检查填写的内容后重新提交。"))
    elapsed = form.fill_seconds()
    if elapsed is None:
        return _refuse(request, form, _("页面已过期，请检查填写的内容后重新提交。"))
    if elapsed < MIN_FILL_SECONDS:
        return _refuse(request, form, _("提交太快了，请确认填写的内容后再次提交。"))
    if not form.is_valid():
        return _render_form(request, form)

    data = form.cleaned_data
    try:
        complaint = complaint_submit(
            elevator=form.elevator,
            address=data["address"],
            district=data["district"],
            # Someone trapped: the service files it as an entrapment whatever category was (not) chosen.
            category=Category.ENTRAPMENT if trapped and not data["category"] else data["category"],
            description=data["description"],
            trapped_now=trapped,
            contact_name=data["contact_name"],
            contact_phone=data["contact_phone"],
            contact_email=data["contact_email"],
            photos=_photos(data["photos"]),
            ip=client_ip(request),
            tell_resident=_phone_may_be_texted(request) if trapped else True,
        )
    except ValidationError as error:
        add_service_errors(form, error, fields=SERVICE_FIELDS)
        return _render_form(request, form)
    messages.success(
        request,
        format_html(
            '{} <strong class="fs-4 code" id="new-tracking-no">{}</strong><br>{}',
            _("困人报告已收到，查询编号：") if trapped else _("投诉已提交，查询编号："),
            complaint.tracking_no,
            _("请保存此编号，凭它查看救援进度。") if trapped else _("请保存此编号，凭它查询办理进度。"),
        ),
    )
    response = redirect("complaints:track", tracking_no=complaint.tracking_no)
    _remember_filed(request, response, complaint.tracking_no)
    return response


def track(request, tracking_no):
    """The public status of a complaint: status, public events, answer and the resident's own description (phone
    numbers and e-mail addresses in it masked); no name, phone, e-mail or internal notes. A trapped report also
    shows the incident's progress."""
    complaint = complaint_public_status(tracking_no=tracking_no)
    if complaint is None:
        raise Http404
    report = resident_report(tracking_no=tracking_no)
    incident = incident_progress(fault_id=report.incident_id)
    return render(
        request,
        "complaints/track.html",
        {
            "complaint": complaint,
            "description": report.description,
            "incident": incident,
            "refresh_seconds": TRACK_REFRESH_SECONDS if incident and incident.is_open else None,
            "close_form": CloseForm() if complaint.can_close else None,
            "filed_here": tracking_no in filed_here(request),
        },
    )


@require_POST
def close(request, tracking_no):
    """The resident closes an answered complaint, with an optional 1–5 star rating."""
    if is_limited(
        request,
        group=f"{RATE_GROUP}-close",
        key=lambda group, r: "ip:" + client_ip(r),
        rate=settings.COMPLAINT_RATE_PER_IP,
    ):
        messages.error(request, _("操作过于频繁，请稍后再试。"))
        return redirect("complaints:track", tracking_no=tracking_no)
    form = CloseForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请选择1至5星的评价。"))
        return redirect("complaints:track", tracking_no=tracking_no)
    try:
        complaint_close(
            tracking_no=tracking_no,
            rating=form.cleaned_data["rating"],
            phone_last4=form.cleaned_data.get("phone_last4") or None,
            filed_in_session=tracking_no in filed_here(request),
        )
    except Complaint.DoesNotExist:
        raise Http404 from None
    except PermissionDenied as error:
        messages.error(request, str(error))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("感谢您的评价，投诉已办结。"))
    return redirect("complaints:track", tracking_no=tracking_no)
