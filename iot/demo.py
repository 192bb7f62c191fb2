"""Demo devices (GB/T 24476-2017 monitoring terminals) on a few demo elevators; seed_demo calls seed_iot_demo.

The demo secrets are derived from the device id (never do this for a real device: each gets a random secret when it
is registered), so that the sample events in iot/samples/ can be signed again by `manage.py replay_iot_events`."""

import hashlib

from django.utils import timezone

from .models import Device

DEMO_VENDOR = "攀枝花梯联科技（演示）"
DEVICES_PER_RUN = 4


def demo_secret(device_id: str) -> str:
    return hashlib.sha256(f"demo-iot-secret:{device_id}".encode()).hexdigest()


def seed_iot_demo(*, elevators) -> list[Device]:
    """One device on each of the first few `elevators` (a queryset or list), idempotent: PZH-IOT-0001, -0002, …"""
    now = timezone.now()
    devices = []
    for number, elevator in enumerate(list(elevators)[:DEVICES_PER_RUN], start=1):
        device_id = f"PZH-IOT-{number:04d}"
        device, _ = Device.objects.get_or_create(
            device_id=device_id,
            defaults={
                "elevator": elevator,
                "vendor": DEMO_VENDOR,
                "secret": demo_secret(device_id),
                "registered_at": now,
                "last_seen_at": now,
                "online": True,
            },
        )
        devices.append(device)
    return devices
