"""Every Japanese message of the grading tools, in one place for review and translation.

Learner-facing text (verdicts, hints, stubs, feedback pages) and trainer-facing text (grading
statuses, build messages) are kept here as templates; code fills them with :func:`text`.
No message ever contains an expected answer.

Examples
--------
>>> text("unanswered", question="q1")
'q1 にはまだ答えが入っていません。「...」を自分の答えに書きかえて、もう一度実行してください。'
"""

from __future__ import annotations

import math

__all__ = ["MESSAGES", "OUTCOME_LABELS", "STATUS_LABELS", "number_text", "text"]

MESSAGES: dict[str, str] = {
    # --- verdicts shown by check() -------------------------------------------------------
    "correct": "正解です!{question}({points}点)",
    "wrong": "{question} はまだ正解ではありません。",
    "misconception": "{question} はまだ正解ではありません。よくある思い違いに当てはまるようです。",
    "unanswered": (
        "{question} にはまだ答えが入っていません。"
        "「...」を自分の答えに書きかえて、もう一度実行してください。"
    ),
    "recorded": "{question} の回答を記録しました。講師が読んで確認します。",
    "recorded_short": (
        "短めの回答なので、講師が内容を判断しにくいかもしれません。"
        "よければ、理由や具体例を書き足して、もう一度実行してください(書き足さなくても記録は残ります)。"
    ),
    "invalid": "{question} の答えの形が違います。{reason}",
    "no_answer": (
        "{question} の答えが渡されていません。"
        'check("{question}", 答え) のように、問題番号のあとに答え(答えを入れた変数)を書いて、'
        "もう一度実行してください。"
    ),
    # --- reasons for an invalid answer -------------------------------------------------
    "need_number": "数値を一つ入れてください(いまは {got} が入っています)。",
    "need_number_from_table": (
        "表(Series や DataFrame)ではなく、数値を一つ取り出して答えてください"
        "(例: int(...) や .iloc[0])。"
    ),
    "need_finite": "数値が NaN(欠損値)や無限大になっています。計算の途中を確かめてください。",
    "need_choice": "次の選択肢から一つ選んで、文字列で答えてください: {options}(いまは {got})。",
    "need_choice_chart": (
        "次のグラフから一つ選んで、文字列で答えてください: {options}"
        "(いまは {got})。「グラフ」は省いてもかまいません。"
    ),
    "option_with_synonyms": "{option}({synonyms}でも可)",
    "need_choice_from_table": (
        "選択肢を一つだけ、文字列で答えてください(例: .index[0] や .idxmax() で取り出せます)。"
    ),
    "need_table": "表(DataFrame または Series)で答えてください(いまは {got} が入っています)。",
    "need_text": "文章(文字列)で答えてください(いまは {got} が入っています)。",
    "unreadable": "この答え({got})は採点で読み取れない形です。数値・文字列・表のどれかで答えてください。",
    "use_estimate": (
        "分析の結果(EffectEstimate)がそのまま入っています。答えには推定値の数値を使います。"
        "推定値は .estimate で取り出せます(例: 結果を res に入れたなら res.estimate)。"
    ),
    # --- table comparison ---------------------------------------------------------------
    "table_columns": "表の列名が違います。問題文で指定された列をそろえてください。",
    "table_rows": "表の行数が違います。絞り込みや集計の単位を確かめてください。",
    "table_values": "表の形は合っていますが、値が違うところがあります。",
    # --- hints --------------------------------------------------------------------------
    "hint_label": "ヒント {level}/{total}: {hint}",
    "hint_misconception": "ヒント: {hint}",
    "hint_none": "{question} にはヒントが用意されていません。",
    "hint_all_shown": "ヒントはこれで全部です。ここまでのヒントを見直して、もう一度試してみましょう。",
    "hint_all_seen": (
        "{question} のヒントは、もう全部表示しました(全部で{count})。"
        "上に表示されたヒントを見直して、もう一度試してみましょう。"
    ),
    "hint_more": 'もっとヒントが欲しいときは hint("{question}") を実行してください。',
    # --- notebook session ---------------------------------------------------------------
    "started": (
        "練習問題 {exercise}「{title}」: {count}問、合計{points}点。"
        '答えができたら check("問題番号", 答え) で確かめられます。'
    ),
    "not_started": (
        "先に、ノートブックの最初のほうにある start(...) のセルを実行してください"
        "(練習問題のデータと答え合わせの準備をします)。"
    ),
    "unknown_question": "{question} という問題はこの練習問題にありません。問題番号: {ids}",
    "unknown_exercise": "練習問題 {exercise} はありません。練習問題の番号: {ids}",
    "key_failed": "{question} の答え合わせの準備に失敗しました。講師に知らせてください({error})。",
    "progress_unsaved": "進み具合を保存できませんでした({error})。答え合わせはそのまま続けられます。",
    "progress_title": "これまでの進み具合",
    "progress_exercise": "練習問題",
    # --- stubs written by `ebpmkit build` ------------------------------------------------
    "stub_comment": "# ▼ ここにコードを書いてください。",
    "stub_answer": "# ▼ ここにコードを書いてください。「...」を書きかえて、答えを {name} に入れます。",
    # --- question bank validation (`ebpmkit build --check`) --------------------------------
    "bank_same_as_expected": (
        "演習 {exercise} の {question}: 思い違い「{name}」の答えが正解と区別できません"
        "(許容誤差の範囲で一致します)。データか問題を見直してください。"
        " / exercise {exercise} {question}: misconception {name!r} gives the expected answer "
        "within the tolerance on the exercise's dataset."
    ),
    "bank_same_misconceptions": (
        "演習 {exercise} の {question}: 思い違い「{name}」と「{other}」の答えが区別できません。"
        "どちらのヒントを出すべきか決まりません。"
        " / exercise {exercise} {question}: misconceptions {name!r} and {other!r} give the same "
        "answer within the tolerance."
    ),
    "bank_not_computable": (
        "演習 {exercise} の {question}: {what}を計算できません({reason})。"
        " / exercise {exercise} {question}: {what_en} cannot be computed ({reason})."
    ),
    # --- feedback page ------------------------------------------------------------------
    "feedback_title": "{learner} さんの採点結果",
    "feedback_intro": (
        "練習問題の採点結果です。正解の値は表示していません。"
        "ヒントを手がかりに、もう一度ノートブックで check を実行して確かめてみましょう。"
    ),
    "feedback_status": "状態: {label}",
    "feedback_total": "合計 {total} / {max_points} 点",
    "feedback_your_answer": "あなたの答え",
    "feedback_text_answer": "あなたの記述",
    "feedback_synthetic": "データはすべて架空の自治体の合成データです。",
    "feedback_exercise": "練習問題 {exercise}: {title}",
    "feedback_exercise_id": "練習問題 {exercise}",
    "feedback_file": "ファイル: {name}",
    "feedback_question": "問題",
    "feedback_outcome": "結果",
    "feedback_points": "得点",
    "feedback_hint": "ヒント",
    "feedback_no_sandbox": (
        "この採点は、提出されたノートブックをサンドボックスなしで実行しました(--no-sandbox)。"
    ),
    "feedback_verify": (
        "この採点では、同じ自治体を別の乱数シード(seed {seed})で作ったデータでもノートブックを"
        "実行して、答えがデータから計算されているかを確かめました。"
    ),
    # --- where a run went wrong (grading status details), cells counted as learners do -----
    "cell_syntax": "{cell}番目のコードセルに文法の誤りがあります({line}行目)",
    "cell_syntax_noline": "{cell}番目のコードセルに文法の誤りがあります",
    "cell_error": "{cell}番目のコードセルでエラーが出ました({ename}: {evalue})",
    "cell_error_plain": "{cell}番目のコードセルでエラーが出ました({ename})",
    "cell_exit": "{cell}番目のコードセルでノートブックが終了しました({ename})",
    "cell_slow": "{cell}番目のコードセルは{seconds}秒を超えたので途中で止めました",
    "cell_unstoppable": (
        "{cell}番目のコードセルは{seconds}秒を超えたので止めようとしましたが、止まりませんでした"
    ),
    "cell_timeout_at": "{cell}番目のコードセルの実行中に制限時間({seconds}秒)になりました",
    "more_problems": " ほか{count}件",
    "run_timeout": "制限時間 {seconds}秒",
    # --- reproduction on another seed (`ebpmkit grade --verify-seed`) ---------------------
    "not_reproduced": (
        "{question} は練習問題のデータでは正解でしたが、同じ自治体を別の乱数シードで作った"
        "データで同じノートブックを実行すると、正解になりませんでした。"
    ),
    "not_reproduced_hint": (
        "答えの値を直接書き込まず、データから計算するコードで求めてみましょう。"
        "コードで計算した答えなら、データが変わっても正しい値になります。"
    ),
    "verify_rerun": "seed {seed} での再実行: {label}",
}

# Short labels for question outcomes (feedback pages, item analysis).
OUTCOME_LABELS: dict[str, str] = {
    "correct": "正解",
    "wrong": "不正解",
    "misconception": "不正解(よくある思い違い)",
    "unanswered": "未回答",
    "invalid": "答えの形が違う",
    "recorded": "記述を記録",
    "not_reproduced": "別のデータで再現せず",
}

# Grading status of a whole submission: code -> Japanese explanation for the trainer and learner.
STATUS_LABELS: dict[str, str] = {
    "ok": "採点しました。",
    "blank": "どの問題にも答えがありませんでした(配布したままの状態のようです)。",
    "error": "一部のセルでエラーが出ました。エラーの前後で答えを記録できた問題だけ採点しました。",
    "exited": "ノートブックの途中で終了(sys.exit など)しました。記録できた答えだけ採点しました。",
    "crashed": "カーネルが異常終了しました。記録できた答えだけ採点しました。",
    "timeout": "制限時間内に実行が終わりませんでした(無限ループの可能性)。それまでに記録できた答えだけ採点しました。",
    "slow_cell": (
        "時間がかかりすぎたセルを途中で止めました(無限ループの可能性)。"
        "そのセルの答えは記録されていませんが、ほかのセルは実行して採点しました。"
    ),
    "memory": "メモリの使用量が上限を超えました。それまでに記録できた答えだけ採点しました。",
    "not_a_notebook": "ノートブック(.ipynb)ではないファイルです。採点していません。",
    "corrupt": "ノートブックのファイルが壊れていて読めません。採点していません。",
    "wrong_exercise": "採点対象と違う練習問題のノートブックです。採点していません。",
    "grader_error": "採点の仕組みの側で問題が起きました。講師に連絡してください。",
}


def text(key: str, **values: object) -> str:
    """Fill the message template ``key`` with ``values``.

    Examples
    --------
    >>> text("correct", question="q2", points=10)
    '正解です!q2(10点)'
    """
    return MESSAGES[key].format(**values)


def count_text(n: int) -> str:
    """A count of things in words, as 公用文 writes it: 漢数字 with つ up to nine, then 個.

    Examples
    --------
    >>> count_text(3), count_text(9), count_text(12)
    ('三つ', '九つ', '12個')
    """
    return f"{'一二三四五六七八九'[n - 1]}つ" if 1 <= n <= 9 else f"{n:,}個"


def number_text(value: float) -> str:
    """A learner's number written for a message: thousands separators, never ``2.508e+06``.

    Whole numbers keep every digit; other numbers are rounded to two decimals, or to four
    significant digits when they are smaller than 10.

    Examples
    --------
    >>> number_text(2508000.0), number_text(14062), number_text(-1234.5678)
    ('2,508,000', '14,062', '-1,234.57')
    >>> number_text(19.914), number_text(0.000123456), number_text(1e20)
    ('19.91', '0.0001235', '100,000,000,000,000,000,000')
    >>> number_text(float("nan")), number_text(float("-inf"))
    ('NaN(欠損値)', '-無限大')
    """
    value = float(value)
    if math.isnan(value):
        return "NaN(欠損値)"
    if math.isinf(value):
        return "無限大" if value > 0 else "-無限大"
    if value == int(value):
        return f"{int(value):,}"
    magnitude = math.floor(math.log10(abs(value)))
    decimals = min(max(2, 3 - magnitude), 12)
    shown = f"{value:,.{decimals}f}".rstrip("0").rstrip(".")
    return "0" if shown in ("-0", "") else shown
