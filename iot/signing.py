"""How a device signs an event (GB/T 24476-2017 leaves the security scheme to the platform).

The signature is the lowercase hex HMAC-SHA256, keyed with the device's secret (UTF-8), of the canonical string:

    device_id "\n" event_id "\n" kind "\n" occurred_at "\n" payload

where occurred_at is the string exactly as sent (ISO 8601 with its offset, e.g. "2026-12-01T09:30:00+08:00") and
payload is the event's payload as compact JSON with sorted keys and non-ASCII kept (Python:
`json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)`; "{}" for none)."""

import hashlib
import hmac
import json


def canonical(device_id: str, event_id: str, kind: str, occurred_at: str, payload: dict | None) -> bytes:
    body = json.dumps(payload or {}, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "\n".join((device_id, event_id, kind, occurred_at, body)).encode()


def sign(secret: str, device_id: str, event_id: str, kind: str, occurred_at: str, payload: dict | None = None) -> str:
    return hmac.new(
        secret.encode(), canonical(device_id, event_id, kind, occurred_at, payload), hashlib.sha256
    ).hexdigest()


def signed_event(secret: str, *, device_id: str, event_id: str, kind: str, occurred_at: str, payload=None) -> dict:
    """An event as a device sends it (for the demo, the samples, the tests and the benchmark)."""
    return {
        "device_id": device_id,
        "event_id": event_id,
        "kind": kind,
        "occurred_at": occurred_at,
        "payload": payload or {},
        "signature": sign(secret, device_id, event_id, kind, occurred_at, payload),
    }


def signature_ok(secret: str, event: dict, signature: str) -> bool:
    expected = sign(
        secret, event["device_id"], event["event_id"], event["kind"], event["occurred_at"], event["payload"]
    )
    return hmac.compare_digest(expected, signature.lower())
