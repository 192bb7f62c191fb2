"""The columns of the fault export (elevator_portal.exports writes them)."""

from collections.abc import Callable

from elevator_portal.exports import local_minute

FAULT_EXPORT: list[tuple[str, Callable]] = [
    ("注册代码", lambda f: f.elevator.registration_code),
    ("安装地址", lambda f: f.elevator.address),
    ("所在区县", lambda f: f.elevator.district.name),
    ("维保单位", lambda f: f.firm.name if f.firm else ""),
    ("来源", lambda f: f.get_source_display()),
    ("故障类型", lambda f: f.get_kind_display()),
    ("故障原因", lambda f: f.get_cause_display()),
    ("被困人数", lambda f: f.trapped_people),
    ("报告时间", lambda f: local_minute(f.reported_at)),
    ("派出时间", lambda f: local_minute(f.dispatched_at)),
    ("到达时间", lambda f: local_minute(f.arrived_at)),
    ("解救/恢复时间", lambda f: local_minute(f.released_at)),
]
