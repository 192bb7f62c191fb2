"""API token authentication (`Authorization: Token <key>`, as DRF's TokenAuthentication, so clients need no change)
against accounts.ApiToken, which stores only a SHA-256 of each key and an expiry (issue 14)."""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication

from .models import ApiToken

logger = logging.getLogger(__name__)
# last_used_at is written at most this often per token, not on every request of a busy client.
LAST_USED_RESOLUTION = timedelta(minutes=5)
FAILURE_WINDOW_SECONDS = 60 * 60


def _failure_key(request) -> str:
    return "api-token-failures:" + request.META.get("REMOTE_ADDR", "")


def _failures(request) -> int:
    try:
        return cache.get(_failure_key(request), 0)
    except Exception:  # noqa: BLE001 - the cache (Redis) is down: not counted, nothing fails
        logger.error("API token failures not counted: the cache is unreachable", exc_info=True)
        return 0


def _count_failure(request) -> None:
    key = _failure_key(request)
    try:
        if not cache.add(key, 1, FAILURE_WINDOW_SECONDS):
            cache.incr(key)
    except Exception:  # noqa: BLE001 - as above
        logger.error("API token failure not counted: the cache is unreachable", exc_info=True)


class ApiTokenAuthentication(TokenAuthentication):
    keyword = "Token"
    model = ApiToken

    def authenticate(self, request):
        """Throttled per address (issue 14): after API_TOKEN_FAILURES_PER_HOUR wrong or expired tokens from one
        address within an hour, its requests with a token are refused (429) until the hour is over."""
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if not header.startswith(f"{self.keyword} "):
            return None  # no token: nothing to count (session or anonymous)
        if _failures(request) >= settings.API_TOKEN_FAILURES_PER_HOUR:
            raise exceptions.Throttled(detail=_("令牌错误次数过多，请一小时后再试。"))
        try:
            return super().authenticate(request)
        except exceptions.AuthenticationFailed:
            _count_failure(request)
            raise

    def authenticate_credentials(self, key):
        prefix = key[: ApiToken.PREFIX_LENGTH]
        candidates = ApiToken.objects.select_related("user").filter(prefix=prefix) if prefix else []
        token = next((t for t in candidates if t.matches(key)), None)
        if token is None:
            raise exceptions.AuthenticationFailed(_("令牌无效。"))
        if token.expired:
            raise exceptions.AuthenticationFailed(_("令牌已过期，请重新申请。"))
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("用户已停用或已删除。"))
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.user, token
