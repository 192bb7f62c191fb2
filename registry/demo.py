"""Demo and synthetic data for Panzhihua: used by `seed_demo` and `generate_scale_data`."""

import random
from datetime import date, timedelta
from functools import cache

from django.utils import timezone

from .choices import (
    BuildingKind,
    DistrictLevel,
    ElevatorStatus,
    ElevatorType,
    MaintenanceFund,
    OrganizationKind,
)
from .models import District, Elevator, Organization
from .validators import PANZHIHUA_CITY_CODE, PANZHIHUA_DISTRICTS

DISTRICT_EN = {
    "510400": "Panzhihua",
    "510402": "Dong District",
    "510403": "Xi District",
    "510411": "Renhe District",
    "510421": "Miyi County",
    "510422": "Yanbian County",
}
DISTRICT_LEVEL = {"510400": DistrictLevel.CITY, "510421": DistrictLevel.COUNTY, "510422": DistrictLevel.COUNTY}

# City departments named in plan §2(8) and §2(14).
CITY_DEPARTMENTS = [
    "攀枝花市自然资源和规划局",
    "攀枝花市住房和城乡建设局",
    "攀枝花市应急管理局",
    "攀枝花市公安局",
    "攀枝花市教育和体育局",
    "攀枝花市交通运输局",
    "攀枝花市商务局",
    "攀枝花市卫生健康委员会",
    "攀枝花市文化广播电视和旅游局",
    "攀枝花市通信发展办公室",
    "攀枝花银保监分局",
    "攀枝花市经济和信息化局",
]
MAINTENANCE_FIRMS = [
    "攀枝花市安达电梯工程有限公司",
    "四川川南电梯维保有限公司",
    "攀枝花市金沙电梯服务有限公司",
    "攀枝花钒钛电梯工程有限公司",
    "成都西南电梯维修有限公司攀枝花分公司",
    "攀枝花市恒升电梯有限公司",
    "攀枝花市阳光电梯安装维修有限公司",
    "四川蜀通电梯工程有限公司",
]
INSPECTION_AGENCIES = ["攀枝花市特种设备监督检验所", "四川省特种设备检验研究院攀枝花分院"]
MANUFACTURERS = [
    "奥的斯电梯（中国）有限公司",
    "日立电梯（中国）有限公司",
    "通力电梯有限公司",
    "三菱电机上海机电电梯有限公司",
    "康力电梯股份有限公司",
    "广州广日电梯工业有限公司",
]
INSTALLERS = ["四川省建筑机械化工程有限公司", "攀枝花市建安电梯安装有限公司", "成都安装工程有限公司"]

STREETS = {
    "510402": ["炳草岗大街", "人民街", "新华街", "五十四路", "长寿路", "临江路", "攀枝花大道东段"],
    "510403": ["清香坪街", "苏铁中路", "攀枝花大道西段", "河门口街", "格里坪路"],
    "510411": ["仁和街", "宝兴路", "南山路", "迤沙拉大道", "花城路"],
    "510421": ["攀莲镇安宁路", "新河街", "丙谷镇政府路"],
    "510422": ["桐子林镇民主路", "新华街", "渔门镇中街"],
}
ESTATES = [
    "阳光花园",
    "金沙苑",
    "凤凰城",
    "钒都家园",
    "木棉花小区",
    "江南名居",
    "学府佳苑",
    "三线印象",
    "攀西明珠",
    "炳草岗商厦",
    "花城新区",
    "康养公寓",
]
USE_UNIT_PATTERNS = [
    ("{}物业管理有限公司", BuildingKind.RESIDENTIAL),
    ("{}物业服务有限公司", BuildingKind.RESIDENTIAL),
    ("攀枝花市{}中学", BuildingKind.SCHOOL),
    ("攀枝花市{}医院", BuildingKind.HOSPITAL),
    ("{}购物中心", BuildingKind.MALL),
    ("{}商务楼宇管理有限公司", BuildingKind.OFFICE),
]
USE_UNIT_WORDS = [
    "金江",
    "瓜子坪",
    "大渡口",
    "弄弄坪",
    "银江",
    "宝鼎",
    "二滩",
    "格萨拉",
    "炳草岗",
    "竹湖园",
    "攀钢",
    "红格",
    "湖光",
    "东华",
    "仁和",
]
TYPE_WEIGHTS = [
    (ElevatorType.TRACTION_PASSENGER, 70),
    (ElevatorType.TRACTION_FREIGHT, 6),
    (ElevatorType.ESCALATOR, 8),
    (ElevatorType.MOVING_WALK, 2),
    (ElevatorType.HYDRAULIC_PASSENGER, 2),
    (ElevatorType.FIREFIGHTER, 6),
    (ElevatorType.DUMBWAITER, 3),
    (ElevatorType.POSITIVE_FREIGHT, 2),
    (ElevatorType.HYDRAULIC_FREIGHT, 1),
]
DISTRICT_WEIGHTS = [("510402", 45), ("510403", 15), ("510411", 25), ("510421", 8), ("510422", 7)]
SCALE_SEQUENCE_START = 5000  # synthetic registries use sequence numbers the demo never reaches
SYNTHETIC_CODE_REGEX = r"[5-9][0-9]{3}$"  # their codes end in a sequence number from SCALE_SEQUENCE_START up

# People's names for the demo: common surnames and given names, combined deterministically (chinese_name).
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢"
GIVEN_NAMES = (
    "伟 芳 娜 敏 静 丽 强 磊 军 洋 勇 艳 杰 涛 明 超 霞 平 刚 桂英 秀英 建华 建国 建军 志强 志刚 国华 国庆 海燕 海波 "
    "晓东 晓峰 晓丽 红梅 丽娟 文静 俊杰 雪梅 春燕 玉兰 桂芳 德明 永红 新民 宏伟 立新 志明 金凤 秀兰 丽华 振华 明辉 "
    "文博 思远 浩然 子涵 佳怡 宇航 云飞 建平"
).split()


@cache
def _name_order() -> list[str]:
    names = [surname + given for surname in SURNAMES for given in GIVEN_NAMES]
    random.Random(2019).shuffle(names)
    return names


def chinese_name(n: int) -> str:
    """A plausible Chinese name for demo person `n`: the same for the same `n`; no two alike among the first
    len(SURNAMES) × len(GIVEN_NAMES) (3,060)."""
    names = _name_order()
    return names[n % len(names)]


def demo_elevators():
    """The demo's elevators, without the synthetic ones `generate_scale_data` may have added."""
    return Elevator.objects.exclude(registration_code__regex=SYNTHETIC_CODE_REGEX)


def ensure_districts() -> dict[str, District]:
    city, _ = District.objects.update_or_create(
        code=PANZHIHUA_CITY_CODE,
        defaults={"name": "攀枝花市", "name_en": DISTRICT_EN[PANZHIHUA_CITY_CODE], "level": DistrictLevel.CITY},
    )
    districts = {PANZHIHUA_CITY_CODE: city}
    for code, name in PANZHIHUA_DISTRICTS.items():
        districts[code], _ = District.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "name_en": DISTRICT_EN[code],
                "level": DISTRICT_LEVEL.get(code, DistrictLevel.DISTRICT),
                "parent": city,
            },
        )
    return districts


def _org(name, kind, district=None, **extra) -> Organization:
    org, _ = Organization.objects.get_or_create(name=name, defaults={"kind": kind, "district": district, **extra})
    return org


def ensure_organizations(districts: dict[str, District], rng: random.Random) -> dict[str, list[Organization]]:
    today = timezone.localdate()
    orgs: dict[str, list[Organization]] = {k: [] for k in OrganizationKind.values}
    orgs["regulator"].append(_org("攀枝花市市场监督管理局", OrganizationKind.REGULATOR))
    for code, name in PANZHIHUA_DISTRICTS.items():
        orgs["regulator"].append(_org(f"{name}市场监督管理局", OrganizationKind.REGULATOR, districts[code]))
        orgs["department"].append(_org(f"{name}人民政府", OrganizationKind.DEPARTMENT, districts[code]))
    for name in CITY_DEPARTMENTS:
        orgs["department"].append(_org(name, OrganizationKind.DEPARTMENT))
    for i, name in enumerate(MAINTENANCE_FIRMS):
        # One firm's licence has lapsed and one expires within the month: the credit rules and reminders show them.
        valid_until = today - timedelta(days=20) if i == 7 else today + timedelta(days=25 if i == 6 else 400 + 60 * i)
        orgs["maintenance"].append(
            _org(
                name,
                OrganizationKind.MAINTENANCE,
                districts["510402" if i % 2 else "510411"],
                licence_no=f"TS3351{i:03d}-2028",
                licence_valid_until=valid_until,
                credit_code=f"91510400MA6{i:07d}",
                contact_phone=f"0812-33{i:05d}",
            )
        )
    for i, name in enumerate(INSPECTION_AGENCIES):
        orgs["inspection"].append(
            _org(
                name,
                OrganizationKind.INSPECTION,
                districts["510402"],
                licence_no=f"TS7151{i:03d}-2027",
                licence_valid_until=today + timedelta(days=700),
            )
        )
    for i, name in enumerate(MANUFACTURERS):
        orgs["manufacturer"].append(_org(name, OrganizationKind.MANUFACTURER, licence_no=f"TS2111{i:03d}-2029"))
    for i, name in enumerate(INSTALLERS):
        orgs["installer"].append(_org(name, OrganizationKind.INSTALLER, licence_no=f"TS3311{i:03d}-2028"))
    orgs["insurer"].append(_org("中国人民财产保险股份有限公司攀枝花市分公司", OrganizationKind.INSURER))
    codes = list(PANZHIHUA_DISTRICTS)
    for i in range(30):
        pattern, _ = USE_UNIT_PATTERNS[i % len(USE_UNIT_PATTERNS)]
        word = USE_UNIT_WORDS[i % len(USE_UNIT_WORDS)]
        name = pattern.format(word if i < len(USE_UNIT_WORDS) else word + "第二")
        orgs["use_unit"].append(
            _org(
                name,
                OrganizationKind.USE_UNIT,
                districts[codes[i % 5]],
                credit_code=f"91510400UU{i:08d}",
                contact_phone=f"0812-66{i:05d}",
            )
        )
    return orgs


def use_unit_building_kind(org: Organization) -> str:
    for pattern, kind in USE_UNIT_PATTERNS:
        suffix = pattern.replace("{}", "")
        if org.name.endswith(suffix.replace("攀枝花市", "")):
            return kind
    return BuildingKind.OTHER


def build_elevators(
    *,
    count: int,
    districts,
    orgs,
    rng: random.Random,
    today: date,
    sequence_start: int = 1,
    rescue_start: int | None = None,
    counters: dict | None = None,
) -> list[Elevator]:
    """Deterministic elevators with valid codes, commission dates spread over 25 years and mixed inspection states.

    Codes are unique by construction: the sequence number counts up within each category, district and month.
    """
    types, type_w = zip(*TYPE_WEIGHTS, strict=True)
    dcodes, dist_w = zip(*DISTRICT_WEIGHTS, strict=True)
    use_units_by_district: dict[str, list] = {}
    for org in orgs["use_unit"]:
        use_units_by_district.setdefault(org.district.code if org.district else "510402", []).append(org)
    counters = {} if counters is None else counters  # shared across batches by generate_scale_data
    rescue_codes = rng.sample(range(10000, 100000), count) if rescue_start is None else None
    elevators = []
    for i in range(count):
        etype = rng.choices(types, type_w)[0]
        dcode = rng.choices(dcodes, dist_w)[0]
        commission = today - timedelta(days=rng.randint(30, 25 * 365))
        ym = f"{commission.year:04d}{commission.month:02d}"
        key = (etype, dcode, ym)
        counters[key] = counters.get(key, sequence_start - 1) + 1
        code = f"{etype}{dcode}{ym}{counters[key]:04d}"
        use_unit = rng.choice(use_units_by_district.get(dcode) or orgs["use_unit"])
        kind = use_unit_building_kind(use_unit)
        roll = rng.random()
        if roll < 0.04:
            valid_until = None
        elif roll < 0.10:
            valid_until = today - timedelta(days=rng.randint(1, 200))  # overdue
        elif roll < 0.20:
            valid_until = today + timedelta(days=rng.randint(0, 30))  # expiring within the month
        else:
            valid_until = today + timedelta(days=rng.randint(31, 365))
        status = (
            ElevatorStatus.IN_USE
            if rng.random() > 0.03
            else rng.choice([ElevatorStatus.SUSPENDED, ElevatorStatus.RENOVATION])
        )
        estate = rng.choice(ESTATES)
        unit = use_unit if rng.random() > 0.02 else None  # a few 三无 elevators without a use unit
        firm = rng.choice(orgs["maintenance"]) if rng.random() > 0.02 else None
        if unit is None or firm is None:
            last_maintained = None  # nobody maintains it, or nobody could confirm a visit (条例 §31, TSG T5002)
        elif status == ElevatorStatus.IN_USE:
            last_maintained = today - timedelta(days=rng.randint(1, 14))  # within the 15 days (条例 §31)
        else:
            last_maintained = today - timedelta(days=rng.randint(30, 180))  # before it was stopped
        rescue = (
            str(rescue_codes[i]) if rescue_codes else (str(rescue_start + i) if rescue_start + i < 1_000_000 else None)
        )
        elevators.append(
            Elevator(
                registration_code=code,
                rescue_code=rescue,
                # 使用登记证 (registry.validators): one elevator in 37 has none on record, so the lists show both.
                use_certificate_no=(
                    "" if i % 37 == 5 else f"梯{etype[1:3]}川D{(i + 1) % 100000:05d}({commission.year % 100:02d})"
                ),
                elevator_type=etype,
                district=districts[dcode],
                address=(
                    f"{PANZHIHUA_DISTRICTS[dcode]}{rng.choice(STREETS[dcode])}{rng.randint(1, 300)}号"
                    f"{estate}{rng.randint(1, 20)}栋{rng.randint(1, 4)}单元"
                ),
                building_name=estate,
                building_kind=kind,
                use_unit=unit,
                maintenance_firm=firm,
                manufacturer=rng.choice(orgs["manufacturer"]),
                installer=rng.choice(orgs["installer"]),
                manufacture_date=commission - timedelta(days=rng.randint(60, 400)),
                commission_date=commission,
                rated_load_kg=rng.choice([630, 800, 1000, 1050, 1350, 1600]),
                rated_speed_ms=rng.choice(["1.00", "1.50", "1.75", "2.00", "2.50", "0.50"]),
                floors=rng.randint(2, 33),
                status=status,
                maintenance_fund=(
                    rng.choice([MaintenanceFund.ESTABLISHED] * 6 + [MaintenanceFund.INSUFFICIENT, MaintenanceFund.NONE])
                    if kind == BuildingKind.RESIDENTIAL
                    else MaintenanceFund.NOT_APPLICABLE
                ),
                inspection_valid_until=valid_until,
                # Backed by a confirmed record on that day (maintenance.demo), as record_confirm sets it.
                last_maintenance_on=last_maintained,
            )
        )
    return elevators
