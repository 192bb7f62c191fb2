"""Role decisions are made in accounts only (accounts.access): no other module looks at a user's role.

A page, service, API view or job that needs to know what a user may do asks accounts.access a named question
(`can_confirm_record(user)`, `districts_for(user)`, `menu_for(user)`); it never tests `user.role` itself, so that a
rule changes in one place. The check reads every module's syntax tree, so comments, docstrings and strings that
merely contain the word "role" do not count, and an aliased import of `Role` does.

What counts as a role decision, anywhere in the project's Python code:
- reading or comparing `<anything>.role` (`==`, `!=`, `in`, `not in`, a dict lookup by role, ...);
- naming the roles: importing `Role` from accounts.choices, or using `Role.<MEMBER>` / `Role(...)`;
- querying by role: a keyword argument `role=...`, `role__in=...` or `..__role=...` (e.g. `User.objects.filter(
  role=...)`), since the role strings ("city_regulator", "maintenance", ...) would be spelled out there.

Where it is allowed:
- `accounts/` itself (the user model, its choices, accounts.access), migrations and tests;
- demo data modules (the `demo` app and every `<app>/demo.py`) may name roles and set `user.role`, because creating
  the demo logins (`role=Role.USE_UNIT`) is data, not a decision; they still may not read or compare a role.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
SKIPPED_TOP = {".venv", ".git", "tests", "var", "accounts", "node_modules", "static", "locale"}


def is_demo_module(relative: Path) -> bool:
    return relative.parts[0] == "demo" or relative.name == "demo.py"


def _role_keyword(name: str | None) -> bool:
    return name is not None and (name == "role" or name.startswith("role__") or "__role" in name)


def role_decisions(source: str, *, demo: bool = False) -> list[tuple[int, str]]:
    """(line, what) for every role decision in `source`; `demo`: the module creates demo data."""
    tree = ast.parse(source)
    role_names = {"Role"}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").endswith("accounts.choices"):
            for alias in node.names:
                if alias.name == "Role":
                    role_names.add(alias.asname or "Role")
                    if not demo:
                        found.append((node.lineno, "imports Role"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
            if any(isinstance(o, ast.Attribute) and o.attr == "role" for o in operands):
                found.append((node.lineno, "compares .role"))
        elif isinstance(node, ast.Attribute) and node.attr == "role":
            if not (demo and isinstance(node.ctx, ast.Store)):
                found.append((node.lineno, "uses .role"))
        elif isinstance(node, ast.Attribute) and node.attr == "Role" and not demo:
            found.append((node.lineno, "names accounts.choices.Role"))
        elif isinstance(node, ast.Name) and node.id in role_names and not demo:
            found.append((node.lineno, f"names {node.id}"))
        elif isinstance(node, ast.keyword) and _role_keyword(node.arg) and not demo:
            found.append((getattr(node, "lineno", 0), f"queries by {node.arg}="))
    # A comparison is also an attribute read: say it once, as the comparison.
    compared = {line for line, what in found if what == "compares .role"}
    return sorted({(line, what) for line, what in found if not (what == "uses .role" and line in compared)})


def project_files():
    for path in sorted(ROOT.rglob("*.py")):
        relative = path.relative_to(ROOT)
        if relative.parts[0] in SKIPPED_TOP or relative.parts[0].startswith(".") or "migrations" in relative.parts:
            continue
        yield relative, path


def test_no_role_decisions_outside_accounts():
    wrong = []
    for relative, path in project_files():
        findings = role_decisions(path.read_text(), demo=is_demo_module(relative))
        wrong += [f"{relative}:{line} {what}" for line, what in findings]
    assert not wrong, "Role decisions belong in accounts.access:\n" + "\n".join(wrong)


@pytest.mark.parametrize(
    "source",
    [
        "if user.role == Role.USE_UNIT: pass",
        "if request.user.role != 'maintenance': pass",
        "ok = user.role in ('city_regulator', 'district_regulator')",
        "ok = u.role not in ROLES",
        "ok = 'inspection' == user.role",
        "page = START[user.role]",
        "from accounts.choices import Role as R\nx = R.DEPARTMENT",
        "import accounts.choices\nx = accounts.choices.Role.USE_UNIT",
        "qs = User.objects.filter(role='district_regulator')",
        "qs = User.objects.filter(role__in=['use_unit'])",
        "qs = Complaint.objects.filter(created_by__role='department')",
    ],
)
def test_the_check_finds_role_decisions(source):
    assert role_decisions(source)


@pytest.mark.parametrize(
    "source",
    [
        "# user.role == Role.USE_UNIT is decided in accounts.access\nx = 1",
        "'''Role.MAINTENANCE and user.role are words here.'''",
        "label = user.get_role_display()",
        "kind = OrganizationKind.MAINTENANCE\nok = org.kind == 'maintenance'",
        "x = {'maintenance': 1}['maintenance']",
    ],
)
def test_the_check_ignores_what_is_no_role_decision(source):
    assert role_decisions(source) == []


def test_demo_data_may_create_users_with_a_role_but_not_decide_by_one():
    creating = (
        "from accounts.choices import Role\n"
        "USERS = [('wuye', Role.USE_UNIT)]\n"
        "User.objects.create(username='a', role=Role.MAINTENANCE)\n"
        "user.role = Role(role)\n"
    )
    assert role_decisions(creating, demo=True) == []
    assert role_decisions("if user.role == Role.USE_UNIT: pass", demo=True) == [(1, "compares .role")]
    assert is_demo_module(Path("demo/management/commands/seed_demo.py"))
    assert is_demo_module(Path("registry/demo.py"))
    assert not is_demo_module(Path("registry/services.py"))
