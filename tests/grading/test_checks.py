"""check / hint / progress in a learner's session (in-process, without a kernel)."""

from __future__ import annotations

import json
import os

import pytest

from ebpmkit.errors import ParameterError
from ebpmkit.grading import checks
from ebpmkit.grading._store import progress_path, read_progress, update_progress
from ebpmkit.grading.checks import (
    AnswerError,
    check,
    exercise_id,
    hint,
    progress,
    progress_table,
    start,
)
from ebpmkit.grading.messages import number_text
from ebpmkit.grading.questions import evaluate, get_exercise, summarize


@pytest.fixture
def session(practice, capsys):
    start("00")
    capsys.readouterr()
    yield practice
    checks._SESSION = None


def test_check_before_start_is_a_kind_notice(capsys):
    checks._SESSION = None
    check("q1", 3)
    assert "start" in capsys.readouterr().out


def test_correct_and_wrong_never_show_the_expected_value(session, capsys):
    ex, ds, key = session
    expected = int(key["q1"].expected)
    check("q1", expected)
    out = capsys.readouterr().out
    assert "正解です" in out
    check("q1", expected + 1)
    out = capsys.readouterr().out
    assert "まだ正解ではありません" in out and "ヒント 1/3" in out and 'hint("q1")' in out
    assert str(expected) not in out and str(expected + 1) not in out


def test_misconception_hint_is_the_most_specific(session, capsys):
    ex, ds, key = session
    check("q1", len(ds.resident_years))
    out = capsys.readouterr().out
    assert "思い違い" in out and "重ねて数えて" in out


def test_unanswered_stub_says_so_kindly(session, capsys):
    check("q2", ...)
    out = capsys.readouterr().out
    assert "まだ答えが入っていません" in out


def test_unknown_question_lists_the_ids(session, capsys):
    check("q9", 1)
    assert "q1, q2, q3" in capsys.readouterr().out


def test_strict_mode_raises_on_anything_but_correct(session, monkeypatch, capsys):
    ex, ds, key = session
    monkeypatch.setenv("EBPMKIT_STRICT", "1")
    check("q3", key["q3"].expected)
    for answer in ("北部", ..., 3):
        with pytest.raises(AnswerError, match="q3"):
            check("q3", answer)
    out = capsys.readouterr().out
    assert "東部" not in out.replace("北部、東部、中央、南部、西部", "")


def test_hint_ladder_climbs_and_is_remembered(session, capsys):
    hint("q2")
    hint("q2")
    out = capsys.readouterr().out
    assert "ヒント 1/3" in out and "ヒント 2/3" in out
    check("q2", 1.0)
    assert "ヒント 2/3" in capsys.readouterr().out
    hint("q2")
    hint("q2")
    assert "これで全部" in capsys.readouterr().out
    # A new session (a restarted kernel) continues the ladder from the store.
    start("00")
    hint("q2")
    assert "もう全部表示しました(全部で三つ)" in capsys.readouterr().out
    check("q2", 1.0)
    assert "ヒント 3/3" in capsys.readouterr().out


def test_hint_after_a_wrong_check_reveals_the_next_unseen_rung(session, capsys):
    check("q2", 1.0)
    out = capsys.readouterr().out
    assert "ヒント 1/3" in out and 'hint("q2")' in out
    hint("q2")
    out = capsys.readouterr().out
    assert "ヒント 2/3" in out and "ヒント 1/3" not in out
    hint("q2")
    out = capsys.readouterr().out
    assert "ヒント 3/3" in out and "これで全部" in out
    hint("q2")
    out = capsys.readouterr().out
    assert "もう全部表示しました(全部で三つ)" in out and "/3:" not in out
    # At the last rung, a wrong check no longer invites hint().
    check("q2", 1.0)
    out = capsys.readouterr().out
    assert "ヒント 3/3" in out and 'hint("q2")' not in out
    assert read_progress()["exercises"]["00"]["questions"]["q2"]["hints"] == 3


def test_hint_after_a_misconception_starts_the_ladder(session, capsys):
    ex, ds, key = session
    check("q1", len(ds.resident_years))
    assert "思い違い" in capsys.readouterr().out
    hint("q1")
    assert "ヒント 1/3" in capsys.readouterr().out


def test_progress_is_stored_per_user_and_shown(session, capsys):
    ex, ds, key = session
    check("q1", key["q1"].expected)
    check("q2", 1.0)
    data = read_progress()
    questions = data["exercises"]["00"]["questions"]
    assert questions["q1"]["outcome"] == "correct" and questions["q1"]["attempts"] == 1
    assert questions["q2"]["outcome"] == "wrong"
    table = progress_table()
    row = table[table["練習問題"] == "00"].iloc[0]
    assert (row["回答済み"], row["正解"], row["得点"], row["満点"]) == (2, 1, 10, 30)
    progress()
    assert "進み具合" in capsys.readouterr().out


def test_progress_write_is_atomic_and_survives_a_corrupt_file(tmp_path, monkeypatch):
    path = progress_path()
    path.parent.mkdir(parents=True)
    path.write_text("{not json", encoding="utf-8")
    update_progress(lambda d: d["exercises"].setdefault("00", {"questions": {}}))
    assert read_progress()["exercises"] == {"00": {"questions": {}}}
    assert list(path.parent.glob("progress.broken-*.json"))
    assert not [p for p in os.listdir(path.parent) if p.endswith(".tmp")]

    def boom(data):
        data["exercises"]["01"] = {}
        raise RuntimeError("crash in the middle")

    with pytest.raises(RuntimeError):
        update_progress(boom)
    assert "01" not in read_progress()["exercises"]


def test_unwritable_store_does_not_stop_the_notebook(session, monkeypatch, tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv("EBPMKIT_PROGRESS_DIR", str(blocker / "sub"))
    check("q1", 1)
    assert "保存できませんでした" in capsys.readouterr().out


def test_answers_file_records_every_check(session, monkeypatch, tmp_path):
    journal = tmp_path / "answers.jsonl"
    monkeypatch.setenv("EBPMKIT_ANSWERS_FILE", str(journal))
    check("q1", 5)
    check("q3", "東部")
    records = [json.loads(line) for line in journal.read_text(encoding="utf-8").splitlines()]
    assert [(r["exercise"], r["question"]) for r in records] == [("00", "q1"), ("00", "q3")]
    assert records[1]["answer"] == {"type": "str", "value": "東部"}


def test_changing_the_learners_table_does_not_move_the_key(session, capsys):
    ex, ds, key = session
    ds2 = start("00")
    ds2.tables["resident_years"] = ds2.resident_years.head(10)
    check("q1", key["q1"].expected)
    assert "正解です" in capsys.readouterr().out


def test_start_names_the_exercise_the_way_the_notebooks_do(practice, capsys):
    ex, ds, key = practice
    start("00")
    out = capsys.readouterr().out
    assert f"練習問題 00「{ex.title}」" in out and "3問、合計30点" in out
    checks._SESSION = None


@pytest.mark.parametrize("given", ["0", 0, "００", " 00 "])
def test_start_accepts_an_id_without_zero_padding(practice, capsys, given):
    start(given)
    assert checks._SESSION.exercise.id == "00"
    checks._SESSION = None


def test_unpadded_ids_map_to_the_registered_ones():
    # Every registered id of two digits is reached from its number without padding.
    for ex_id in ("02", "05", "08"):
        assert exercise_id(str(int(ex_id))) == ex_id and exercise_id(int(ex_id)) == ex_id


@pytest.mark.parametrize("given", ["99", "2a", 1.5, True, None])
def test_an_unknown_exercise_lists_every_exercise_in_japanese(given):
    checks._SESSION = None
    with pytest.raises(ParameterError) as caught:
        start(given)
    text = str(caught.value)
    assert text.splitlines()[0].startswith("練習問題「")
    assert "start には次の番号のどれかを" in text
    assert f'"00": {get_exercise("00").title}' in text
    assert f'"08": {get_exercise("08").title}' in text
    assert checks._SESSION is None


def test_check_without_an_answer_is_a_kind_verdict(session, capsys):
    check("q1")
    out = capsys.readouterr().out
    assert "q1 の答えが渡されていません" in out and 'check("q1", 答え)' in out
    assert "Traceback" not in out and "TypeError" not in out
    # Nothing was answered, so nothing is recorded as an attempt.
    stored = read_progress().get("exercises", {}).get("00", {}).get("questions", {})
    assert stored.get("q1", {}).get("attempts", 0) == 0


def test_check_without_an_answer_fails_in_strict_mode(session, monkeypatch, capsys):
    monkeypatch.setenv("EBPMKIT_STRICT", "1")
    with pytest.raises(AnswerError, match="答えが渡されていません"):
        check("q1")


def test_check_without_an_answer_for_an_unknown_question_lists_the_ids(session, capsys):
    check("q9")
    assert "q1, q2, q3" in capsys.readouterr().out


def test_an_effect_estimate_for_a_number_question_suggests_its_estimate(session, capsys):
    from ebpmkit.evaluate import EffectEstimate

    result = EffectEstimate(1200.0, 300.0, 600.0, 1800.0, 400, 40, "前後比較", "仮定")
    check("q1", result)
    out = capsys.readouterr().out
    assert "答えの形が違います" in out
    assert "EffectEstimate" in out and ".estimate" in out
    # The attribute the message names is the estimate itself.
    assert result.estimate == 1200.0


def test_a_number_question_given_a_plain_object_does_not_mention_estimate(session, capsys):
    check("q1", object())
    out = capsys.readouterr().out
    assert "答えの形が違います" in out and ".estimate" not in out


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        # Hand-worked: separators every three digits, whole numbers keep every digit.
        (2508000.0, "2,508,000"),
        (2_508_000, "2,508,000"),
        (14062, "14,062"),
        (-1234.5678, "-1,234.57"),
        (19.914, "19.91"),
        (0.5, "0.5"),
        (0.000123456, "0.0001235"),
        (1e20, "100,000,000,000,000,000,000"),
        (0.0, "0"),
    ],
)
def test_numbers_in_feedback_have_separators_and_no_exponent(value, shown):
    assert number_text(value) == shown
    assert summarize(value) == shown
    assert "e+" not in number_text(value) and "e-" not in number_text(value)


def test_the_verdict_carries_the_learners_number_readably(practice):
    ex, ds, key = practice
    q = ex.question("q1")
    verdict = evaluate(q, 2508000.0, key["q1"])
    assert verdict.answer_summary == "2,508,000"
