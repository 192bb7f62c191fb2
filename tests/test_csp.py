"""Production settings of issue 14: the Content-Security-Policy, the API's renderers and schema, unknown methods.

The browser side of the policy (no violation on the main pages) is tests/browser/test_csp_browser.py.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import override_settings

from accounts.models import ApiToken

ROOT = Path(__file__).resolve().parents[1]


def api_token(user) -> str:
    """A key for `Authorization: Token <key>` (accounts.ApiToken stores only its hash)."""
    return ApiToken.objects.create(user=user).key


def directives(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    parts = [p.strip().split() for p in header.split(";") if p.strip()]
    return {p[0]: p[1:] for p in parts}


def test_every_page_carries_a_policy_that_allows_only_the_portals_own_files(client, db):
    policy = directives(client.get("/"))
    for name in ("default-src", "script-src", "style-src", "font-src", "connect-src"):
        assert "'self'" in policy[name], name
    assert policy["img-src"] == ["'self'", "data:"]  # Bootstrap's icons are data: SVG
    assert policy["object-src"] == ["'none'"] and policy["frame-ancestors"] == ["'none'"]
    # Never inline script; inline style only in style="" attributes (settings.py says why).
    assert not [s for s in policy["script-src"] + policy["style-src"] if s in ("'unsafe-inline'", "'unsafe-eval'")]
    assert policy["style-src-attr"] == ["'unsafe-inline'"]
    assert not any("http" in s or s == "*" for values in policy.values() for s in values)


def test_an_inline_block_runs_only_with_the_nonce_of_its_own_response(client, world):
    first = client.get(f"/e/{world['a'].registration_code}/sign/")
    assert first.status_code == 200
    nonce = re.search(r'<style nonce="([^"]+)">', first.content.decode()).group(1)
    assert f"'nonce-{nonce}'" in directives(first)["style-src"]
    second = client.get(f"/e/{world['a'].registration_code}/sign/")
    assert f"'nonce-{nonce}'" not in second["Content-Security-Policy"]


TEMPLATE_DIRS = [ROOT / "templates", *ROOT.glob("*/templates"), *ROOT.glob("*/*/templates")]


def templates():
    for folder in TEMPLATE_DIRS:
        yield from folder.rglob("*.html")


def test_no_template_has_an_inline_handler_or_an_inline_block_without_the_nonce():
    handler = re.compile(r"<[^>]*\son[a-z]+\s*=", re.IGNORECASE)
    block = re.compile(r"<(script|style)(\s[^>]*)?>", re.IGNORECASE)
    offences = []
    for path in templates():
        text = path.read_text()
        offences += [f"{path}: inline handler" for _ in handler.finditer(text)]
        offences += [f"{path}: javascript: URL" for _ in re.finditer(r"""href=["']javascript:""", text)]
        for match in block.finditer(text):
            attributes = match.group(2) or ""
            if "src=" not in attributes and "nonce=" not in attributes:
                offences.append(f"{path}: <{match.group(1)}> without src or nonce")
    assert list(templates()) and offences == []


def test_the_schema_needs_a_signed_in_user_unless_it_is_made_public(client, world):
    assert client.get("/api/schema/").status_code == 401
    token = api_token(world["users"]["maintenance"])
    assert client.get("/api/schema/", HTTP_AUTHORIZATION=f"Token {token}").status_code == 200
    with override_settings(API_SCHEMA_PUBLIC=True):
        assert client.get("/api/schema/").status_code == 200


def test_the_api_docs_send_a_browser_to_the_login_page_and_run_under_the_policy(client, world):
    response = client.get("/api/docs/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/?next=/api/docs/")
    client.force_login(world["users"]["city"])
    page = client.get("/api/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "<script>" not in html and '<script src="/api/docs/?script=' in html
    nonce = re.search(r'<style nonce="([^"]+)">', html).group(1)
    assert f"'nonce-{nonce}'" in directives(page)["style-src"]
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200 and script["Content-Type"].startswith("application/javascript")
    assert client.options("/api/docs/").status_code == 405  # was a 500 (no template for DRF's OPTIONS answer)
    with override_settings(API_SCHEMA_PUBLIC=True):
        client.logout()
        assert client.get("/api/docs/").status_code == 200


@pytest.mark.parametrize(
    ("method", "url"),
    [("TRACE", "/"), ("TRACE", "/healthz"), ("TRACE", "/api/v1/elevators/"), ("FOO", "/"), ("CONNECT", "/e/x/")],
)
def test_trace_and_unknown_methods_are_refused_before_any_view(client, db, method, url):
    response = client.generic(method, url)
    assert response.status_code == 405
    assert "TRACE" not in response["Allow"] and "GET" in response["Allow"]
    assert response.content == b""


def test_get_still_answers(client, db):
    assert client.get("/").status_code == 200 and client.get("/healthz").status_code in (200, 503)


@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("/api/v1/firm-grades/?firm_id=-4.674655476108458e%2B87", "firm_id"),
        ("/api/v1/elevators/?maintenance_firm_id=-1.7976931348623155e%2B308", "maintenance_firm_id"),
        ("/api/v1/faults/?firm_id=-8.597029811123421e%2B99", "firm_id"),
        ("/api/v1/inspection-applications/?elevator_id=99999999999999999999", "elevator_id"),
        ("/api/v1/risk-flags/?district_id=120724328773318606848&district_id=254", "district_id"),
    ],
)
def test_an_id_filter_beyond_64_bits_is_a_400_naming_it(client, world, url, name):
    """Found by tests/test_schemathesis.py: these were 500s (SQLite's driver overflowed)."""
    client.force_login(world["users"]["city"])
    response = client.get(url)
    assert response.status_code == 400 and name in response.json()
    valid = world["a"].district_id if name == "district_id" else 1  # a district filter takes existing ones only
    assert client.get(url.split("?")[0] + f"?{name}={valid}").status_code == 200


def production_settings(code: str, **env: str) -> str:
    environment = {k: v for k, v in os.environ.items() if k not in ("API_BROWSABLE", "API_SCHEMA_PUBLIC")}
    environment.update(DEBUG="false", SECRET_KEY="x" * 60, ALLOWED_HOSTS="portal.example.cn", **env)
    result = subprocess.run(
        [sys.executable, "-c", f"import elevator_portal.settings as s; print({code})"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


@pytest.mark.slow
def test_production_serves_json_only_unless_the_browsable_api_is_configured_on():
    renderers = "s.REST_FRAMEWORK['DEFAULT_RENDERER_CLASSES']"
    assert production_settings(renderers) == "['rest_framework.renderers.JSONRenderer']"
    assert "BrowsableAPIRenderer" in production_settings(renderers, API_BROWSABLE="true")
    assert production_settings("s.API_SCHEMA_PUBLIC") == "False"
    # HTTPS from the environment, on by default in production.
    assert production_settings("(s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS)") == "(True, 31536000)"
    assert production_settings("s.SECURE_HSTS_SECONDS", SECURE_HSTS_SECONDS="600") == "600"
