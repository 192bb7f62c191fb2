from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect

from . import access


@login_required
def start(request):
    return redirect(access.start_page(request.user))
