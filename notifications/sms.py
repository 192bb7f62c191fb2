"""SMS backends: `settings.SMS_BACKEND` names a class with `send(phone, text)`; the default only logs."""

import logging

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger("sms")


class LogBackend:
    """Writes the message to the log (development, and until the city's SMS gateway is configured)."""

    def send(self, phone: str, text: str) -> None:
        logger.info("SMS to %s****%s: %s", phone[:3], phone[-4:], text)


class MemoryBackend:
    """Keeps messages in `outbox` (tests)."""

    outbox: list[tuple[str, str]] = []

    def send(self, phone: str, text: str) -> None:
        MemoryBackend.outbox.append((phone, text))


def send_sms(phone: str, text: str) -> None:
    if phone:
        import_string(settings.SMS_BACKEND)().send(phone, text)
