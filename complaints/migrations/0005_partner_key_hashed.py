"""Open311 partner keys stored hashed, with an expiry (issue 14): each existing key keeps working (its SHA-256 and
first 8 characters are stored, expiring OPEN311_KEY_DAYS from now), then the clear column is dropped. Going back
restores the column with each row's hash in it (the clear keys are gone; partners need new keys)."""

import hashlib
from datetime import timedelta

import django.utils.timezone
from django.conf import settings
from django.db import migrations, models
from django.utils import timezone


def hash_keys(apps, schema_editor):
    PartnerKey = apps.get_model("complaints", "PartnerKey")
    expires = timezone.now() + timedelta(days=settings.OPEN311_KEY_DAYS)
    for partner in PartnerKey.objects.all():
        partner.prefix = partner.key[:8]
        partner.key_hash = hashlib.sha256(partner.key.encode()).hexdigest()
        partner.expires_at = expires
        partner.save(update_fields=["prefix", "key_hash", "expires_at"])


def unhash_keys(apps, schema_editor):
    PartnerKey = apps.get_model("complaints", "PartnerKey")
    PartnerKey.objects.update(key=models.F("key_hash"))


class Migration(migrations.Migration):
    dependencies = [
        ("complaints", "0004_complaint_incident"),
    ]

    operations = [
        migrations.AddField(
            model_name="partnerkey",
            name="created_at",
            field=models.DateTimeField(default=django.utils.timezone.now, editable=False, verbose_name="签发时间"),
        ),
        migrations.AddField(
            model_name="partnerkey",
            name="expires_at",
            field=models.DateTimeField(
                blank=True, null=True, help_text="留空则按默认有效期。", verbose_name="到期时间"
            ),
        ),
        migrations.AddField(
            model_name="partnerkey",
            name="key_hash",
            field=models.CharField(editable=False, max_length=64, null=True, verbose_name="密钥摘要"),
        ),
        migrations.AddField(
            model_name="partnerkey",
            name="last_used_at",
            field=models.DateTimeField(blank=True, editable=False, null=True, verbose_name="最近使用"),
        ),
        migrations.AddField(
            model_name="partnerkey",
            name="prefix",
            field=models.CharField(default="", editable=False, max_length=8, verbose_name="前缀"),
            preserve_default=False,
        ),
        migrations.AlterField(
            model_name="partnerkey",
            name="key",
            field=models.CharField(max_length=64, null=True, verbose_name="密钥"),
        ),
        migrations.RunPython(hash_keys, unhash_keys, elidable=False),
        migrations.RemoveField(model_name="partnerkey", name="key"),
        migrations.AlterField(
            model_name="partnerkey",
            name="key_hash",
            field=models.CharField(editable=False, max_length=64, unique=True, verbose_name="密钥摘要"),
        ),
        migrations.AlterField(
            model_name="partnerkey",
            name="expires_at",
            field=models.DateTimeField(blank=True, help_text="留空则按默认有效期。", verbose_name="到期时间"),
        ),
    ]
