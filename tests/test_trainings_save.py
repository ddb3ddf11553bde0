"""services.trainings.save_training: the training editor's one save (details and roster diffed,
one transaction, one audit entry per row written)."""

from __future__ import annotations

import pytest

from dudu_desktop.domain.problems import Refused
from dudu_desktop.services import trainings

DETAILS = {"held_on": "2024-12-10", "topic": "《民法典》婚姻家庭编学习", "training_type": "专题学习"}


def snapshot(ctx):
    """Everything a save could write: the sessions, the rosters and the audit log."""
    return [
        [tuple(r) for r in ctx.conn.execute(f"SELECT * FROM {t} ORDER BY rowid")]
        for t in ("trainings", "training_attendance", "audit_log")
    ]


def actions(ctx, since):
    return [
        (r["action"], r["table_name"])
        for r in ctx.conn.execute("SELECT action, table_name FROM audit_log WHERE seq > ? ORDER BY seq", (since,))
    ]


def last_seq(ctx):
    return ctx.conn.execute("SELECT coalesce(max(seq), 0) FROM audit_log").fetchone()[0]


def by_name(ctx, training_id):
    return {a["name"]: a for a in trainings.attendance(ctx.conn, training_id)}


def test_a_new_session_with_its_roster_signed_and_scored(ctx):
    seq = last_seq(ctx)
    training_id = trainings.save_training(
        ctx,
        None,
        DETAILS,
        [
            {"name": "王兴", "position": "村民", "signed_in": True, "exam_score": "85"},
            {"name": "周霞", "phone": "13812345678", "signed_in": False, "exam_score": ""},
            {"name": "杨文", "signed_in": True, "exam_score": "40"},
        ],
    )
    record = trainings.get_training(ctx.conn, training_id)
    assert (record["topic"], record["version"]) == (DETAILS["topic"], 1)
    rows = by_name(ctx, training_id)
    assert list(rows) == ["王兴", "周霞", "杨文"]
    assert (rows["王兴"]["signed_in"], rows["王兴"]["exam_score"], rows["王兴"]["exam_passed"]) == (1, 85, 1)
    assert rows["王兴"]["signed_at"] == "2024-12-20 10:00:00" and rows["王兴"]["position"] == "村民"
    assert (rows["周霞"]["signed_in"], rows["周霞"]["exam_passed"], rows["周霞"]["signed_at"]) == (0, None, None)
    assert rows["周霞"]["phone"] == "13812345678"
    assert rows["杨文"]["exam_passed"] == 0
    assert actions(ctx, seq) == [("create_training", "trainings")] + [("invite", "training_attendance")] * 3


def test_an_update_diffs_the_roster(ctx):
    training_id = trainings.save_training(ctx, None, DETAILS, [{"name": "王兴"}, {"name": "周霞"}, {"name": "杨文"}])
    trainings.save_training(
        ctx,
        training_id,
        {},
        [
            {"name": "王兴", "signed_in": True, "exam_score": "85"},
            {"name": "周霞", "signed_in": True},
            {"name": "杨文"},
        ],
    )
    seq = last_seq(ctx)
    trainings.save_training(
        ctx,
        training_id,
        {**DETAILS, "topic": "以案说法"},
        [
            {"name": "王兴", "signed_in": True, "exam_score": "85"},  # unchanged: nothing written
            {"name": "周霞", "signed_in": False},  # unticked
            {"name": "杨文", "position": "网格员", "signed_in": False},  # only the position
            {"name": "李四", "signed_in": True},  # a walk-in added
        ],
        version=1,
    )
    rows = by_name(ctx, training_id)
    assert trainings.get_training(ctx.conn, training_id)["topic"] == "以案说法"
    assert (rows["王兴"]["version"], rows["王兴"]["exam_score"]) == (2, 85)  # create, then sign-in with score
    assert (rows["周霞"]["signed_in"], rows["周霞"]["signed_at"]) == (0, None)
    assert rows["杨文"]["position"] == "网格员"
    assert rows["李四"]["signed_in"] == 1
    assert actions(ctx, seq) == [
        ("update_training", "trainings"),
        ("sign_in", "training_attendance"),
        ("update_attendance", "training_attendance"),
        ("invite", "training_attendance"),
    ]


def test_a_score_is_changed_cleared_and_cleared_by_unticking(ctx):
    training_id = trainings.save_training(
        ctx,
        None,
        DETAILS,
        [{"name": "王兴", "signed_in": True, "exam_score": 50}, {"name": "周霞", "signed_in": True, "exam_score": 90}],
    )
    seq = last_seq(ctx)
    trainings.save_training(
        ctx,
        training_id,
        {},
        [
            {"name": "王兴", "signed_in": True, "exam_score": "75"},
            {"name": "周霞", "signed_in": True, "exam_score": ""},
        ],
        version=1,
    )
    rows = by_name(ctx, training_id)
    assert (rows["王兴"]["exam_score"], rows["王兴"]["exam_passed"]) == (75, 1)
    assert (rows["周霞"]["exam_score"], rows["周霞"]["exam_passed"]) == (None, None)
    assert actions(ctx, seq) == [("record_exam", "training_attendance")] * 2
    trainings.save_training(
        ctx,
        training_id,
        {},
        [{"name": "王兴", "signed_in": False, "exam_score": "75"}, {"name": "周霞", "signed_in": True}],
        version=1,
    )
    assert by_name(ctx, training_id)["王兴"]["exam_score"] is None


def test_a_bare_passed_without_score_is_kept_when_no_score_is_typed(ctx):
    training_id = trainings.save_training(ctx, None, DETAILS, [{"name": "王兴", "signed_in": True}])
    trainings.record_exam(ctx, by_name(ctx, training_id)["王兴"]["id"], passed=True)
    before = snapshot(ctx)
    trainings.save_training(ctx, training_id, {}, [{"name": "王兴", "signed_in": True, "exam_score": ""}], version=1)
    assert snapshot(ctx) == before


def test_a_stored_person_left_out_is_refused_and_nothing_is_written(ctx):
    training_id = trainings.save_training(ctx, None, DETAILS, [{"name": "王兴"}, {"name": "周霞"}])
    before = snapshot(ctx)
    with pytest.raises(Refused) as err:
        trainings.save_training(
            ctx, training_id, {"topic": "改了"}, [{"name": "王兴", "signed_in": True}, {"name": "李四"}], version=1
        )
    assert "周霞" in str(err.value.problems[0].message) and "不能移出" in err.value.problems[0].message
    assert snapshot(ctx) == before


def test_a_version_conflict_is_refused_and_nothing_is_written(ctx):
    training_id = trainings.save_training(ctx, None, DETAILS, [{"name": "王兴"}])
    trainings.save_training(ctx, training_id, {"topic": "别人改的"}, version=1)  # someone else: version 2
    before = snapshot(ctx)
    with pytest.raises(Refused) as err:
        trainings.save_training(ctx, training_id, {"topic": "我改的"}, [{"name": "王兴", "signed_in": True}], version=1)
    assert "版本" in err.value.problems[0].message
    assert snapshot(ctx) == before


@pytest.mark.parametrize("training_id", [None, "existing"])
def test_every_problem_is_found_before_anything_is_written(ctx, training_id):
    if training_id:
        training_id = trainings.save_training(ctx, None, DETAILS, [{"name": "王兴"}])
    before = snapshot(ctx)
    with pytest.raises(Refused) as err:
        trainings.save_training(
            ctx,
            training_id,
            {**DETAILS, "held_on": "不是日期"},
            [
                {"name": "王兴", "signed_in": True, "exam_score": "150"},  # out of range
                {"name": "周霞", "signed_in": False, "exam_score": "80"},  # a result without sign-in
                {"name": "", "signed_in": True},  # no name
                {"name": "杨文"},
                {"name": "杨文"},  # twice
            ],
            version=1 if training_id else None,
        )
    fields = sorted(err.value.by_field())
    assert fields == ["held_on", "roster[0].exam_score", "roster[1].signed_in", "roster[2].name", "roster[4].name"]
    messages = [p.message for p in err.value.problems]
    assert any(m.startswith(("王兴：", "王兴:")) for m in messages)
    assert snapshot(ctx) == before


def test_roster_none_leaves_the_roster_alone(ctx):
    training_id = trainings.save_training(ctx, None, DETAILS, [{"name": "王兴"}])
    seq = last_seq(ctx)
    trainings.save_training(ctx, training_id, {"topic": "只改主题"}, version=1)
    assert actions(ctx, seq) == [("update_training", "trainings")]
    assert list(by_name(ctx, training_id)) == ["王兴"]
