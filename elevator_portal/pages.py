"""Helpers shared by the staff pages."""

from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.utils.translation import gettext as _

PAGE_SIZE = 50


def paginate(request, queryset, per_page: int = PAGE_SIZE) -> tuple[Page, str]:
    """The requested page, and the query string without `page` for the pagination links."""
    query = request.GET.copy()
    query.pop("page", None)
    return Paginator(queryset, per_page).get_page(request.GET.get("page")), query.urlencode()


def require(allowed: bool) -> None:
    """A page refused to this user (an accounts.access decision passed in): 403 with the portal's message."""
    if not allowed:
        raise PermissionDenied(_("您没有权限访问此页面。"))
