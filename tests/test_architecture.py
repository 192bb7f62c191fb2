"""The architecture holds (docs/architecture.md): dependencies point one way, and role decisions stay in accounts.

Every import in the project's code counts, function-level ones included: a lower layer that needs something of a
higher one gets it passed in (a queryset, a callable) or the code moves up.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Lowest first; each may import only itself and what comes before it. A dotted name is a sub-domain with its own
# place (maintenance.faults sits above maintenance's records and contracts, below complaints, which open faults).
LAYERS = [
    "elevator_portal",  # settings-free helpers: dates, files, forms, pages, exports, the API's exception handler
    "accounts",  # users, roles, and who may see and change what (accounts.access)
    "workdays",  # the working-day calendar (its admin asks accounts.access); complaint deadlines count with it
    "registry",
    "notifications",
    "departments",
    "inspections",
    "maintenance",
    "maintenance.faults",
    "rescue",  # the entrapment rescue loop: incidents are entrapment faults; complaints report into it
    "preparedness",  # use units ready before it happens: safety managers, plans, drills, insurance (plan §2(7), §2(12))
    "iot",  # monitoring devices' events (GB/T 24476-2017): entrapments report into the rescue loop
    "complaints",
    "maintenance.credit",
    "monitoring",
    "dashboards",
    "demo",
    "bench",
]
# The project's wiring reads every app; nothing imports it.
PROJECT = {"elevator_portal.urls", "elevator_portal.settings", "elevator_portal.wsgi"}


def unit_of(module: str) -> str | None:
    """The layer a module belongs to (the longest matching name), or None outside the project."""
    matches = [layer for layer in LAYERS if module == layer or module.startswith(layer + ".")]
    return max(matches, key=len) if matches else None


def project_modules():
    for path in sorted(ROOT.rglob("*.py")):
        relative = path.relative_to(ROOT)
        if relative.parts[0] in (".venv", "tests", "var") or "migrations" in relative.parts:
            continue
        module = ".".join(relative.with_suffix("").parts).removesuffix(".__init__")
        if unit_of(module):
            yield module, path


def imported_modules(module: str, path: Path):
    """Every module an import statement names, anywhere in the file (line, target)."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module
            yield node.lineno, target
            for alias in node.names:  # `from maintenance import faults` imports the sub-domain
                yield node.lineno, f"{target}.{alias.name}"


def test_lower_layers_never_import_higher_ones():
    wrong = []
    for module, path in project_modules():
        if module in PROJECT:
            continue
        mine = LAYERS.index(unit_of(module))
        for line, target in imported_modules(module, path):
            if target in PROJECT:
                wrong.append(f"{path.relative_to(ROOT)}:{line} imports the project's {target}")
                continue
            theirs = unit_of(target)
            if theirs is not None and LAYERS.index(theirs) > mine:
                wrong.append(f"{path.relative_to(ROOT)}:{line} ({unit_of(module)}) imports {target} ({theirs})")
    assert not wrong, "\n".join(wrong)


def test_every_app_has_a_layer():
    from django.conf import settings

    ours = [app for app in settings.INSTALLED_APPS if (ROOT / app.replace(".", "/")).is_dir()]
    assert ours and all(unit_of(app) == app for app in ours), [app for app in ours if unit_of(app) != app]


@pytest.mark.parametrize(
    "module, target, expected",
    [
        ("maintenance.services", "maintenance.faults.rules", "maintenance.faults"),
        ("maintenance.faults.views", "maintenance.models", "maintenance"),
        ("elevator_portal.dates", "elevator_portal.pages", "elevator_portal"),
    ],
)
def test_sub_domains_are_told_apart(module, target, expected):
    assert unit_of(target) == expected
