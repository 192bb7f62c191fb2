"""The Content-Security-Policy enforced in a real browser (issue 14; settings CONTENT_SECURITY_POLICY): the main pages,
public and staff, load and run their scripts with no violation, and the behaviour moved out of inline handlers into
static/js/portal.js still works."""

import pytest
from django.urls import reverse

from complaints.services import complaint_submit
from departments.choices import Category

from ..factories import make_record
from .conftest import DESKTOP, login

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

# Recorded before any of the page's own scripts run: every violation the browser reports, enforced or not.
LISTEN = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " at " + e.sourceFile + ":" + e.lineNumber)
});
"""


def watched(page_factory):
    page = page_factory(DESKTOP)
    page.add_init_script(LISTEN)
    problems = []
    page.on("console", lambda m: "Content Security Policy" in m.text and problems.append(f"console: {m.text}"))
    page.on("pageerror", lambda error: problems.append(f"error: {error}"))
    return page, problems


def visit(page, problems, url: str, ready: str = "body") -> list[str]:
    response = page.goto(url)
    assert response.ok, f"{url}: {response.status}"
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.wait_for_selector(ready)
    page.wait_for_timeout(400)  # charts, polls and late scripts
    found = [f"{url}: {p}" for p in problems + page.evaluate("window.__csp")]
    problems.clear()
    return found


def test_the_main_pages_raise_no_policy_violation(live_server, page_factory, world, plan):
    base = live_server.url
    elevator = world["a"]
    complaint = complaint_submit(
        elevator=elevator, category=Category.ENTRAPMENT, description="有人被困", trapped_now=True, tell_resident=False
    )
    found = []
    public, problems = watched(page_factory)
    for url, ready in [
        ("/", "main"),
        (f"/e/{elevator.registration_code}/", "main"),
        (f"/e/{elevator.registration_code}/sign/", ".sign"),
        (f"/complaints/new/?elevator={elevator.registration_code}", "#complaint-elevator"),
        (reverse("complaints:track", args=[complaint.tracking_no]), "#rescue-progress"),
        (reverse("dashboards:bulletin"), "main"),
    ]:
        found += visit(public, problems, base + url, ready)
    # The bulletin's print button (was onclick=) calls window.print through portal.js.
    public.evaluate("() => { window.__printed = 0; window.print = () => { window.__printed += 1; }; }")
    public.click("[data-print]")
    assert public.evaluate("window.__printed") == 1

    city, problems = watched(page_factory)
    login(city, base, world["users"]["city"].username)
    for url, ready in [
        (reverse("dashboards:board"), "canvas"),
        (reverse("registry:elevator_list"), "main table"),
        (reverse("elevator_history", args=[elevator.pk]), "main"),
        ("/api/docs/", ".swagger-ui .info"),
    ]:
        found += visit(city, problems, base + url, ready)

    firm, problems = watched(page_factory)
    login(firm, base, world["users"]["maintenance"].username)
    found += visit(firm, problems, base + reverse("rescue:console"), "#rescue-console")
    found += visit(firm, problems, base + reverse("maintenance:records"), "main")
    assert found == []


def test_a_confirm_question_moved_out_of_onsubmit_still_guards_the_form(live_server, page_factory, world):
    record = make_record(world)  # submitted, not confirmed: the firm may delete it, after a question
    page, problems = watched(page_factory)
    login(page, live_server.url, world["users"]["maintenance"].username)
    assert visit(page, problems, live_server.url + reverse("maintenance:record_detail", args=[record.pk])) == []
    form = page.locator("form[data-confirm]").first
    questions = []
    page.once("dialog", lambda dialog: (questions.append(dialog.message), dialog.dismiss()))
    form.locator("button[type=submit]").click()
    page.wait_for_timeout(300)
    assert questions and questions[0] == form.get_attribute("data-confirm")
    assert page.url.endswith(reverse("maintenance:record_detail", args=[record.pk]))  # dismissed: not sent
