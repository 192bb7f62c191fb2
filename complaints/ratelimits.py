"""The public submissions' abuse limits (django-ratelimit, counted in the shared cache), failing open.

When the cache cannot be reached (Redis down), a submission is let through uncounted and the outage is logged: a
resident whose neighbour is trapped must never get a server error, and the form's other protections (honeypot,
minimum fill time, validation) still hold (docs/rules.md "Entrapment rescue loop", "Complaint handling")."""

import logging

from django_ratelimit.core import is_ratelimited

logger = logging.getLogger(__name__)


def is_limited(request, **kwargs) -> bool:
    """Count this submission against the limit named by `kwargs` (group, key, rate); True when it is over it."""
    try:
        return is_ratelimited(request, increment=True, **kwargs)
    except Exception:  # noqa: BLE001 - whatever the cache client raises: the limit is not counted, nothing fails
        logger.error("rate limit %s not counted: the cache is unreachable", kwargs.get("group"), exc_info=True)
        return False
