"""check / hint / progress in a learner's session (in-process, without a kernel)."""

from __future__ import annotations

import json
import os

import pytest

from ebpmkit.grading import checks
from ebpmkit.grading._store import progress_path, read_progress, update_progress
from ebpmkit.grading.checks import AnswerError, check, hint, progress, progress_table, start


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
    assert "もう全部表示しました(全3つ)" in capsys.readouterr().out
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
    assert "もう全部表示しました(全3つ)" in out and "/3:" not in out
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
    row = table[table["課題"] == "00"].iloc[0]
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
