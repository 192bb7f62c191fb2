from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .choices import Channel, DeliveryState, ReminderKind


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


class OutboxMessage(models.Model):
    """A message that must reach a person (alarms, escalations), written in the transaction of what it tells.

    A worker delivers it (notifications.outbox), retrying with backoff until the channel takes it: a broker, mail
    or SMS outage delays it, nothing loses it. `key` makes each message once: a job run twice, or by two workers
    at once, writes no second row (docs/rules.md "Entrapment rescue loop")."""

    key = models.CharField(_("消息键"), max_length=160, unique=True)
    channel = models.CharField(_("渠道"), max_length=8, choices=Channel.choices)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("收件人"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    # The phone number or e-mail address (a duty-roster phone may belong to no login); empty for the inbox.
    address = models.CharField(_("地址"), max_length=254, blank=True)
    name = models.CharField(_("收件人姓名"), max_length=50, blank=True)
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"))
    link = models.CharField(_("链接"), max_length=255, blank=True)
    # What the message is about, for the regulators' view ("fault:<id>") and its scope.
    subject_key = models.CharField(_("事由"), max_length=40, db_index=True)
    district = models.ForeignKey(
        "registry.District", verbose_name=_("区县"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    state = models.CharField(_("状态"), max_length=10, choices=DeliveryState.choices, default=DeliveryState.PENDING)
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    next_attempt_at = models.DateTimeField(_("下次尝试时间"))
    last_error = models.CharField(_("最近错误"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("创建时间"))
    delivered_at = models.DateTimeField(_("送达时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("待发消息")
        verbose_name_plural = _("待发消息")
        ordering = ["-created_at", "-id"]
        indexes = [
            # The worker's question, many times a minute: what is due now (a handful of rows).
            models.Index(fields=["next_attempt_at"], condition=models.Q(state="pending"), name="outbox_due_idx"),
        ]

    def __str__(self):
        return f"{self.get_channel_display()} {self.name or self.address} {self.title}"
