"""Realistic, repeatable demo data: a township's year across several villages, entered through
the same services a cadre uses (so every record is validated and audited)."""

from __future__ import annotations

import datetime as dt
import random

from dudu_desktop.domain import vocab
from dudu_desktop.domain.validate import ID_CHECK, ID_WEIGHTS
from dudu_desktop.services import disputes, hotline, publicity, site, trainings
from dudu_desktop.services.context import Context
from dudu_desktop.storage.db import transaction

TOWNSHIP = ("500243104000", "都督乡")
VILLAGE_NAMES = (
    "都督村",
    "桐木村",
    "红岩村",
    "杨柳村",
    "石院村",
    "中岭村",
    "新华村",
    "龙潭村",
    "青龙村",
    "白果村",
    "柏树村",
    "梨子村",
    "高峰村",
    "大坪村",
    "双河村",
    "三元村",
    "金竹村",
    "长坪村",
    "茶园村",
    "黄泥村",
)
AREA = "500243"
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何罗谭冉向秦汪彭曾田任蒋唐邓冯余杜袁钟熊夏龚廖熊喻"
GIVEN = "德明华建国志文军平玉兰秀英芳红霞娟勇强伟刚涛斌杰俊敏静丽燕鹏飞春梅桂珍海林云昌福贵忠兴全成玥堃喆"
MEDIATORS = ("冉光明", "谭晓燕", "向德华", "秦志强", "汪春梅")
SPEAKERS = ("乡司法所 彭所长", "法律顾问 曾律师", "乡党委 田书记", "县法院 任法官", "派出所 蒋警官")

STORIES = {
    "婚姻家庭": (
        "{a}与妻子{b}因家庭琐事及子女抚养问题发生争吵，{b}回娘家居住，双方要求调解。",
        "{a}与{b}因赡养老人费用分担产生矛盾，兄妹之间多次争执。",
    ),
    "邻里": (
        "{a}与邻居{b}因房屋滴水、排水沟堵塞问题发生纠纷，双方多次争吵。",
        "{a}家修建围墙占用公共通道，邻居{b}出行受阻，引发矛盾。",
    ),
    "房屋宅基地": (
        "{a}与{b}因宅基地界址不清发生争议，双方各执一词。",
        "{a}翻修房屋时地基越过界址约半米，{b}要求拆除。",
    ),
    "合同": ("{a}承包{b}的果园，因承包费支付时间产生争议。", "{a}向{b}购买化肥后未按约定付款，{b}多次催要未果。"),
    "生产经营": ("{a}与{b}合伙养殖生猪，因利润分配不均产生纠纷。",),
    "损害赔偿": (
        "{a}家的牛闯入{b}的玉米地，损毁庄稼约三分地，双方就赔偿金额协商不成。",
        "{a}的货车倒车时撞坏{b}家院墙，双方对赔偿数额有争议。",
    ),
    "山林土地": ("{a}与{b}因承包地边界及林木权属发生争议。", "{a}与{b}因山林界址不清，为砍伐杉木发生争执。"),
    "征地拆迁": ("{a}对道路建设征地补偿款分配有异议，与同组{b}发生矛盾。",),
    "环境污染": ("{a}家养猪场粪污排入沟渠，下游{b}家稻田受影响。",),
    "劳动争议": ("{a}在{b}承包的工地务工，工程结束后工资尚未结清。",),
    "消费": ("{a}在{b}经营的小卖部购买的种子发芽率低，要求退赔。",),
    "医疗": ("{a}在村卫生室输液后出现不适，家属{b}要求说法。",),
    "道路交通事故": ("{a}驾驶摩托车与{b}的三轮车相撞，双方受轻伤，就医药费承担发生争议。",),
    "物业": ("{a}对安置小区{b}收取的卫生费标准有异议。",),
    "其他": ("{a}与{b}因借款归还问题发生口角。",),
}
TYPE_WEIGHTS = (14, 22, 10, 6, 4, 10, 14, 3, 2, 5, 2, 1, 4, 1, 2)
TRAINING_TOPICS = {
    "村两委干部法治培训": ("村两委干部《人民调解条例》培训", "《农村土地承包法》解读"),
    "专题学习": ("习近平法治思想专题学习", "党风党规党纪教育专题学习", "《民法典》婚姻家庭编学习"),
    "会前学法": ("会前学法：《中华人民共和国行政许可法》", "会前学法：《信访工作条例》"),
    "以案说法": ("以案说法：农村宅基地纠纷典型案例", "以案说法：电信诈骗案例剖析"),
    "研讨": ("法治政府建设研讨", "依法化解矛盾纠纷研讨"),
    "宪法宣誓": ("新任村干部宪法宣誓",),
    "旁听庭审": ("组织旁听县法院民事庭审",),
    "模拟执法": ("行政执法模拟演练",),
}
TRAINING_WEIGHTS = (5, 10, 4, 4, 8, 1, 2, 1)
QUESTIONS = {
    "婚姻家庭": ("离婚后子女抚养费如何计算？", "老人赡养费子女之间怎么分担？"),
    "劳动": ("在外务工被拖欠工资怎么办？", "工伤认定需要哪些材料？"),
    "合同": ("口头借款没有借条能否起诉？", "土地流转合同到期对方不退地怎么办？"),
    "土地": ("承包地被邻居占用怎么办？", "征地补偿款如何分配？"),
    "邻里": ("邻居房屋排水到我家院坝怎么办？",),
    "消费": ("买到假农药如何维权？",),
    "其他": ("遗嘱需要公证才有效吗？", "网购被骗如何报警？"),
}
ANSWERS = ("已解答相关法律规定，建议先行协商。", "已告知维权途径及所需材料。", "已解释相关法条，当事人表示理解。")


class _Gen:
    def __init__(self, seed: int, year: int, today: dt.date):
        self.rnd = random.Random(seed)
        self.year = year
        self.last_day = min(dt.date(year, 12, 31), today)

    def name(self) -> str:
        return self.rnd.choice(SURNAMES) + "".join(self.rnd.choice(GIVEN) for _ in range(self.rnd.choice((1, 2, 2))))

    def id_number(self, birth: dt.date, gender: str) -> str:
        seq = self.rnd.randrange(0, 500) * 2 + (1 if gender == "男" else 0)
        body = f"{AREA}{birth:%Y%m%d}{seq:03d}"
        return body + ID_CHECK[sum(int(c) * w for c, w in zip(body, ID_WEIGHTS)) % 11]

    def phone(self) -> str:
        return self.rnd.choice(("13", "15", "17", "18", "19")) + "".join(str(self.rnd.randrange(10)) for _ in range(9))

    def day(self, start: dt.date | None = None) -> dt.date:
        start = start or dt.date(self.year, 1, 1)
        span = (self.last_day - start).days
        return start + dt.timedelta(days=self.rnd.randrange(span + 1)) if span > 0 else start

    def party(self, role: str, village: str) -> dict:
        gender = self.rnd.choice(vocab.GENDERS)
        age = self.rnd.randrange(22, 80)
        birth = dt.date(self.year - age, self.rnd.randrange(1, 13), self.rnd.randrange(1, 29))
        return {
            "role": role,
            "name": self.name(),
            "gender": gender,
            "ethnicity": self.rnd.choice(("汉族",) * 5 + ("土家族", "苗族")),
            "age": age,
            "phone": self.phone(),
            "id_number": self.id_number(birth, gender) if self.rnd.random() < 0.6 else "",
            "address": f"{village}{self.rnd.randrange(1, 9)}组",
        }


def generate(ctx: Context, *, year: int = 2024, villages: int = 5, seed: int = 1) -> dict:
    """Fill the database with a year of records; returns how many of each were made. One transaction:
    all the records or none (a full disk or another writer stops it without leaving half a year)."""
    with transaction(ctx.conn):
        return _generate(ctx, year=year, villages=villages, seed=seed)


def _generate(ctx: Context, *, year: int, villages: int, seed: int) -> dict:
    info = site.site(ctx.conn)
    if info is None:
        info = site.init_site(ctx, role=site.TOWNSHIP, code=TOWNSHIP[0], name=TOWNSHIP[1])
    if info["role"] == site.VILLAGE:
        codes = [(info["code"], info["name"])]
    else:
        codes = [
            (f"{info['code'][:9]}{201 + i:03d}", VILLAGE_NAMES[i % len(VILLAGE_NAMES)]) for i in range(max(1, villages))
        ]
        for code, name in codes:
            site.save_village(ctx, code, name)
    gen = _Gen(seed, year, ctx.today())
    counts = {"disputes": 0, "trainings": 0, "hotline": 0, "publicity": 0}
    for code, name in codes:
        # Registered in date order, as at a real counter, so serial numbers follow the dates.
        for registered in sorted(gen.day() for _ in range(gen.rnd.randrange(16, 28))):
            _dispute(ctx, gen, code, name, registered)
            counts["disputes"] += 1
        for _ in range(gen.rnd.randrange(5, 9)):
            _training(ctx, gen, code, name)
            counts["trainings"] += 1
        for _ in range(gen.rnd.randrange(18, 30)):
            _call(ctx, gen, code)
            counts["hotline"] += 1
        for _ in range(gen.rnd.randrange(3, 7)):
            _event(ctx, gen, code, name)
            counts["publicity"] += 1
    return counts


def _dispute(ctx: Context, gen: _Gen, code: str, village: str, registered: dt.date) -> None:
    rnd = gen.rnd
    dtype = rnd.choices(vocab.DISPUTE_TYPES, TYPE_WEIGHTS)[0]
    parties = [gen.party("申请人", village), gen.party("被申请人", village)]
    summary = rnd.choice(STORIES[dtype]).format(a=parties[0]["name"], b=parties[1]["name"])
    level = rnd.choices(("蓝", "黄", "红"), (80, 16, 4))[0]
    dispute_id = disputes.create_dispute(
        ctx,
        {
            "village_code": code,
            "registered_on": registered,
            "dispute_type": dtype,
            "summary": summary,
            "source": rnd.choices(vocab.DISPUTE_SOURCES, (40, 45, 8, 3, 4))[0],
            "method": "人民调解",
            "mediator": rnd.choice(MEDIATORS),
            "level": level,
            "level_reason": (
                "" if level == "蓝" else "涉及人数较多，情绪激动" if level == "黄" else "有激化为民转刑案件的风险"
            ),
            "prevented_criminal": 1 if level == "红" else None,
            "prevented_criminal_people": 2 if level == "红" else None,
        },
        parties,
    )
    age = (gen.last_day - registered).days
    if age < 3 and rnd.random() < 0.7:
        return
    disputes.start_mediation(ctx, dispute_id)
    if age < 20 and rnd.random() < 0.6:
        return
    concluded = registered + dt.timedelta(days=min(age, rnd.choice((1, 3, 5, 7, 10, 15, 20, 28, 35))))
    result = rnd.choices(tuple(vocab.DisputeResult), (92, 5, 3))[0]
    amount = rnd.choice((None, None, 500, 1200, 3000, "1409.50", 10000)) if result == "调解成功" else None  # yuan
    disputes.conclude(
        ctx,
        dispute_id,
        result=result,
        concluded_on=concluded,
        amount=amount,
        agreement_terms="双方自愿达成如下协议："
        + ("一方一次性赔偿另一方损失，" if amount else "各自退让，")
        + "今后互相尊重，和睦相处。"
        if result == "调解成功"
        else "",
        performance_terms="协议签订之日起十日内履行完毕。" if amount else "",
    )
    if result != "调解成功" or (gen.last_day - concluded).days < 10:
        return
    visited = concluded + dt.timedelta(days=rnd.randrange(7, 15))
    if visited > gen.last_day:
        return
    disputes.record_followup(
        ctx,
        dispute_id,
        {
            "visited_on": visited,
            "performance": "已履行",
            "satisfaction": rnd.choices(vocab.SATISFACTION, (85, 12, 3))[0],
            "visitor": rnd.choice(MEDIATORS),
        },
    )
    if rnd.random() < 0.8:
        disputes.close_out(ctx, dispute_id, closed_out_on=visited)


def _training(ctx: Context, gen: _Gen, code: str, village: str) -> None:
    rnd = gen.rnd
    ttype = rnd.choices(vocab.TRAINING_TYPES, TRAINING_WEIGHTS)[0]
    exam = ttype in ("村两委干部法治培训", "专题学习") and rnd.random() < 0.5
    roster: list[dict] = []
    seen = set()
    while len(roster) < rnd.randrange(8, 20):
        name = gen.name()
        if name not in seen:
            seen.add(name)
            position = rnd.choice(("村支书", "村主任", "村委委员", "网格员", "村民代表"))
            roster.append({"name": name, "position": position})
    training_id = trainings.create_training(
        ctx,
        {
            "village_code": code,
            "held_on": gen.day(),
            "topic": rnd.choice(TRAINING_TOPICS[ttype]),
            "training_type": ttype,
            "speaker": rnd.choice(SPEAKERS),
            "location": f"{village}便民服务中心会议室",
            "duration_hours": rnd.choice((1, 1.5, 2, 3)),
            "exam_held": exam,
        },
        roster,
    )
    present = [p["name"] for p in roster if rnd.random() < 0.88]
    trainings.sign_in(ctx, training_id, present)
    if exam:
        for row in trainings.attendance(ctx.conn, training_id):
            if row["signed_in"]:
                trainings.record_exam(ctx, row["id"], score=rnd.randrange(62, 100))


def _call(ctx: Context, gen: _Gen, code: str) -> None:
    rnd = gen.rnd
    category = rnd.choice(tuple(QUESTIONS))
    anonymous = rnd.random() < 0.2
    day = gen.day()
    hotline.create_call(
        ctx,
        {
            "village_code": code,
            "called_at": f"{day} {rnd.randrange(8, 18):02d}:{rnd.randrange(60):02d}",
            "channel": rnd.choices(vocab.HOTLINE_CHANNELS, (30, 60, 10))[0],
            "anonymous": anonymous,
            "caller_name": "" if anonymous else gen.name(),
            "caller_phone": gen.phone() if rnd.random() < 0.7 else "",
            "category": category,
            "question": rnd.choice(QUESTIONS[category]),
            "answer": rnd.choice(ANSWERS),
            "referral": rnd.choices(vocab.REFERRALS, (80, 6, 10, 4))[0],
            "legal_aid": rnd.random() < 0.05,
            "satisfaction": rnd.choices(("满意", "基本满意", "不满意", ""), (70, 15, 5, 10))[0],
            "handler": rnd.choice(MEDIATORS),
        },
    )


def _event(ctx: Context, gen: _Gen, code: str, village: str) -> None:
    rnd = gen.rnd
    form = rnd.choices(vocab.PUBLICITY_FORMS, (30, 20, 20, 10, 25, 5))[0]
    materials = [{"kind": "宣传册", "quantity": rnd.randrange(50, 300)}]
    if rnd.random() < 0.5:
        materials.append({"kind": "横幅", "quantity": rnd.randrange(1, 4)})
    if rnd.random() < 0.3:
        materials.append({"kind": "展板", "quantity": rnd.randrange(2, 8)})
    publicity.create_event(
        ctx,
        {
            "village_code": code,
            "held_on": gen.day(),
            "theme": rnd.choice(vocab.PUBLICITY_THEMES[:-1]),
            "form": form,
            "location": rnd.choice(
                (f"{village}赶集场", f"{village}便民服务中心", f"{village}文化广场", "都督乡中心校")
            ),
            "audience": rnd.randrange(30, 400),
            "organizer": rnd.choice(MEDIATORS),
        },
        materials,
    )
