"""Shared helpers for tests/test_reports_*.py: a small village data set with known personal
data, and ways to read generated PDFs back with pypdf."""

from __future__ import annotations

import io
import re

from pypdf import PdfReader

from dudu_desktop.services import disputes, hotline, publicity, site, trainings
from dudu_desktop.services.context import Context
from dudu_desktop.storage.db import open_database

ID_FULL = "11010519491231002X"
ID_MASKED = "110105********002X"
PHONE_FULL = "18012341999"
PHONE_MASKED = "180****1999"
NAME_FULL = "张三丰"
NAME_MASKED = "张**"
CALLER_FULL = "欧阳娜娜"
CALLER_PHONE = "13912345678"


def new_context(path, *, role="village", clock_at=None, user="tester") -> Context:
    """Like tests/conftest.py's make_context (importing ``conftest`` is ambiguous when the
    ui tests' conftest is loaded too)."""
    import datetime as dt

    clock_at = clock_at or dt.datetime(2024, 12, 20, 10, 0, 0)
    ctx = Context(conn=open_database(path), user=user, clock=lambda: clock_at)
    if role == "village":
        site.init_site(
            ctx,
            role="village",
            code="500243104201",
            name="都督村",
            township_code="500243104000",
            township_name="都督乡",
        )
    else:
        site.init_site(ctx, role="township", code="500243104000", name="都督乡")
    return ctx


def seed(ctx) -> dict:
    """May 2024 in 都督村: two disputes (one settled for ¥10000), a call, a session with an
    exam, an event with materials; one dispute in June. Returns the ids."""
    ids = {}
    ids["settled"] = disputes.create_dispute(
        ctx,
        {
            "registered_on": "2024-05-06",
            "dispute_type": "邻里",
            "source": "当事人申请",
            "mediator": "冉光明",
            "summary": "张三丰与邻居李四因排水沟堵塞发生纠纷，双方多次争吵。",
        },
        [
            {
                "role": "申请人",
                "name": NAME_FULL,
                "gender": "男",
                "ethnicity": "汉族",
                "age": 74,
                "phone": PHONE_FULL,
                "id_number": ID_FULL,
                "address": "都督村3组12号",
            },
            {
                "role": "被申请人",
                "name": "李四",
                "gender": "女",
                "ethnicity": "土家族",
                "age": 45,
                "phone": "13912340000",
                "address": "都督村3组15号",
            },
        ],
    )
    disputes.start_mediation(ctx, ids["settled"], method="人民调解")
    disputes.conclude(
        ctx,
        ids["settled"],
        result="调解成功",
        concluded_on="2024-05-10",
        amount="10000",
        agreement_terms="李四疏通排水沟并赔偿张三丰损失。",
        performance_terms="协议签订之日起十日内履行完毕。",
    )
    ids["open"] = disputes.create_dispute(
        ctx,
        {
            "registered_on": "2024-05-20",
            "dispute_type": "合同",
            "source": "主动排查",
            "summary": "=HYPERLINK(\"http://x\") 王五拖欠货款。",
        },
        [{"role": "申请人", "name": "王五"}, {"role": "被申请人", "name": "赵六"}],
    )
    ids["failed"] = disputes.create_dispute(
        ctx,
        {"registered_on": "2024-05-21", "dispute_type": "合同", "source": "主动排查", "summary": "买卖纠纷。"},
        [{"role": "申请人", "name": "钱七"}],
    )
    disputes.conclude(ctx, ids["failed"], result="调解不成", concluded_on="2024-05-25")
    ids["june"] = disputes.create_dispute(
        ctx,
        {"registered_on": "2024-06-02", "dispute_type": "邻里", "source": "主动排查", "summary": "六月的纠纷。"},
        [{"role": "申请人", "name": "孙八"}],
    )
    ids["call"] = hotline.create_call(
        ctx,
        {
            "called_at": "2024-05-08 14:20",
            "channel": "电话",
            "caller_name": CALLER_FULL,
            "caller_phone": CALLER_PHONE,
            "category": "劳动",
            "question": "欧阳娜娜询问被拖欠工资怎么办？",
            "answer": "已告知维权途径。",
            "legal_aid": True,
            "satisfaction": "满意",
        },
    )
    ids["anonymous"] = hotline.create_call(
        ctx,
        {
            "called_at": "2024-05-09 09:00",
            "channel": "来访",
            "anonymous": True,
            "category": "其他",
            "question": "遗嘱需要公证吗？",
        },
    )
    ids["training"] = trainings.create_training(
        ctx,
        {
            "held_on": "2024-05-15",
            "topic": "《民法典》婚姻家庭编学习",
            "training_type": "专题学习",
            "speaker": "曾律师",
            "location": "村便民服务中心",
            "duration_hours": 1.5,
            "exam_held": True,
        },
        [
            {"name": "任梅强", "position": "村支书"},
            {"name": "罗涛春", "position": "村主任"},
            {"name": "余玥丽", "position": "网格员"},
        ],
    )
    trainings.sign_in(ctx, ids["training"], ["任梅强", "罗涛春"])
    rows = {r["name"]: r for r in trainings.attendance(ctx.conn, ids["training"])}
    trainings.record_exam(ctx, rows["任梅强"]["id"], score=92)
    trainings.record_exam(ctx, rows["罗涛春"]["id"], score=50)
    ids["event"] = publicity.create_event(
        ctx,
        {
            "held_on": "2024-05-18",
            "theme": "民法典进农家",
            "form": "赶集日咨询台",
            "location": "都督场镇",
            "audience": 120,
        },
        [{"kind": "宣传册", "quantity": 2345}, {"kind": "横幅", "quantity": 2}],
    )
    return ids


def reader(data: bytes) -> PdfReader:
    return PdfReader(io.BytesIO(data))


def pdf_text(data: bytes) -> str:
    """All pages' text."""
    return "\n".join(page.extract_text() for page in reader(data).pages)


def flat(text: str) -> str:
    """Text without whitespace: sentences wrapped over lines read as one."""
    return re.sub(r"\s+", "", text)


def page_numbers(data: bytes) -> list[tuple[int, int] | None]:
    found = []
    for page in reader(data).pages:
        m = re.search(r"第\s*(\d+)\s*页\s*共\s*(\d+)\s*页", page.extract_text())
        found.append((int(m.group(1)), int(m.group(2))) if m else None)
    return found


def assert_fonts_embedded(data: bytes) -> None:
    seen = 0
    for page in reader(data).pages:
        for ref in page["/Resources"]["/Font"].values():
            font = ref.get_object()
            descendants = font.get("/DescendantFonts")
            target = descendants[0].get_object() if descendants else font
            descriptor = target.get("/FontDescriptor")
            assert descriptor is not None, f"{font['/BaseFont']} has no descriptor (not embedded)"
            assert "/FontFile2" in descriptor.get_object(), f"{font['/BaseFont']} not embedded"
            seen += 1
    assert seen
