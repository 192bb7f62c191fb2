from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
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
