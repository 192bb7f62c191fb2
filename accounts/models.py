import hashlib
import hmac
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .choices import Role

# Which organisation kind a role's user must belong to (None: any government body).
ROLE_ORGANIZATION_KIND = {
    Role.CITY_REGULATOR: "regulator",
    Role.DISTRICT_REGULATOR: "regulator",
    Role.DEPARTMENT: "department",
    Role.USE_UNIT: "use_unit",
    Role.MAINTENANCE: "maintenance",
    Role.INSPECTION: "inspection",
    Role.RESCUE_CENTRE: "regulator",  # the 96333 centre is run by the city's market supervision bureau
}


class User(AbstractUser):
    """A person who logs in; what they see follows from their role and organisation (accounts.access)."""

    role = models.CharField(_("角色"), max_length=32, choices=Role.choices, blank=True)
    organization = models.ForeignKey(
        "registry.Organization",
        verbose_name=_("所属单位"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
    )
    phone = models.CharField(_("手机号"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    def clean(self):
        super().clean()
        if not self.role:
            return
        if self.organization_id is None:
            raise ValidationError(
                {"organization": _("角色为“%(role)s”的用户必须属于一个单位。") % {"role": self.get_role_display()}}
            )
        expected = ROLE_ORGANIZATION_KIND[Role(self.role)]
        if self.organization.kind != expected:
            raise ValidationError(
                {
                    "organization": _("角色“%(role)s”的用户必须属于%(kind)s。")
                    % {"role": self.get_role_display(), "kind": self.organization.kind_label_for(expected)}
                }
            )
        if self.role == Role.DISTRICT_REGULATOR and self.organization.district_id is None:
            raise ValidationError({"organization": _("区县监管人员必须属于一个区县的监管部门。")})
        if self.role in (Role.CITY_REGULATOR, Role.RESCUE_CENTRE) and self.organization.district_id is not None:
            raise ValidationError({"organization": _("市级监管人员必须属于市级监管部门。")})

    @property
    def district_id(self):
        """The district a district regulator oversees."""
        return self.organization.district_id if self.organization_id else None


def hash_key(key: str) -> str:
    """SHA-256 of an API key or partner key: what is stored instead of the key (issue 14). The keys are 160 random
    bits, so a fast hash is enough (no dictionary to try)."""
    return hashlib.sha256(key.encode()).hexdigest()


def new_key() -> str:
    """40 hexadecimal characters (160 random bits), the shape DRF's tokens had, so clients need no change."""
    return secrets.token_hex(20)


class HashedKeyMixin:
    """What a model that stores a key only as its SHA-256 does (ApiToken, complaints.PartnerKey; issue 14): the clear
    key lives only on the instance that issued it (`.key`, shown once); saving a new row issues one; the expiry is
    `key_days()` days after issue unless set. The model has the fields `prefix`, `key_hash`, `created_at` and
    `expires_at`."""

    PREFIX_LENGTH = 8

    def __init__(self, *args, **kwargs):
        self._key = None
        super().__init__(*args, **kwargs)

    def key_days(self) -> int:
        raise NotImplementedError

    def save(self, *args, **kwargs):
        if not self.key_hash:
            self.key = new_key()
        if self.expires_at is None:
            self.expires_at = self.created_at + timedelta(days=self.key_days())
        super().save(*args, **kwargs)

    @property
    def key(self) -> str | None:
        """The clear key: set only on the instance that issued it (or was given it), never read back."""
        return self._key

    @key.setter
    def key(self, value: str) -> None:
        self._key = value
        self.prefix = value[: self.PREFIX_LENGTH]
        self.key_hash = hash_key(value)

    def matches(self, key: str) -> bool:
        return hmac.compare_digest(self.key_hash, hash_key(key))

    @property
    def expired(self) -> bool:
        return self.expires_at <= timezone.now()


class ApiToken(HashedKeyMixin, models.Model):
    """An API token (`Authorization: Token <key>`, accounts.authentication): only its SHA-256 is stored, with its
    first 8 characters to find it and to tell tokens apart; it expires (API_TOKEN_DAYS). The key itself exists only
    on the instance that issued it (`.key`), to be shown once (`manage.py issue_api_token`)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("用户"), on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("用途"), max_length=100, blank=True)
    prefix = models.CharField(_("前缀"), max_length=HashedKeyMixin.PREFIX_LENGTH, db_index=True, editable=False)
    key_hash = models.CharField(_("密钥摘要"), max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("签发时间"), default=timezone.now, editable=False)
    expires_at = models.DateTimeField(_("到期时间"))
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("API令牌")
        verbose_name_plural = _("API令牌")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.prefix}… {self.name or self.user}"

    def key_days(self) -> int:
        return settings.API_TOKEN_DAYS
