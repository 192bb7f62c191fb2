from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect

from . import access
from .choices import Role

# Where each role starts its day after signing in.
START_PAGES = {
    Role.CITY_REGULATOR: "dashboards:board",
    Role.DISTRICT_REGULATOR: "dashboards:board",
    Role.USE_UNIT: "inspections:my_elevators",
    Role.MAINTENANCE: "maintenance:records",
    Role.INSPECTION: "inspections:applications",
    Role.DEPARTMENT: "complaints:staff_list",
}


@login_required
def start(request):
    if request.user.role in START_PAGES:
        return redirect(START_PAGES[Role(request.user.role)])
    return redirect("dashboards:board" if access.is_regulator(request.user) else "home")
