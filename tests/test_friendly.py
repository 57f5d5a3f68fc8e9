"""The friendly error handler, in a real IPython shell and in a real Jupyter kernel."""

from __future__ import annotations

import builtins
import html
import json
import sys
import types

import pandas as pd
import pytest

from ebpmkit import friendly
from ebpmkit.friendly import ENV, HANDLED, explain

SETUP = (
    "import ebpmkit\n"
    "import pandas as pd\n"
    "df = pd.DataFrame({'fiscal_year': [2023, 2024], 'area': ['東部', '西部'], 'age': [30, 70]})"
)


def test_outside_ipython_nothing_is_installed():
    from IPython.core.interactiveshell import InteractiveShell

    if InteractiveShell.initialized():
        pytest.skip("an IPython shell exists in this process")
    assert friendly.install() is False and friendly.install_on_import() is False


@pytest.fixture(scope="module")
def shell(tmp_path_factory):
    """An IPython shell with its own user module, history in memory and no colours."""
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    before = set(vars(builtins))
    config = Config()
    config.HistoryManager.hist_file = ":memory:"
    config.InteractiveShell.colors = "nocolor"
    config.InteractiveShell.ipython_dir = str(tmp_path_factory.mktemp("ipython"))
    ip = InteractiveShell.instance(config=config, user_module=types.ModuleType("learner_cells"))
    result = ip.run_cell(SETUP)
    assert result.success
    yield ip
    friendly.uninstall(ip)
    InteractiveShell.clear_instance()
    sys.modules.pop("learner_cells", None)
    for name in set(vars(builtins)) - before:
        delattr(builtins, name)


@pytest.fixture
def run(shell, capsys):
    """Run one cell; return its result, what it displayed (mime bundles) and what it printed."""
    from IPython.core.displaypub import CapturingDisplayPublisher

    friendly.install(shell)
    old = shell.display_pub
    shell.display_pub = CapturingDisplayPublisher()
    capsys.readouterr()

    def run_cell(code: str):
        shell.display_pub.outputs.clear()
        result = shell.run_cell(code)
        shown = [out["data"] for out in shell.display_pub.outputs]
        return result, shown, capsys.readouterr().out

    yield run_cell
    shell.display_pub = old


def test_install_registers_the_handled_errors(shell):
    assert friendly.install(shell) and friendly.is_installed(shell)
    assert shell.custom_exceptions == HANDLED


def test_a_misspelt_column_is_explained_and_still_fails(run):
    result, shown, printed = run('df["fiscal_yaer"]')
    # The cell still fails with the same KeyError (nbval and the grader see an error).
    assert isinstance(result.error_in_exec, KeyError) and not result.success
    assert result.error_in_exec.args == ("fiscal_yaer",)
    assert sys.last_value is result.error_in_exec  # what %tb and %debug read
    [bundle] = shown
    page = bundle["text/html"]
    assert "表に「fiscal_yaer」という列はありません。" in page
    assert "近い名前の列: fiscal_year" in page
    # The original traceback, pandas' frames included, is one click away.
    details = page[page.index("<details") :]
    assert "元のエラー表示(KeyError)" in details and "get_loc" in details
    # Plain-text frontends get the explanation and the whole traceback as text.
    assert bundle["text/plain"].startswith("⚠️ 表に「fiscal_yaer」という列はありません。")
    assert "get_loc" in bundle["text/plain"]
    # The error output itself shows the learner's cell, not pandas' insides.
    assert "KeyError: 'fiscal_yaer'" in printed and 'df["fiscal_yaer"]' in printed
    assert "get_loc" not in printed and "frame.py" not in printed


@pytest.mark.parametrize(
    ("code", "error", "expected"),
    [
        ('df[["age", "aera"]]', KeyError, ["表に「aera」という列はありません", "area"]),
        ('df.groupby("aera").size()', KeyError, ["表に「aera」という列はありません", "area"]),
        ('df.groupby("area")["agee"].sum()', KeyError, ["「agee」という列", "近い名前の列: age"]),
        ('df.query("agee > 1")', NameError, ["「agee」という列", "近い名前の列: age"]),
        ('df["年度"]', KeyError, ["「年度」は列 fiscal_year の日本語の名前です"]),
        ("df[0]", KeyError, ["表.iloc[0]", "この表の列: fiscal_year, area, age"]),
        (
            "dff.head()",
            NameError,
            ["「dff」という名前はまだありません", "近い名前: df", "上から順に実行"],
        ),
        ('print("q1", 答え)', NameError, ["答えを入れた変数"]),
        ("plt.show()", NameError, ["import matplotlib.pyplot as plt"]),
        ('df[df["area"] > 3]', TypeError, ["文字列(テキスト)と数値を比べよう", "表.dtypes"]),
        ('df[df["age"] > "65"]', TypeError, ["文字列(テキスト)と数値を比べよう"]),
        ("df[(df.age > 1) and (df.age < 50)]", ValueError, ["and・or ではなく &(かつ)・|(または)"]),
        ('df["area"] + 1', TypeError, ["文字列(テキスト)と数値で計算しよう"]),
        ('"人口: " + 3', TypeError, ["文字列(テキスト)と数値で計算しよう"]),
        ('df("age")', TypeError, ["表(DataFrame)は関数ではない", "角かっこ [ ]"]),
        ('float("1,234")', ValueError, ["'1,234' を数値に変換できません", "カンマ"]),
        ("df.mean()", TypeError, ["文字列の列で mean を計算しよう", "numeric_only=True"]),
        (
            'df.merge(df.assign(age=df["age"].astype(str)), on="age")',
            ValueError,
            ["結合(merge)に使う列 age の型が、二つの表で違います"],
        ),
        ('df.groupy("area")', AttributeError, ["「groupy」という名前の列もメソッドも", "groupby"]),
        ("df.fiscal_yaer", AttributeError, ['表["fiscal_year"]']),
        ("df.append(df)", AttributeError, ["pd.concat"]),
        (
            'df["age"].sume()',
            AttributeError,
            ["列(Series)には「sume」というメソッドはありません", "sum"],
        ),
    ],
)
def test_common_beginner_errors_are_explained_in_japanese(run, code, error, expected):
    result, shown, printed = run(code)
    assert isinstance(result.error_in_exec, error)
    assert len(shown) == 1, printed
    for text in expected:
        assert html.escape(text, quote=False) in shown[0]["text/html"]
        assert text in shown[0]["text/plain"]
    assert type(result.error_in_exec).__name__ in printed


def test_an_ebpmkit_error_shows_its_message_without_internal_frames(run):
    code = "from ebpmkit.errors import check_choice\ncheck_choice('variant', 'x', ['raw'])"
    result, shown, printed = run(code)
    error = result.error_in_exec
    assert isinstance(error, friendly.EbpmkitError)
    first = str(error).splitlines()[0]
    assert first.startswith("引数 'variant'")  # Japanese first
    [bundle] = shown
    assert bundle["text/plain"].startswith(f"⚠️ {first}")
    assert "errors.py" in bundle["text/html"]  # the full traceback, one click away
    assert first in printed and "errors.py" not in printed


@pytest.mark.parametrize(
    ("code", "error"),
    [
        ("1 / 0", ZeroDivisionError),
        ('d = {}\nd["x"]', KeyError),  # a dict, not a table
        ('df.loc["no such row"]', KeyError),  # a row label, not a column
        ('import json\njson.loads("{")', ValueError),  # raised inside another library
        ("[1, 2][5]", IndexError),
    ],
)
def test_other_errors_keep_ipythons_usual_display(run, code, error):
    result, shown, printed = run(code)
    assert isinstance(result.error_in_exec, error)
    assert shown == []
    assert "Traceback" in printed and type(result.error_in_exec).__name__ in printed


@pytest.mark.filterwarnings("ignore:To exit:UserWarning")
@pytest.mark.parametrize("code", ["raise KeyboardInterrupt", "raise SystemExit(3)"])
def test_interrupts_and_exits_are_untouched(run, code):
    result, shown, _ = run(code)
    assert isinstance(result.error_in_exec, KeyboardInterrupt | SystemExit)
    assert shown == []
    assert not issubclass(KeyboardInterrupt, HANDLED) and not issubclass(SystemExit, HANDLED)


def test_html_escapes_what_the_learner_typed(run):
    result, shown, _ = run('df["<b>x</b>"]')
    assert isinstance(result.error_in_exec, KeyError)
    page = shown[0]["text/html"]
    assert "&lt;b&gt;x&lt;/b&gt;" in page and "<b>x</b>" not in page


def test_a_broken_explanation_never_hides_the_error(run, monkeypatch):
    def broken(error):
        raise RuntimeError("bug in the explanation")

    monkeypatch.setattr(friendly, "explain", broken)
    result, shown, printed = run('df["fiscal_yaer"]')
    assert isinstance(result.error_in_exec, KeyError)
    assert shown == [] and "KeyError" in printed and "Traceback" in printed
    assert friendly.is_installed()  # still installed for the next cell


def test_uninstall_and_the_environment_variable_turn_it_off(shell, run, monkeypatch):
    assert friendly.uninstall(shell) is True and not friendly.is_installed(shell)
    result, shown, printed = run('df["fiscal_yaer"]')
    assert isinstance(result.error_in_exec, KeyError)
    assert shown == [] and "Traceback" in printed
    monkeypatch.setenv(ENV, "0")
    assert friendly.install_on_import() is False and not friendly.is_installed(shell)
    monkeypatch.setenv(ENV, "1")
    assert friendly.install_on_import() is True and friendly.is_installed(shell)
    assert len(run('df["fiscal_yaer"]')[1]) == 1


def test_another_custom_handler_is_left_in_place(shell):
    friendly.uninstall(shell)

    def theirs(self, etype, value, tb, tb_offset=None):
        return None

    shell.set_custom_exc((ValueError,), theirs)
    try:
        assert friendly.install(shell) is False and not friendly.is_installed(shell)
        assert friendly.uninstall(shell) is False
        assert shell.custom_exceptions == (ValueError,)
    finally:
        shell.set_custom_exc((), None)
        friendly.install(shell)


def test_explain_without_ipython():
    table = pd.DataFrame({"household_id": [1], "fiscal_year": [2024]})
    try:
        table["Fiscal_Year"]
    except KeyError as error:
        found = explain(error)
    assert found is not None and "近い名前の列: fiscal_year" in found.japanese
    try:
        json.loads("{")
    except ValueError as error:
        assert explain(error) is None


def test_a_jupyter_kernel_reports_the_error_after_the_explanation(tmp_path):
    """In a real kernel, where ``import ebpmkit`` installs the handler: the explanation is a
    display output, then the error output; a run without allow_errors stops at the cell, as
    nbval and "Run All" rely on."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell(SETUP),
        nbformat.v4.new_code_cell('df["fiscal_yaer"]'),
        nbformat.v4.new_code_cell("never = 1"),
    ]
    client = NotebookClient(
        nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    with pytest.raises(CellExecutionError, match="KeyError"):
        client.execute()
    outputs = nb.cells[1].outputs
    assert [o.output_type for o in outputs] == ["display_data", "error"]
    assert "表に「fiscal_yaer」という列はありません。" in outputs[0].data["text/html"]
    assert "fiscal_year" in outputs[0].data["text/html"]
    assert outputs[1].ename == "KeyError" and outputs[1].evalue == "'fiscal_yaer'"
    assert nb.cells[2].outputs == [] and nb.cells[2].get("execution_count") is None
