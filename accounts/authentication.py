"""API token authentication (`Authorization: Token <key>`, as DRF's TokenAuthentication, so clients need no change)
against accounts.ApiToken, which stores only a SHA-256 of each key and an expiry (issue 14)."""

from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication

from .models import ApiToken

# last_used_at is written at most this often per token, not on every request of a busy client.
LAST_USED_RESOLUTION = timedelta(minutes=5)


class ApiTokenAuthentication(TokenAuthentication):
    keyword = "Token"
    model = ApiToken

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
