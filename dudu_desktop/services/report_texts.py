"""The annual report's narrative (《法治政府建设情况报告》): the text the user writes, kept per
year and per village (or the township) in the settings table, with a starting template in
the style of the township's own 2024 report.

Sections (keys of the dict): ``intro`` (the opening paragraph), ``measures`` (一、主要举措和成效),
``leaders`` (二、第一责任人职责), ``problems`` (三、存在的问题和不足), ``next_steps``
(四、下一步工作措施). One paragraph per line; a short line starting with （一） is a heading.

Figures are never typed in: the text carries *fields* such as ``{矛盾纠纷}`` that the report
replaces with sentences computed from the registers (see :data:`FIELDS`), and a line holding
only ``{纠纷趋势图}`` becomes the chart of the monthly disputes by type. A field the user
deletes is simply not printed; an unknown ``{…}`` is printed as written.

The template is Chinese content (a sample document, like the demo data), not interface text:
the user edits it into their own report. Saving needs the WRITE permission and is audited.
"""

from __future__ import annotations

from dudu_desktop.domain import bounded_json
from dudu_desktop.domain.problems import Problem, Refused
from dudu_desktop.domain.vocab import Permission
from dudu_desktop.failures import os_error_message
from dudu_desktop.i18n import N_, _
from dudu_desktop.services import site
from dudu_desktop.services.context import Context

SECTIONS = ("intro", "measures", "leaders", "problems", "next_steps")
#: each section's name (English msgid), for the editor's tabs and the messages
SECTION_LABELS = {
    "intro": N_("Opening paragraph"),
    "measures": N_("Main measures and results"),
    "leaders": N_("Duties of the principal leaders as the first responsible persons"),
    "problems": N_("Problems and shortcomings"),
    "next_steps": N_("Measures for the next step"),
}
MAX_SECTION_LENGTH = 20000
#: a texts file holds five sections of at most MAX_SECTION_LENGTH characters (UTF-8: 3 bytes each, or \uXXXX)
MAX_TEXTS_FILE_BYTES = len(SECTIONS) * MAX_SECTION_LENGTH * 6 + 4096
MAX_TEXTS_DEPTH = 4  # one flat object
#: the fields the report fills in (``{矛盾纠纷}`` …; reports/annual.py writes their sentences)
FIELDS = (
    "矛盾纠纷",
    "纠纷趋势图",
    "宣传活动",
    "专项治理",
    "宣传资料",
    "专题学习",
    "研讨",
    "普法考试",
    "法治培训",
    "满意度",
)
CHART_FIELD = "纠纷趋势图"


def setting_key(conn, year: int, village: str | None) -> str:
    """``report_texts/2024/<village code>``, or ``…/township``; a village PC's own texts
    whether or not its code is given."""
    info = site.require_site(conn)
    if village is None and info["role"] == site.VILLAGE:
        village = info["code"]
    if village == info.get("township_code") and info["role"] == site.TOWNSHIP:
        village = None
    return f"report_texts/{int(year)}/{village or 'township'}"


def _unit(conn, village: str | None) -> tuple[str, bool]:
    """(the unit's name, whether it is the township)."""
    info = site.require_site(conn)
    if village is None and info["role"] == site.VILLAGE:
        village = info["code"]
    if village is None or village == info.get("township_code"):
        return info.get("township_name") or info["name"], True
    return site.village_name(conn, village), False


def default_texts(conn, year: int, village: str | None = None) -> dict[str, str]:
    """The starting template for ``year`` and the unit, in the style of the seed report."""
    name, township = _unit(conn, village)
    we = "我乡" if township else "我村"
    head = "乡党委" if township else "村党支部"
    intro = (
        f"法治建设是推进国家治理体系和治理能力现代化的重要基础，基层作为社会治理的关键环节，法治建设的成效直接"
        f"关系到基层社会的和谐稳定与经济发展。{year}年，{we}深入学习贯彻习近平法治思想，贯彻落实中央全面依法治国"
        f"决策部署和上级工作要求，依法有效化解社会矛盾，扎实开展普法宣传和法律服务，取得一定成效。现将{we}"
        f"{year}年度法治建设情况报告如下："
    )
    measures = "\n".join(
        [
            "（一）切实加强组织领导，法治建设更加有力",
            f"{name}坚持把抓好法治建设作为重要政治任务，成立了以{head}书记为组长的法治建设工作领导小组，明确各成员"
            f"职责，构建起“一把手”负总责、分管领导具体抓、各方面协同配合的工作格局，将法治建设纳入年度工作计划，"
            f"围绕问题困难抓重点、补短板、强弱项。",
            "（二）完善矛盾化解机制，基层治理格局日益成熟",
            "坚持矛盾纠纷排查关口前移，聚焦群众“急难愁盼”问题，建立健全人民调解、行政调解、司法调解联动工作体系，"
            "定期组织开展矛盾纠纷排查，对排查出的矛盾纠纷分类梳理、建立台账、实行销号管理，建立矛盾化解“红黄蓝”"
            "三级预警机制。{矛盾纠纷}，未发生因矛盾纠纷激化引发的群体性事件和恶性案件，实现问题就地化解。",
            "{纠纷趋势图}",
            "（三）营造浓厚法治氛围，群众法治素养不断提升",
            "利用赶集日、“3·8妇女节”、“3·15”国际消费者权益日、“4·15”全民国家安全教育日、“6·26”国际禁毒日等"
            "时间节点，通过发放宣传资料、举办法律讲座、设立咨询台等形式，向广大群众普及《民法典》《中华人民共和国"
            "土地管理法》《农村土地承包法》等与群众生产生活密切相关的法律法规知识，{宣传活动}，{宣传资料}，"
            "{满意度}。",
        ]
    )
    leaders = "\n".join(
        [
            "（一）坚持党建引领，完善体制机制",
            f"{head}始终将法治建设主体责任扛在肩上、抓在手上、落实在行动上，严格按照议事规则集体讨论决定重大事项，"
            "加强重大决策合法性审查，充分发挥法律顾问的作用，主动接受各方面监督。",
            "（二）推动学法普法，抓好队伍建设",
            "狠抓“关键少数”，定期开展习近平法治思想专题学习、{研讨}。坚持会前学法制度，开展党风党规党纪教育、"
            "“以案说法”等{专题学习}，{法治培训}。积极组织干部参加普法考试，{普法考试}。围绕群众关心的热点问题"
            "开展农村土地纠纷等{专项治理}，提高普法成效。",
        ]
    )
    problems = "\n".join(
        [
            "一是法治宣传教育力度不强。普法宣传形式相对单一，缺少灵活运用现代通讯技术，法律知识不能以生动、简洁的"
            "方式传达给群众。",
            "二是法治建设措施落实不到位。部分干部法治意识不强，依法办事方面仍显不足。",
            "三是基层法治力量有待加强。工作人员配备不足，专业素养与法律知识储备欠缺，创新意识有待进一步提高。",
        ]
    )
    next_steps = "\n".join(
        [
            "（一）深化法治学习教育，锻造法治型干部队伍",
            "将党章党纪及《中华人民共和国行政处罚法》《中华人民共和国行政许可法》等核心法规纳入理论学习核心内容，"
            "通过旁听庭审、模拟执法等沉浸式法治实践，推动干部从“被动学法”向“主动用法”转变。",
            "（二）健全矛盾化解机制，营造和谐稳定发展环境",
            "落实矛盾纠纷排查调处销号管理和“红黄蓝”三级预警机制，做到早发现、早报告、早控制、早解决，使矛盾纠纷"
            "化解在萌芽阶段。",
            "（三）构建多维宣传矩阵，培育群众法治信仰",
            "创新开展“法治四季行”主题活动，春季以“民法典进农家”为重点，夏季开展“防溺水安全法治课”，秋季组织"
            "“丰收季法治赶场”，冬季推进“宪法宣传周”系列活动，实现法治宣传“抬头可见、触手可及”。",
        ]
    )
    return {"intro": intro, "measures": measures, "leaders": leaders, "problems": problems, "next_steps": next_steps}


def saved_texts(conn, year: int, village: str | None = None) -> dict[str, str]:
    """What the user saved (possibly only some sections)."""
    return dict(site.get_setting(conn, setting_key(conn, year, village), {}) or {})


def get_texts(conn, year: int, village: str | None = None) -> dict[str, str]:
    """Every section: the saved text, or the template where nothing was saved."""
    texts = default_texts(conn, year, village)
    texts.update({k: v for k, v in saved_texts(conn, year, village).items() if k in SECTIONS})
    return texts


def save_texts(ctx: Context, year: int, village: str | None, texts: dict[str, str]) -> dict[str, str]:
    """Save the sections given (others keep their saved text or the template). A section
    equal to the template is not stored, so that later template changes reach it."""
    ctx.require(Permission.WRITE)
    problems = []
    for key, value in texts.items():
        if key not in SECTIONS or not isinstance(value, str):
            raise ValueError(f"not a report section: {key}={value!r}")
        if len(value) > MAX_SECTION_LENGTH:
            problems.append(
                Problem(
                    key,
                    _("{field} is too long (at most {limit} characters).").format(
                        field=_(SECTION_LABELS[key]), limit=MAX_SECTION_LENGTH
                    ),
                )
            )
    if problems:
        raise Refused(problems)
    _unit(ctx.conn, village)  # the unit must exist
    defaults = default_texts(ctx.conn, year, village)
    stored = saved_texts(ctx.conn, year, village)
    for key, value in texts.items():
        value = value.replace("\r\n", "\n").strip()
        if value == defaults[key].strip():
            stored.pop(key, None)
        else:
            stored[key] = value
    site.set_setting(ctx, setting_key(ctx.conn, year, village), stored, permission=Permission.WRITE)
    return get_texts(ctx.conn, year, village)


def read_texts_file(path) -> dict[str, str]:
    """The sections from a JSON file ``{"measures": "…", …}``, its size and nesting bounded before it is
    parsed (a file of ``[[[[…`` is refused, not a RecursionError). Raises :class:`Refused`."""
    try:
        with open(path, "rb") as f:
            raw = f.read(MAX_TEXTS_FILE_BYTES + 1)
    except OSError as exc:
        raise Refused(_("Cannot read {path}: {error}").format(path=path, error=os_error_message(exc))) from None
    try:
        given = bounded_json.loads(raw, max_bytes=MAX_TEXTS_FILE_BYTES, max_depth=MAX_TEXTS_DEPTH)
    except ValueError:
        raise Refused(
            _(
                "{path} is not a JSON file of the report's texts (damaged, too large or nested too "
                "deeply); nothing was changed."
            ).format(path=path)
        ) from None
    if (
        not isinstance(given, dict)
        or not set(given) <= set(SECTIONS)
        or not all(isinstance(v, str) for v in given.values())
    ):
        raise Refused(
            _("The file must hold a JSON object whose keys are among: {keys}.").format(keys=", ".join(SECTIONS))
        )
    return given


def reset_texts(ctx: Context, year: int, village: str | None = None) -> dict[str, str]:
    """Back to the template for every section."""
    ctx.require(Permission.WRITE)
    site.set_setting(ctx, setting_key(ctx.conn, year, village), {}, permission=Permission.WRITE)
    return get_texts(ctx.conn, year, village)
