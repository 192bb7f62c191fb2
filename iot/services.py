"""IoT ingestion (GB/T 24476-2017; plan §2(14) 电梯物联网监测; plan §2(10) one rescue loop for every channel).

`ingest_events(events, channel=..., now=...)` is the one door for devices' events, whether they come over HTTP
(iot/views.py) or MQTT (iot/mqtt.py). An event is a JSON object:

    {"device_id": "PZH-0001", "event_id": "7f3c…", "kind": "entrapment",
     "occurred_at": "2026-12-01T09:30:00+08:00", "payload": {"floor": 3}, "signature": "<64 hex>"}

signed with the device's secret as iot/signing.py says. Each event is either stored or refused with a reason
(iot.choices.Reason): malformed, unknown_device, bad_signature, replay (already stored, or twice in the batch),
future (occurred more than IOT_CLOCK_SKEW_SECONDS ahead of the server's clock), too_old (more than
IOT_MAX_EVENT_AGE_HOURS ago), refused (the rescue service would not take it). sent = stored + rejected, always; bad
input never raises. What a stored event does:

- 困人 entrapment: `rescue.services.incident_report` opens an incident (dispatching the firm) or joins the open one,
  once per event (external_ref "<device_id>:<event_id>");
- the other alarms (运行中开门, 超速, 门区外停梯, 冲顶, 蹲底, 停电): one `maintenance.Fault` each, source iot,
  external_ref "<device_id>:<event_id>" (the constraint fault_external_ref_once makes a resent alarm one fault);
- every stored event, heartbeats included, marks its device seen and online (iot/jobs.py reports silent ones).

The number of queries does not grow with the batch (entrapments aside: one incident each, with its row lock).
Refusals are counted per day, channel and reason in IngestRejection, one upsert per batch."""

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from maintenance.choices import FaultCause, FaultKind, FaultSource
from maintenance.models import Fault
from registry.models import Elevator
from rescue.choices import ReportSource
from rescue.services import incident_report

from .choices import Channel, EventKind, Outcome, Reason
from .models import DEVICE_ID_MAX, EVENT_ID_MAX, Device, DeviceEvent, IngestRejection
from .signing import signature_ok

STORED, REJECTED = "stored", "rejected"
KINDS = frozenset(EventKind.values)
_SIGNATURE = re.compile(r"[0-9a-fA-F]{64}")

# GB/T 24476-2017's alarms other than 困人, as the fault they are: its kind and, when known, its cause.
ALARM_FAULTS = {
    EventKind.DOOR_OPEN_MOVING: (FaultKind.DOOR, FaultCause.DOOR_SYSTEM),
    EventKind.OVERSPEED: (FaultKind.OTHER, FaultCause.UNKNOWN),
    EventKind.STOPPED_OUTSIDE_DOOR_ZONE: (FaultKind.STOPPED, FaultCause.UNKNOWN),
    EventKind.OVERRUN_TOP: (FaultKind.OTHER, FaultCause.UNKNOWN),
    EventKind.OVERRUN_BOTTOM: (FaultKind.OTHER, FaultCause.UNKNOWN),
    EventKind.POWER_CUT: (FaultKind.STOPPED, FaultCause.EXTERNAL),  # not the elevator's doing (risk scan)
}
ACTING = frozenset(ALARM_FAULTS) | {EventKind.ENTRAPMENT}  # the events that make a fault or an incident


@dataclass(frozen=True)
class EventResult:
    index: int
    event_id: str
    status: str  # "stored" or "rejected"
    reason: str = ""


@dataclass
class IngestResult:
    sent: int = 0
    stored: int = 0
    rejected: dict = field(default_factory=dict)  # reason -> count
    incidents_opened: int = 0
    faults: int = 0
    results: list = field(default_factory=list)  # EventResult per event, in the order sent

    @property
    def rejected_total(self) -> int:
        return sum(self.rejected.values())


@dataclass
class _Event:
    index: int
    device_id: str
    event_id: str
    kind: str
    occurred_at: datetime
    payload: dict
    payload_json: str  # as stored (the size check's encoding, made once)
    device: dict | None = None  # the Device row's values
    fault_id: int | None = None


def _parse(raw) -> tuple[_Event | None, dict | None, str]:
    """The event's fields, typed, or None when it is malformed; also the canonical fields and the signature."""
    if not isinstance(raw, dict):
        return None, None, ""
    device_id, event_id, kind = raw.get("device_id"), raw.get("event_id"), raw.get("kind")
    occurred, signature, payload = raw.get("occurred_at"), raw.get("signature"), raw.get("payload")
    if payload is None:
        payload = {}
    if not (
        isinstance(device_id, str)
        and 0 < len(device_id) <= DEVICE_ID_MAX
        and isinstance(event_id, str)
        and 0 < len(event_id) <= EVENT_ID_MAX
        and kind in KINDS
        and isinstance(occurred, str)
        and len(occurred) <= 40
        and isinstance(signature, str)
        and _SIGNATURE.fullmatch(signature)
        and isinstance(payload, dict)
    ):
        return None, None, ""
    payload_json = json.dumps(payload, ensure_ascii=False)
    if len(payload_json) > settings.IOT_PAYLOAD_MAX_BYTES:
        return None, None, ""
    occurred_at = datetime.fromisoformat(occurred)
    if timezone.is_naive(occurred_at):
        return None, None, ""
    fields = {"device_id": device_id, "event_id": event_id, "kind": kind, "occurred_at": occurred, "payload": payload}
    return _Event(0, device_id, event_id, kind, occurred_at, payload, payload_json), fields, signature


def ingest_events(events: list, *, channel: str, now: datetime | None = None) -> IngestResult:
    """Validate, store and act on a batch of device events; see the module's docstring. `events` may hold anything
    (a JSON value per event; the MQTT consumer passes None for a message that is not JSON): what is not a valid
    event is refused as malformed."""
    if channel not in Channel.values:
        raise ValueError(f"unknown channel {channel!r}")
    now = now or timezone.now()
    if not isinstance(events, list):
        events = [events]
    result = IngestResult(sent=len(events))
    statuses: dict[int, tuple[str, str]] = {}
    items: dict[int, _Event] = {}

    def reject(index: int, reason: str) -> None:
        statuses[index] = (REJECTED, reason)
        items.pop(index, None)

    checks = {}
    for index, raw in enumerate(events):
        try:
            event, fields, signature = _parse(raw)
        except (TypeError, ValueError, OverflowError, RecursionError):
            event = None
        if event is None:
            reject(index, Reason.MALFORMED)
            continue
        event.index = index
        items[index] = event
        checks[index] = (fields, signature)

    devices = {}
    if items:
        wanted = {e.device_id for e in items.values()}
        devices = {
            row["device_id"]: row
            for row in Device.objects.filter(device_id__in=wanted).values(
                "pk",
                "device_id",
                "secret",
                "elevator_id",
                "elevator__maintenance_firm_id",
                "last_seen_at",
                "online",
                "offline_reported_at",
            )
        }
    skew = timedelta(seconds=settings.IOT_CLOCK_SKEW_SECONDS)
    oldest = now - timedelta(hours=settings.IOT_MAX_EVENT_AGE_HOURS)
    in_batch = set()
    for index, event in list(items.items()):
        device = devices.get(event.device_id)
        fields, signature = checks[index]
        if device is None:
            reject(index, Reason.UNKNOWN_DEVICE)
        elif not signature_ok(device["secret"], fields, signature):
            reject(index, Reason.BAD_SIGNATURE)
        elif event.occurred_at > now + skew:
            reject(index, Reason.FUTURE)
        elif event.occurred_at < oldest:
            reject(index, Reason.TOO_OLD)
        elif (device["pk"], event.event_id) in in_batch:
            reject(index, Reason.REPLAY)
        else:
            in_batch.add((device["pk"], event.event_id))
            event.device = device

    # A replay is refused before it acts. On PostgreSQL the INSERT … ON CONFLICT DO NOTHING RETURNING of _act tells
    # a replayed heartbeat from a new one by itself, so only the events that act before it (alarms, entrapments: 1 %)
    # are looked up first (bench/README.md "IoT ingestion": the look-up of every event was a third of a batch's SQL).
    first = items.values() if connection.vendor != "postgresql" else [e for e in items.values() if e.kind in ACTING]
    if first:
        stored_before = set(
            DeviceEvent.objects.filter(
                device_id__in={e.device["pk"] for e in first}, event_id__in={e.event_id for e in first}
            ).values_list("device_id", "event_id")
        )
        for event in list(first):
            if (event.device["pk"], event.event_id) in stored_before:
                reject(event.index, Reason.REPLAY)

    # The events, their faults and incidents, and the refusals' counters commit together (one commit a batch; a
    # batch delivered again after a crash finds its events stored and is refused as replays, never counted twice).
    with transaction.atomic():
        if items:
            _act(items, reject, result, now=now)
        for index in items:
            statuses[index] = (STORED, "")
        reasons = Counter()
        for index in range(len(events)):
            status, reason = statuses[index]
            raw = events[index]
            event_id = raw.get("event_id") if isinstance(raw, dict) else None
            event_id = event_id[:EVENT_ID_MAX] if isinstance(event_id, str) else ""
            result.results.append(EventResult(index, event_id, status, reason))
            if status == STORED:
                result.stored += 1
            else:
                reasons[reason] += 1
        result.rejected = dict(reasons)
        _count_rejections(timezone.localdate(now), channel, result.rejected)
    return result


def _act(items: dict, reject, result: IngestResult, *, now: datetime) -> None:
    """Turn the accepted events into faults and incidents, store them, and mark their devices seen (one
    transaction)."""
    alarms = [e for e in items.values() if e.kind in ALARM_FAULTS]
    if alarms:
        Fault.objects.bulk_create(
            [
                Fault(
                    elevator_id=e.device["elevator_id"],
                    firm_id=e.device["elevator__maintenance_firm_id"],
                    source=FaultSource.IOT,
                    kind=ALARM_FAULTS[e.kind][0],
                    cause=ALARM_FAULTS[e.kind][1],
                    reported_at=e.occurred_at,
                    description=_("物联网设备%(device)s报警：%(kind)s（事件%(event)s）")
                    % {"device": e.device_id, "kind": EventKind(e.kind).label, "event": e.event_id},
                    external_ref=f"{e.device_id}:{e.event_id}",
                )
                for e in alarms
            ],
            ignore_conflicts=True,
        )
        made = dict(
            Fault.objects.filter(
                elevator_id__in={e.device["elevator_id"] for e in alarms},
                source=FaultSource.IOT,
                external_ref__in=[f"{e.device_id}:{e.event_id}" for e in alarms],
            ).values_list("external_ref", "pk")
        )
        for event in alarms:
            event.fault_id = made.get(f"{event.device_id}:{event.event_id}")
        result.faults += len(alarms)

    # Entrapments one by one, in the order of their elevators (the incident takes the elevator's row lock).
    trapped = sorted((e for e in items.values() if e.kind == EventKind.ENTRAPMENT), key=lambda e: e.device["pk"])
    elevators = Elevator.objects.in_bulk({e.device["elevator_id"] for e in trapped}) if trapped else {}
    for event in trapped:
        try:
            joined = incident_report(
                elevator=elevators[event.device["elevator_id"]],
                source=ReportSource.IOT,
                reported_at=event.occurred_at,
                reporter=_("物联网设备%(device)s") % {"device": event.device_id},
                note=_("物联网困人报警（事件%(event)s）") % {"event": event.event_id},
                external_ref=f"{event.device_id}:{event.event_id}",
            )
        except (ValidationError, PermissionDenied):
            reject(event.index, Reason.REFUSED)
            continue
        event.fault_id = joined.fault.pk
        result.incidents_opened += joined.created

    events = list(items.values())
    store = _store_postgresql if connection.vendor == "postgresql" else _store_portable
    mine = store(events, now=now, stale={e.device["pk"] for e in events if _needs_mark(e.device, now)})
    for event in events:
        if (event.device["pk"], event.event_id) not in mine:
            # Another consumer stored the same event a moment ago (a resend racing its original): its row, not
            # ours, is there; a replay here (its fault and incident were made once, by external_ref).
            reject(event.index, Reason.REPLAY)


# A device marked seen this recently, online and not reported offline, is not marked again (the offline limit is
# counted in minutes; a device heard from several times a minute would otherwise rewrite its row each time).
SEEN_RESOLUTION = timedelta(seconds=60)


def _needs_mark(device: dict, now: datetime) -> bool:
    return not (
        device["online"]
        and device["offline_reported_at"] is None
        and device["last_seen_at"] is not None
        and device["last_seen_at"] >= now - SEEN_RESOLUTION
    )


def _outcome(kind: str) -> str:
    if kind == EventKind.HEARTBEAT:
        return Outcome.HEARTBEAT
    return Outcome.INCIDENT if kind == EventKind.ENTRAPMENT else Outcome.FAULT


def _store_postgresql(events: list, *, now: datetime, stale: set) -> set:
    """Insert the events and mark their devices seen in two statements (bench/README.md "IoT ingestion": the ORM's
    per-value work was a third of a batch's time). Returns the (device pk, event_id) pairs inserted by us."""
    table = connection.ops.quote_name(DeviceEvent._meta.db_table)
    devices = connection.ops.quote_name(Device._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (device_id, event_id, kind, occurred_at, received_at, payload, outcome, fault_id) "
            "SELECT d, e, k, o, %s, p, r, f FROM unnest(%s::bigint[], %s::varchar[], %s::varchar[], "
            "%s::timestamptz[], %s::jsonb[], %s::varchar[], %s::bigint[]) AS t(d, e, k, o, p, r, f) "
            "ON CONFLICT (device_id, event_id) DO NOTHING RETURNING device_id, event_id",
            [
                now,
                [e.device["pk"] for e in events],
                [e.event_id for e in events],
                [e.kind for e in events],
                [e.occurred_at for e in events],
                [e.payload_json for e in events],
                [_outcome(e.kind) for e in events],
                [e.fault_id for e in events],
            ],
        )
        mine = set(cursor.fetchall())
        seen = sorted({device_id for device_id, _ in mine} & stale)
        if seen:
            # Rows locked in one order (by id), so that two consumers marking overlapping devices never deadlock.
            cursor.execute(
                f"UPDATE {devices} SET last_seen_at = %s, online = true, offline_reported_at = NULL WHERE id IN "
                f"(SELECT id FROM {devices} WHERE id = ANY(%s) ORDER BY id FOR UPDATE)",
                [now, seen],
            )
    return mine


def _store_portable(events: list, *, now: datetime, stale: set) -> set:
    """The same with the ORM (SQLite): insert, read back which rows are ours (stamped `now`), mark devices seen."""
    DeviceEvent.objects.bulk_create(
        [
            DeviceEvent(
                device_id=e.device["pk"],
                event_id=e.event_id,
                kind=e.kind,
                occurred_at=e.occurred_at,
                received_at=now,
                payload=e.payload,
                outcome=_outcome(e.kind),
                fault_id=e.fault_id,
            )
            for e in events
        ],
        ignore_conflicts=True,
    )
    mine = {
        (device_id, event_id)
        for device_id, event_id, received_at in DeviceEvent.objects.filter(
            device_id__in={e.device["pk"] for e in events}, event_id__in={e.event_id for e in events}
        ).values_list("device_id", "event_id", "received_at")
        if received_at == now
    }
    seen = sorted({device_id for device_id, _ in mine} & stale)
    if seen:
        list(Device.objects.select_for_update().filter(pk__in=seen).order_by("pk").values_list("pk", flat=True))
        Device.objects.filter(pk__in=seen).update(last_seen_at=now, online=True, offline_reported_at=None)
    return mine


def _count_rejections(day, channel: str, counts: dict) -> None:
    """Add the batch's refusals to the day's counters: one INSERT … ON CONFLICT DO UPDATE (PostgreSQL and SQLite),
    rows in one order so that concurrent batches never deadlock."""
    if not counts:
        return
    quote = connection.ops.quote_name
    table = quote(IngestRejection._meta.db_table)
    rows = sorted(counts.items())
    values = ", ".join(["(%s, %s, %s, %s)"] * len(rows))
    params = []
    for reason, count in rows:
        params += [day.isoformat(), channel, reason, count]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (day, channel, reason, count) VALUES {values} "  # noqa: S608 - names are ours
            f"ON CONFLICT (day, channel, reason) DO UPDATE SET count = {table}.count + excluded.count",
            params,
        )
