"""The columns of the registry's exports (elevators, organisations); elevator_portal.exports writes them."""

from collections.abc import Callable

ELEVATOR_EXPORT: list[tuple[str, Callable]] = [
    ("注册代码", lambda e: e.registration_code),
    ("应急救援识别码", lambda e: e.rescue_code or ""),
    ("使用登记证编号", lambda e: e.use_certificate_no),
    ("电梯类型", lambda e: e.get_elevator_type_display()),
    ("所在区县", lambda e: e.district.name),
    ("安装地址", lambda e: e.address),
    ("楼宇/小区名称", lambda e: e.building_name),
    ("场所类型", lambda e: e.get_building_kind_display()),
    ("使用单位", lambda e: e.use_unit.name if e.use_unit else ""),
    ("维保单位", lambda e: e.maintenance_firm.name if e.maintenance_firm else ""),
    ("投入使用日期", lambda e: e.commission_date.isoformat() if e.commission_date else ""),
    ("状态", lambda e: e.get_status_display()),
    ("专项维修资金", lambda e: e.get_maintenance_fund_display()),
    ("检验有效期至", lambda e: e.inspection_valid_until.isoformat() if e.inspection_valid_until else ""),
    ("最近维保日期", lambda e: e.last_maintenance_on.isoformat() if e.last_maintenance_on else ""),
]


ORGANIZATION_EXPORT: list[tuple[str, Callable]] = [
    ("单位名称", lambda o: o.name),
    ("单位类型", lambda o: o.get_kind_display()),
    ("统一社会信用代码", lambda o: o.credit_code),
    ("许可证编号", lambda o: o.licence_no),
    ("许可证有效期至", lambda o: o.licence_valid_until.isoformat() if o.licence_valid_until else ""),
    ("所在区县", lambda o: o.district.name if o.district else ""),
    ("地址", lambda o: o.address),
    ("单位电话", lambda o: o.contact_phone),
]
