from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .choices import ReminderKind


class Notification(models.Model):
    """A message in a user's in-portal inbox (one digest per recipient per job run)."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("收件人"), on_delete=models.CASCADE, related_name="notifications"
    )
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"))
    link = models.CharField(_("链接"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)
    read_at = models.DateTimeField(_("阅读时间"), null=True, blank=True)
    emailed = models.BooleanField(_("已发邮件"), default=False)

    class Meta:
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at"], name="notification_unread_idx")]

    def __str__(self):
        return self.title


class Reminder(models.Model):
    """A reminder sent once per subject, stage and cycle; the unique key makes a second send impossible."""

    kind = models.CharField(_("提醒类型"), max_length=32, choices=ReminderKind.choices)
    # "elevator:<id>", "organization:<id>" or "person:<id>"
    subject_key = models.CharField(_("对象"), max_length=40)
    # The validity end date the reminder is about: a new inspection or licence starts a new cycle.
    cycle = models.DateField(_("有效期至"))
    elevator = models.ForeignKey("registry.Elevator", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    organization = models.ForeignKey(
        "registry.Organization", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    person = models.ForeignKey("registry.Person", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    run_id = models.UUIDField(_("任务批次"), db_index=True)
    created_at = models.DateTimeField(_("发送时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("到期提醒")
        verbose_name_plural = _("到期提醒")
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["kind", "subject_key", "cycle"], name="reminder_once_per_cycle")]

    def __str__(self):
        return f"{self.get_kind_display()} {self.subject_key} {self.cycle}"
