"""Validation of the elevator identification codes (docs/rules.md "Identification")."""

import re

from django.utils import timezone
from django.utils.translation import gettext as _

from .choices import ElevatorType

# The city and its five districts/counties (GB/T 2260 division codes).
PANZHIHUA_CITY_CODE = "510400"
PANZHIHUA_DISTRICTS = {
    "510402": "东区",
    "510403": "西区",
    "510411": "仁和区",
    "510421": "米易县",
    "510422": "盐边县",
}
FIRST_REGISTRATION_YEAR = 1980


def registration_code_errors(
    code: str, *, elevator_type: str | None = None, district_code: str | None = None, today=None
) -> list[str]:
    """Every way a 注册代码 is wrong, each as a precise Chinese message; an empty list means it is valid.

    Layout: category code (4) + division code (6) + registration year and month (6) + sequence (4).
    """
    code = (code or "").strip()
    if not code:
        return [_("注册代码不能为空。")]
    if not code.isdigit():
        bad = next(ch for ch in code if not ch.isdigit())
        return [_("注册代码只能包含数字，第%(pos)d位是“%(ch)s”。") % {"pos": code.index(bad) + 1, "ch": bad}]
    if len(code) != 20:
        return [_("注册代码应为20位数字，当前为%(n)d位。") % {"n": len(code)}]

    errors = []
    category, division, year, month, sequence = code[:4], code[4:10], int(code[10:14]), int(code[14:16]), code[16:]
    if category not in ElevatorType.values:
        errors.append(
            _("类别代码“%(c)s”不是电梯的类别代码，应为%(known)s之一。")
            % {"c": category, "known": "、".join(ElevatorType.values)}
        )
    elif elevator_type and category != elevator_type:
        errors.append(
            _("类别代码“%(c)s”（%(cl)s）与电梯类型“%(tl)s”（%(t)s）不符。")
            % {
                "c": category,
                "cl": ElevatorType(category).label,
                "t": elevator_type,
                "tl": ElevatorType(elevator_type).label,
            }
        )
    if division != PANZHIHUA_CITY_CODE and division not in PANZHIHUA_DISTRICTS:
        errors.append(
            _("行政区划代码“%(d)s”不是攀枝花市或其区县的代码，应为%(known)s之一。")
            % {"d": division, "known": "、".join([PANZHIHUA_CITY_CODE, *PANZHIHUA_DISTRICTS])}
        )
    elif district_code and division != PANZHIHUA_CITY_CODE and division != district_code:
        errors.append(
            _("行政区划代码“%(d)s”（%(dn)s）与电梯所在区县（%(en)s）不符。")
            % {
                "d": division,
                "dn": PANZHIHUA_DISTRICTS[division],
                "en": PANZHIHUA_DISTRICTS.get(district_code, district_code),
            }
        )
    today = today or timezone.localdate()
    if not FIRST_REGISTRATION_YEAR <= year <= today.year:
        errors.append(
            _("注册年份“%(y)04d”不合理，应在%(first)d年至%(last)d年之间。")
            % {"y": year, "first": FIRST_REGISTRATION_YEAR, "last": today.year}
        )
    elif not 1 <= month <= 12:
        errors.append(_("注册月份“%(m)02d”不合理，应为01至12。") % {"m": month})
    elif (year, month) > (today.year, today.month):
        errors.append(_("注册年月“%(y)04d%(m)02d”晚于当前年月。") % {"y": year, "m": month})
    if sequence == "0000":
        errors.append(_("顺序号不能为0000。"))
    return errors


RESCUE_CODE_RE = re.compile(r"^\d{5,6}$")


def rescue_code_error(code: str) -> str | None:
    """The 应急救援识别码 on the car's sign is 5 or 6 digits."""
    if not RESCUE_CODE_RE.match(code or ""):
        return _("应急救援识别码应为5位或6位数字。")
    return None


# 使用登记证编号 (TSG 08-2017 附件B, as the Sichuan registration authorities issue it): 梯, the middle two digits of
# the category code (3110 → 11), the province and city plate letters of the issuing authority (攀枝花: 川D), a
# five-digit sequence and the two-digit year of registration in brackets, e.g. 梯11川D00123(19).
USE_CERTIFICATE_PATTERN = re.compile(r"^梯(?P<category>\d{2})川D(?P<sequence>\d{5})\((?P<year>\d{2})\)$")


def normalize_use_certificate_no(number: str) -> str:
    """Full-width brackets and spaces, as typed on a Chinese keyboard or copied from a scan, to the stored form."""
    return (number or "").strip().replace("（", "(").replace("）", ")").replace(" ", "").replace("\u3000", "")


def use_certificate_error(number: str, *, elevator_type: str | None = None) -> str | None:
    """Why a 使用登记证编号 is wrong, as one Chinese message; None when it is valid."""
    match = USE_CERTIFICATE_PATTERN.match(normalize_use_certificate_no(number))
    if not match:
        return _("使用登记证编号格式应为“梯”+类别2位+“川D”+5位流水号+“(年份2位)”，例如 梯11川D00123(19)。")
    category = match["category"]
    if elevator_type and category != elevator_type[1:3]:
        return _("使用登记证编号中的类别“%(c)s”与电梯类型%(t)s（应为“%(want)s”）不符。") % {
            "c": category,
            "t": elevator_type,
            "want": elevator_type[1:3],
        }
    return None
