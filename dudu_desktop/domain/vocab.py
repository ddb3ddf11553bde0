"""The registers' vocabularies. Values are stored in the database as these Chinese words:
they are the domain's own terms (and the headers/values of the township's spreadsheets).
"""

from __future__ import annotations

from enum import StrEnum


class DisputeStatus(StrEnum):
    PENDING = "待调处"
    MEDIATING = "调处中"
    CONCLUDED = "已办结"
    CLOSED_OUT = "已销号"


class DisputeResult(StrEnum):
    SUCCESS = "调解成功"
    FAILED = "调解不成"
    WITHDRAWN = "撤回"


class WarningLevel(StrEnum):
    RED = "红"
    YELLOW = "黄"
    BLUE = "蓝"


LEVEL_KEYS = {WarningLevel.RED: "red", WarningLevel.YELLOW: "yellow", WarningLevel.BLUE: "blue"}

#: Allowed status moves. Reopening (已销号/已办结 → 调处中) is a separate action that needs a reason.
STATUS_TRANSITIONS: dict[DisputeStatus, tuple[DisputeStatus, ...]] = {
    DisputeStatus.PENDING: (DisputeStatus.MEDIATING, DisputeStatus.CONCLUDED),
    DisputeStatus.MEDIATING: (DisputeStatus.CONCLUDED,),
    DisputeStatus.CONCLUDED: (DisputeStatus.CLOSED_OUT,),
    DisputeStatus.CLOSED_OUT: (),
}
OPEN_STATUSES = (DisputeStatus.PENDING, DisputeStatus.MEDIATING)
DONE_STATUSES = (DisputeStatus.CONCLUDED, DisputeStatus.CLOSED_OUT)

#: 人民调解纠纷类型 (the 15 categories of mediation statistics).
DISPUTE_TYPES = (
    "婚姻家庭",
    "邻里",
    "房屋宅基地",
    "合同",
    "生产经营",
    "损害赔偿",
    "山林土地",
    "征地拆迁",
    "环境污染",
    "劳动争议",
    "消费",
    "医疗",
    "道路交通事故",
    "物业",
    "其他",
)
DISPUTE_SOURCES = ("当事人申请", "主动排查", "公安移交", "法院委托", "政府指定")
MEDIATION_METHODS = ("人民调解", "行政调解", "司法调解")
PARTY_ROLES = ("申请人", "被申请人", "第三人")
GENDERS = ("男", "女")
SATISFACTION = ("满意", "基本满意", "不满意")
SATISFIED = ("满意", "基本满意")
PERFORMANCE = ("已履行", "部分履行", "未履行")

TRAINING_TYPES = ("村两委干部法治培训", "专题学习", "会前学法", "以案说法", "研讨", "宪法宣誓", "旁听庭审", "模拟执法")
#: Types counted as 专题学习 in the annual report ("开展…"以案说法"等专题学习10次").
STUDY_TYPES = ("专题学习", "会前学法", "以案说法")
SEMINAR_TYPES = ("研讨",)

HOTLINE_CHANNELS = ("电话", "来访", "网上")
HOTLINE_CATEGORIES = ("婚姻家庭", "劳动", "合同", "土地", "邻里", "消费", "其他")
REFERRALS = ("", "转法律援助", "转调解", "转部门")

PUBLICITY_THEMES = (
    "民法典进农家",
    "3·8妇女节",
    "3·15消费者权益日",
    "4·15国家安全教育日",
    "6·26国际禁毒日",
    "12·4宪法宣传周",
    "防溺水安全法治课",
    "丰收季法治赶场",
    "法治四季行",
    "其他",
)
PUBLICITY_FORMS = ("赶集日咨询台", "讲座", "发放资料", "悬挂横幅", "专项治理", "其他")
MATERIAL_KINDS = {"宣传册": "册", "宣传单": "份", "横幅": "条", "展板": "块", "其他": "份"}

PERSON_KINDS = ("群众", "村干部", "调解员", "主讲人", "乡镇干部")


class Role(StrEnum):
    ADMIN = "管理员"
    CLERK = "录入员"
    VIEWER = "只读"
    REVIEWER = "乡镇审核员"


class Permission(StrEnum):
    WRITE = "write"  # create and update records
    DELETE = "delete"  # delete / restore records
    REOPEN = "reopen"  # reopen a closed-out case
    PRINT_UNMASKED = "unmasked"  # print or export full personal data
    ADMINISTER = "administer"  # settings, users, keys, restore
    SYNC = "sync"  # export and import bundles


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(Permission),
    Role.CLERK: frozenset({Permission.WRITE, Permission.SYNC}),
    Role.VIEWER: frozenset(),
    Role.REVIEWER: frozenset({Permission.WRITE, Permission.REOPEN, Permission.PRINT_UNMASKED, Permission.SYNC}),
}
