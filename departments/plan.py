"""The plan's departments, duties (§2(8)), 14 tasks (§2(1)–(14)) and the complaint routing table (docs/rules.md
"Complaint routing").

The plan: 《攀枝花市加强电梯质量安全工作实施方案》 (攀办发〔2019〕92号, 17 December 2019); "方案第二部分第（八）项"
below is its item (八) of part 二、工作任务.

`ensure_plan()` loads them idempotently (`manage.py seed_departments`, also run by `seed_demo`); afterwards
they are data, edited by admins.
"""

from departments.choices import Category
from registry.choices import BuildingKind, OrganizationKind
from registry.demo import ensure_districts
from registry.models import Organization
from registry.validators import PANZHIHUA_DISTRICTS

SECTOR_DUTY = "履行安全管理职责，指导督促行业内有关单位加强电梯安全管理。"

# code, organisation name, kind, duties (plan §2(8); §2(14) for 经信局)
CITY_DEPARTMENTS = [
    (
        "scjgj",
        "攀枝花市市场监督管理局",
        OrganizationKind.REGULATOR,
        "负责依法实施电梯质量安全监督检查，强化事中事后监管，依法组织电梯事故调查处理和安全违法违规行为的查处。",
    ),
    ("zrzyghj", "攀枝花市自然资源和规划局", OrganizationKind.DEPARTMENT, "负责对电梯选型、数量配置进行把关。"),
    (
        "zjj",
        "攀枝花市住房和城乡建设局",
        OrganizationKind.DEPARTMENT,
        "负责对电梯土建工程质量、安装施工安全进行监管；指导住宅专项维修资金的筹集、续筹和使用（方案第二部分第（四）项）。",
    ),
    ("gaj", "攀枝花市公安局", OrganizationKind.DEPARTMENT, "负责依法查处破坏电梯设施、危害公共安全等违法犯罪行为。"),
    (
        "yjglj",
        "攀枝花市应急管理局",
        OrganizationKind.DEPARTMENT,
        "负责安全生产综合监管，按照有关规定参与电梯安全事故调查和处理，开展电梯消防安全现场检查。",
    ),
    ("jytyj", "攀枝花市教育和体育局", OrganizationKind.DEPARTMENT, SECTOR_DUTY),
    ("jtysj", "攀枝花市交通运输局", OrganizationKind.DEPARTMENT, SECTOR_DUTY),
    ("swj", "攀枝花市商务局", OrganizationKind.DEPARTMENT, SECTOR_DUTY),
    ("wjw", "攀枝花市卫生健康委员会", OrganizationKind.DEPARTMENT, SECTOR_DUTY),
    ("wglj", "攀枝花市文化广播电视和旅游局", OrganizationKind.DEPARTMENT, SECTOR_DUTY),
    (
        "txb",
        "攀枝花市通信发展办公室",
        OrganizationKind.DEPARTMENT,
        "负责协调通信运营企业加强电梯井道公众通信网络覆盖。",
    ),
    ("ybj", "攀枝花银保监分局", OrganizationKind.DEPARTMENT, "加强对电梯责任保险的政策制定和监督。"),
    (
        "jxj",
        "攀枝花市经济和信息化局",
        OrganizationKind.DEPARTMENT,
        "推动电梯物联网纳入“智慧城市”建设（方案第二部分第（十四）项）。",
    ),
]
DISTRICT_DUTY = (
    "将电梯质量安全工作纳入政府质量和安全责任考核体系，建立电梯质量安全工作协调机制，"
    "及时协调解决辖区电梯质量安全工作中的重大问题；对辖区电梯投诉承担属地责任。"
)
DISTRICT_CODES = {"510402": "dq", "510403": "xq", "510411": "rhq", "510421": "myx", "510422": "ybx"}

# docs/rules.md "Complaint routing" (plan §2(8)).
ROUTING = {
    Category.ENTRAPMENT: ("scjgj", "方案第二部分第（十）项"),
    Category.BREAKDOWN: ("scjgj", "方案第二部分第（八）项"),
    Category.MAINTENANCE_QUALITY: ("scjgj", "方案第二部分第（二）（八）项"),
    Category.INSPECTION_OVERDUE: ("scjgj", "方案第二部分第（七）（八）项"),
    Category.USE_MANAGEMENT: ("scjgj", "方案第二部分第（七）（八）项"),
    Category.VANDALISM: ("gaj", "方案第二部分第（八）项"),
    Category.NO_SIGNAL: ("txb", "方案第二部分第（八）项"),
    Category.SELECTION: ("zrzyghj", "方案第二部分第（一）（八）项"),
    Category.CIVIL_WORKS: ("zjj", "方案第二部分第（六）（八）项"),
    Category.RETROFIT: ("zjj", "方案第二部分第（五）项"),
    Category.MAINTENANCE_FUND: ("zjj", "方案第二部分第（四）项"),
    Category.FIRE_ELEVATOR: ("yjglj", "方案第二部分第（八）项"),
    Category.INSURANCE: ("ybj", "方案第二部分第（八）（十二）项"),
}
SECTORS = {
    BuildingKind.SCHOOL: "jytyj",
    BuildingKind.HOSPITAL: "wjw",
    BuildingKind.TRANSPORT: "jtysj",
    BuildingKind.MALL: "swj",
    BuildingKind.TOURIST: "wglj",
}

# (number, title, summary, responsible department codes, the district governments too)
TASKS = [
    (
        1,
        "控制电梯源头质量",
        "优化电梯选型和数量配置，建立安装质量责任追溯机制，将监督检验一次性合格率作为安装质量的重要评价指标。",
        ["zrzyghj", "zjj", "scjgj"],
        True,
    ),
    (
        2,
        "提升电梯维护保养质量",
        "推广按需维保、物联网+维保，建立维保企业信息网上公开制度，推行无纸化维保记录，建立维保质量诚信评价制度。",
        ["scjgj"],
        True,
    ),
    (
        3,
        "改进检验检测模式",
        "检验机构及时安排检验，运用信息化手段优化检验申报、报告出具、信息查询等流程。",
        ["scjgj"],
        False,
    ),
    (
        4,
        "支持老旧电梯更新改造大修",
        "将使用超过15年、故障率投诉率明显偏高的住宅电梯纳入重点监控，指导维修资金筹集和使用。",
        ["zjj", "scjgj"],
        True,
    ),
    (
        5,
        "推进既有住宅增设电梯工作",
        "制订完善既有住宅增设电梯政策，明确责任主体、报批程序、资金来源和管理要求。",
        ["zjj", "zrzyghj", "scjgj"],
        True,
    ),
    (
        6,
        "强化房屋设计建设有关单位责任",
        "落实工程设计、施工、建设、监理等各方主体责任，确保井道等土建工程符合质量要求。",
        ["zrzyghj", "zjj", "scjgj"],
        True,
    ),
    (
        7,
        "落实电梯使用管理责任",
        "使用单位落实主体责任，在检验合格有效期届满前一个月申报检验，保障安全运行所需资金。",
        ["scjgj", "zjj"],
        True,
    ),
    (
        8,
        "压实电梯质量安全监管责任",
        "建立电梯质量安全工作协调机制，各行业主管部门按职责做好电梯安全工作。",
        ["scjgj", "zrzyghj", "zjj", "yjglj", "gaj", "jytyj", "jtysj", "swj", "wjw", "wglj", "txb", "ybj"],
        True,
    ),
    (9, "落实电梯检验检测责任", "检验检测机构对检验检测结果负责，及时、客观、公正出具报告。", ["scjgj"], False),
    (
        10,
        "抓好应急救援处置体系建设",
        "完善96333与119、110、120联动应急响应机制，定期统计分析故障、困人数据并向社会发布安全状况和预警信息。",
        ["scjgj", "yjglj", "gaj", "wjw"],
        True,
    ),
    (
        11,
        "推进综合治理和行业自律",
        "将电梯使用安全纳入社区综合治理，推行自我声明+信用管理，建立信息公示制度。",
        ["gaj", "yjglj", "scjgj", "zjj"],
        True,
    ),
    (12, "积极推动电梯责任保险", "探索“保险+服务”新模式，及时做好理赔服务。", ["ybj"], False),
    (
        13,
        "加大电梯安全宣传教育力度",
        "开展电梯安全宣传进校园、进社区、进公共场所活动。",
        ["scjgj", "jytyj", "wglj"],
        True,
    ),
    (14, "建设电梯物联网", "以特种设备远程监控中心为平台，推动电梯大数据分析和物联网建设。", ["scjgj", "jxj"], True),
]


def ensure_plan() -> dict:
    """Create what is missing: departments (with their organisations), routing rules, sector rules, tasks."""
    from .models import Department, PlanTask, RoutingRule, SectorRule

    districts = ensure_districts()
    departments = {}
    for code, name, kind, duties in CITY_DEPARTMENTS:
        org, _ = Organization.objects.get_or_create(name=name, defaults={"kind": kind})
        departments[code], _ = Department.objects.get_or_create(
            code=code, defaults={"name": name, "organization": org, "duties": duties}
        )
    for division, code in DISTRICT_CODES.items():
        name = f"{PANZHIHUA_DISTRICTS[division]}人民政府"
        org, _ = Organization.objects.get_or_create(
            name=name, defaults={"kind": OrganizationKind.DEPARTMENT, "district": districts[division]}
        )
        departments[code], _ = Department.objects.get_or_create(
            code=code,
            defaults={"name": name, "organization": org, "district": districts[division], "duties": DISTRICT_DUTY},
        )
    for category, (code, clause) in ROUTING.items():
        RoutingRule.objects.get_or_create(
            category=category, defaults={"department": departments[code], "clause": clause}
        )
    for kind, code in SECTORS.items():
        SectorRule.objects.get_or_create(building_kind=kind, defaults={"department": departments[code]})
    for number, title, summary, codes, with_districts in TASKS:
        task, created = PlanTask.objects.get_or_create(
            number=number, defaults={"title": title, "summary": summary, "includes_districts": with_districts}
        )
        if created:
            task.responsible.set(
                [departments[c] for c in codes]
                + ([departments[c] for c in DISTRICT_CODES.values()] if with_districts else [])
            )
    return departments
