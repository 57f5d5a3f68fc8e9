"""Anonymization: identifiers, keyed pseudonyms, generalization, k-anonymity, small cells.

The functions follow the order of work in a municipality that prepares data for analysis or
publication (個人情報保護法の匿名加工・仮名加工の考え方に沿った手順):

1. remove direct identifiers (:func:`drop_identifiers`) and replace IDs that link records with
   keyed pseudonyms (:func:`pseudonymize`, HMAC-SHA256);
2. generalize (:func:`age_band`, :func:`income_band`, :func:`coarsen_date`) and recode unusual
   values (:func:`top_code`, :func:`bottom_code`);
3. measure re-identification risk over chosen quasi-identifiers (:func:`k_anonymity`,
   :func:`l_diversity`, :func:`equivalence_classes`, :func:`records_at_risk`, :func:`assess`) and
   suppress what is still at risk (:func:`enforce_k`);
4. before publishing a table of counts, suppress small cells and the cells from which they
   could be calculated back (:func:`suppress_small_cells`; for a table that publishes its own
   totals, with ``margins=`` :class:`Margins`, checked by :func:`recoverable_cells`).

:func:`anonymize` runs steps 1 to 3 over a whole dataset following a declared :class:`Policy`
and returns an :class:`AnonymizationReport`. ``ebpmkit.load(variant="pseudonymized")`` (the
training default; 仮名加工情報, not 匿名加工情報) is the raw variant after ``anonymize(raw, DEFAULT_POLICY, key=training_key(seed))``.

Missing values (欠損の扱い)
---------------------------
In every measurement a missing quasi-identifier value is a category of its own, "欠損": it
matches other missing values and nothing else (it is *not* a wildcard that could be any value).
A missing sensitive value counts as one more distinct value in l-diversity. pycanon gives the
same k and l when the frame is prepared with :func:`with_missing_category`.

Pseudonyms (仮名)
-----------------
A pseudonym is ``HMAC-SHA256(key, "<column>:" + 8-byte big-endian id)``; its first 8 bytes,
shifted to 62 bits and offset by 2**62, give an int64 in [2**62, 2**63). So the same id gets the
same pseudonym in every table (joins still work), ``person_id`` 5 and ``household_id`` 5 get
different ones, a pseudonym can never equal a raw id below 2**62, and without the key nobody can
compute or reverse them. Keep the key apart from the data, or destroy it when no one needs to
link records again. The built-in pseudonymized variant uses :func:`training_key`, derived from the
seed and a fixed project salt so lessons and tests are reproducible: it is public and protects
nothing. A real deployment must use a secret random key (:func:`new_key`).
"""

from __future__ import annotations

import hashlib
import html
import multiprocessing
import os
import secrets
import warnings
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from ebpmkit._arrays import sorted_unique
from ebpmkit.errors import EbpmkitError, ParameterError, check_range
from ebpmkit.messages import message
from ebpmkit.synth import DOMAINS
from ebpmkit.synth.dictionary import declared_roles

__all__ = [
    "ID_MAP_PREFIX",
    "DEFAULT_POLICY",
    "DIRECT_IDENTIFIERS",
    "MISSING",
    "Margins",
    "PUBLICATION_POLICY",
    "AnonymizationReport",
    "Policy",
    "RiskAssessment",
    "SuppressedTable",
    "age_band",
    "anonymize",
    "assess",
    "bottom_code",
    "coarsen_date",
    "drop_identifiers",
    "enforce_k",
    "equivalence_classes",
    "income_band",
    "k_anonymity",
    "l_diversity",
    "new_key",
    "pseudonym_values",
    "pseudonymize",
    "records_at_risk",
    "recoverable_cells",
    "suppress_small_cells",
    "top_code",
    "training_key",
    "with_missing_category",
]

#: The category that stands for a missing quasi-identifier or sensitive value.
MISSING = "欠損"

#: Columns that identify a person directly (氏名・住所・電話番号・宛名番号など): those the domain
#: modules declare with the role "direct" (``ROLES`` in ebpmkit/synth/*.py).
DIRECT_IDENTIFIERS = tuple(
    dict.fromkeys(c for cols in declared_roles(DOMAINS, "direct").values() for c in cols)
)

_TRAINING_SALT = b"ebpmkit/anonymized-variant/training-key/v1"
_PSEUDONYM_OFFSET = np.uint64(1 << 62)
_ROW = "__row__"  # overlay column: positions of the raw rows that were kept
ID_MAP_PREFIX = _IDS = "__ids__"  # overlay name prefix of an id -> pseudonym map
_PRECISIONS = {"M": "年月", "Y": "年"}


# --------------------------------------------------------------------------------------------
# Messages and checks (learner-facing text in one place)
# --------------------------------------------------------------------------------------------
def _columns_error(
    parameter: str, missing: Sequence[str], available: Iterable[str]
) -> ParameterError:
    shown = ", ".join(f"'{c}'" for c in missing)
    have = ", ".join(str(c) for c in available)
    return ParameterError(
        message("anonymize.columns_missing", name=parameter, columns=shown, available=have)
    )


def _check_frame(data: Any, parameter: str = "data") -> pd.DataFrame:
    if not isinstance(data, pd.DataFrame):
        raise ParameterError(
            message("param.not_dataframe", name=parameter, got=type(data).__name__)
        )
    return data


def _column_list(frame: pd.DataFrame, columns: str | Iterable[str], parameter: str) -> list[str]:
    cols = [columns] if isinstance(columns, str) else list(columns)
    if not cols:
        raise ParameterError(message("anonymize.no_columns", name=parameter))
    missing = [c for c in cols if c not in frame.columns]
    if missing:
        raise _columns_error(parameter, missing, frame.columns)
    return cols


def _check_count(name: str, value: Any) -> int:
    """An integer >= 1 (k, threshold)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ParameterError(message("param.integer_min", name=name, low=1, got=repr(value)))
    return int(check_range(name, int(value), low=1))


def _shown_key(key: Any) -> str:
    """How a rejected key is named in a message: its type and length, never its bytes."""
    size = f", {len(key)} bytes" if isinstance(key, (bytes, bytearray)) else ""
    return f"{type(key).__name__}{size}"


def _check_not_empty(frame: pd.DataFrame) -> None:
    if len(frame) == 0:
        raise ParameterError(message("anonymize.no_rows"))


# --------------------------------------------------------------------------------------------
# 1. Direct identifiers and keyed pseudonyms
# --------------------------------------------------------------------------------------------
def drop_identifiers(data: pd.DataFrame, columns: Iterable[str] | None = None) -> pd.DataFrame:
    """Remove direct identifiers (names, addresses, phone numbers, resident codes).

    Parameters
    ----------
    data : DataFrame
    columns : list of str, optional
        Columns to remove; by default those of :data:`DIRECT_IDENTIFIERS` that ``data`` has.

    Returns
    -------
    DataFrame
        ``data`` without those columns.

    Examples
    --------
    >>> df = pd.DataFrame({"person_id": [1], "name_kanji": ["山田　花子"], "age": [40]})
    >>> list(drop_identifiers(df).columns)
    ['person_id', 'age']
    """
    frame = _check_frame(data)
    if columns is None:
        cols = [c for c in DIRECT_IDENTIFIERS if c in frame.columns]
    else:
        cols = _column_list(frame, columns, "columns")
    return frame.drop(columns=cols)


def new_key() -> bytes:
    """A fresh secret key (32 random bytes) for :func:`pseudonymize`.

    Examples
    --------
    >>> len(new_key())
    32
    """
    return secrets.token_bytes(32)


def training_key(seed: int) -> bytes:
    """The public, deterministic key of the built-in pseudonymized variant (for lessons only).

    It is derived from the seed and a fixed project salt, so anyone can recompute it: it keeps
    lessons and tests reproducible but gives no protection. Use :func:`new_key` for real data.

    Examples
    --------
    >>> training_key(1) == training_key(1) != training_key(2)
    True
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ParameterError(message("param.integer_min", name="seed", low=0, got=repr(seed)))
    return hashlib.sha256(_TRAINING_SALT + b"|" + str(int(seed)).encode()).digest()


def _as_key(key: bytes | str | None) -> tuple[bytes, bool]:
    """(key bytes, whether it was generated here)."""
    if key is None:
        return new_key(), True
    if isinstance(key, str):
        key = key.encode("utf-8")
    if not isinstance(key, (bytes, bytearray)) or len(key) < 16:
        raise ParameterError(message("anonymize.key", got=_shown_key(key)))
    return bytes(key), False


# Below this many ids the hashing stays in this process: starting workers would cost more.
_PARALLEL_HMAC_MIN = 1_000_000


def _hmac_ids(
    ids: np.ndarray, key: bytes, namespace: str, workers: int | None = None
) -> np.ndarray:
    """HMAC-SHA256 pseudonyms (int64 in [2**62, 2**63)) of sorted unique int64 ``ids``.

    Hashing is one Python call per id (about a microsecond), so a city's millions of ids are
    split into contiguous blocks hashed by ``workers`` processes (default: one per core when
    there are at least ``_PARALLEL_HMAC_MIN`` ids) and joined in order: the same array as
    hashing in this process, which is also the fallback where processes cannot be started.
    """
    if workers is None:
        workers = (os.cpu_count() or 1) if len(ids) >= _PARALLEL_HMAC_MIN else 1
    head = None
    if workers > 1 and len(ids) > 1:
        head = _hmac_in_processes(ids, key, namespace, workers)
    if head is None:
        head = _hmac_block(ids, key, namespace)
    out = ((head >> np.uint64(2)) | _PSEUDONYM_OFFSET).astype(np.int64)
    if len(sorted_unique(out)) != len(out):  # about 1 in 10**7 for a million ids
        raise EbpmkitError(message("anonymize.collision"))
    return out


def _hmac_in_processes(
    ids: np.ndarray, key: bytes, namespace: str, workers: int
) -> np.ndarray | None:
    """:func:`_hmac_block` over ``workers`` forked processes, or None if they cannot start.

    Fork, not spawn: a spawned worker would import the whole package (seconds) before hashing.
    The children only hash bytes with hashlib and numpy, which is safe in a forked child of a
    process with threads, so Python's warning about forking such a process is silenced here.
    """
    blocks = np.array_split(ids, workers)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*fork.*", category=DeprecationWarning)
            context = multiprocessing.get_context("fork")
            with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
                parts = list(pool.map(_hmac_block, blocks, [key] * workers, [namespace] * workers))
    except (OSError, BrokenProcessPool, ValueError):
        # No process pool here (a sandbox without shared memory, a platform without fork).
        return None
    return np.concatenate(parts)


def _hmac_block(ids: np.ndarray, key: bytes, namespace: str) -> np.ndarray:
    """First 8 bytes (big-endian uint64) of HMAC-SHA256(key, namespace + ":" + id) for each id.

    HMAC is computed from precomputed inner and outer SHA-256 states, which is the definition
    of HMAC (RFC 2104) and about twice as fast as ``hmac.new`` per message.
    """
    block = key if len(key) <= 64 else hashlib.sha256(key).digest()
    block = block.ljust(64, b"\0")
    inner0 = hashlib.sha256(bytes(b ^ 0x36 for b in block))
    inner0.update(namespace.encode("utf-8") + b":")
    outer0 = hashlib.sha256(bytes(b ^ 0x5C for b in block))
    raw = memoryview(ids.astype(">i8").tobytes())
    digests = []
    append, inner_copy, outer_copy = digests.append, inner0.copy, outer0.copy
    for start in range(0, len(raw), 8):  # one hash per unique id, not per row
        inner = inner_copy()
        inner.update(raw[start : start + 8])
        outer = outer_copy()
        outer.update(inner.digest())
        append(outer.digest()[:8])
    return np.frombuffer(b"".join(digests), dtype=">u8").astype(np.uint64)


def _integer_ids(values: Any, parameter: str) -> np.ndarray:
    arr = np.asarray(values)
    if arr.dtype.kind not in "iu":
        raise ParameterError(message("anonymize.integer_ids", column=parameter, dtype=arr.dtype))
    return arr.astype(np.int64, copy=False)


class _PseudonymMap:
    """Sorted raw ids and their pseudonyms, so each id is hashed once and mapped with numpy.

    Dense non-negative ids (the generator's 1..n) are mapped through a lookup array; others
    with a binary search.
    """

    def __init__(self, ids: np.ndarray, key: bytes, namespace: str) -> None:
        ids = ids.astype(np.int64, copy=False)
        lo, hi = (int(ids.min()), int(ids.max())) if len(ids) else (0, 0)
        self.lookup = None
        if lo >= 0 and hi < 4 * len(ids) + 1024:
            present = np.zeros(hi + 1, dtype=bool)
            present[ids] = True
            self.ids = np.flatnonzero(present)
        else:
            self.ids = sorted_unique(ids)
        self.pseudonyms = _hmac_ids(self.ids, key, namespace)
        if lo >= 0 and hi < 4 * len(ids) + 1024:
            self.lookup = np.zeros(hi + 1, dtype=np.int64)
            self.lookup[self.ids] = self.pseudonyms

    def __call__(self, values: np.ndarray) -> np.ndarray:
        if self.lookup is not None:
            return self.lookup[values]
        return self.pseudonyms[np.searchsorted(self.ids, values)]


def pseudonym_values(values: Any, key: bytes | str, namespace: str) -> np.ndarray:
    """Keyed pseudonyms (int64) of integer ids; the same id and key always give the same value.

    Parameters
    ----------
    values : array-like of int
    key : bytes or str
        At least 16 bytes. Keep it secret and away from the data.
    namespace : str
        Usually the column name, so different kinds of id get unrelated pseudonyms.

    Examples
    --------
    >>> key = b"0123456789abcdef"
    >>> a = pseudonym_values([7, 7, 8], key, "person_id")
    >>> bool(a[0] == a[1] != a[2]), bool(a.min() >= 2**62)
    (True, True)
    """
    key_bytes, _ = _as_key(key)
    ids = _integer_ids(values, namespace)
    return _PseudonymMap(ids, key_bytes, namespace)(ids)


def pseudonymize(
    data: pd.DataFrame, columns: str | Iterable[str], *, key: bytes | str | None = None
) -> tuple[pd.DataFrame, bytes]:
    """Replace integer ID columns with keyed pseudonyms (HMAC-SHA256).

    Parameters
    ----------
    data : DataFrame
    columns : str or list of str
        ID columns, e.g. ``["person_id", "household_id"]``.
    key : bytes or str, optional
        Secret key (>= 16 bytes). When omitted a new random key is generated. Either way the key
        is returned; pass the same key to other tables so their IDs still join.

    Returns
    -------
    (DataFrame, bytes)
        The pseudonymised copy and the key. Store the key apart from the data.

    Examples
    --------
    >>> df = pd.DataFrame({"person_id": [1, 2, 1], "age": [30, 40, 30]})
    >>> out, key = pseudonymize(df, "person_id")
    >>> out["person_id"].nunique(), bool((out["person_id"] != df["person_id"]).all())
    (2, True)
    """
    frame = _check_frame(data)
    cols = _column_list(frame, columns, "columns")
    key_bytes, _ = _as_key(key)
    new = {}
    for col in cols:
        ids = _integer_ids(frame[col], col)
        new[col] = _PseudonymMap(ids, key_bytes, col)(ids)
    return frame.assign(**new), key_bytes


# --------------------------------------------------------------------------------------------
# 2. Generalization and recoding
# --------------------------------------------------------------------------------------------
def _band_codes(values: Any, width: float, top: float | None) -> tuple[np.ndarray, int]:
    v = pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    codes = np.floor(np.maximum(v, 0) / width)
    n = None if top is None else int(np.ceil(top / width))
    if n is None:
        finite = codes[np.isfinite(codes)]
        n = int(finite.max()) + 1 if len(finite) else 1
    else:
        codes = np.where(v >= top, n, codes)
        n += 1
    codes = np.where(np.isnan(v), -1, codes).astype(np.int64)
    return codes, n


def age_band(ages: Any, width: int = 5, *, top: int | None = 100) -> pd.Categorical:
    """Generalize ages into bands of ``width`` years, with one class from ``top`` up.

    Examples
    --------
    >>> list(age_band([3, 42, 100, 104], width=10))
    ['0〜9歳', '40〜49歳', '100歳以上', '100歳以上']
    """
    width = _check_count("width", width)
    codes, n = _band_codes(ages, width, top)
    labels = []
    for i in range(n):
        lo = i * width
        if top is not None and i == n - 1:
            labels.append(f"{top}歳以上")
        else:
            hi = lo + width - 1 if top is None else min(lo + width, top) - 1
            labels.append(f"{lo}歳" if hi == lo else f"{lo}〜{hi}歳")
    return pd.Categorical.from_codes(codes, categories=labels, ordered=True)


def _man_yen(yen: float) -> str:
    return f"{yen / 10_000:,.0f}万"


def income_band(
    incomes: Any, width: int = 1_000_000, *, top: int | None = 20_000_000
) -> pd.Categorical:
    """Generalize amounts in yen into bands of ``width`` yen, with one class from ``top`` up.

    Negative amounts fall into the first band.

    Examples
    --------
    >>> list(income_band([0, 2_500_000, 30_000_000], width=1_000_000, top=20_000_000))
    ['100万円未満', '200万〜300万円未満', '2,000万円以上']
    """
    width = _check_count("width", width)
    codes, n = _band_codes(incomes, width, top)
    labels = []
    for i in range(n):
        lo, hi = i * width, (i + 1) * width
        if top is not None and i == n - 1:
            labels.append(f"{_man_yen(top)}円以上")
        elif i == 0:
            labels.append(f"{_man_yen(hi)}円未満")
        else:
            labels.append(f"{_man_yen(lo)}〜{_man_yen(min(hi, top or hi))}円未満")
    return pd.Categorical.from_codes(codes, categories=labels, ordered=True)


def _coding(values: pd.Series, at: Any, label: str | None, upper: bool) -> pd.Series:
    s = values if isinstance(values, pd.Series) else pd.Series(values)
    try:
        if pd.api.types.is_datetime64_any_dtype(s.dtype):
            at = pd.Timestamp(at)
        hit = (s >= at) if upper else (s <= at)
    except (TypeError, ValueError):
        raise ParameterError(message("anonymize.code_at", got=repr(at), dtype=s.dtype)) from None
    if label is None:
        coded = s.clip(upper=at) if upper else s.clip(lower=at)
        return coded.astype(s.dtype)
    return s.astype("str").mask(hit.fillna(False).astype(bool), label)


def top_code(values: pd.Series, at: Any, *, label: str | None = None) -> pd.Series:
    """Top coding: values of ``at`` and above become ``at`` (or the text ``label``).

    Recodes unusual values such as very high ages, which could single a person out.

    Examples
    --------
    >>> top_code(pd.Series([35, 100, 104]), 100).tolist()
    [35, 100, 100]
    >>> top_code(pd.Series([35, 104]), 100, label="100歳以上").tolist()
    ['35', '100歳以上']
    """
    return _coding(values, at, label, upper=True)


def bottom_code(values: pd.Series, at: Any, *, label: str | None = None) -> pd.Series:
    """Bottom coding: values of ``at`` and below become ``at`` (or the text ``label``).

    Works on numbers and dates (``at`` may then be a date string).

    Examples
    --------
    >>> s = pd.Series(pd.to_datetime(["1909-05-02", "1950-01-09"]))
    >>> bottom_code(s, "1915-01-01").dt.year.tolist()
    [1915, 1950]
    """
    return _coding(values, at, label, upper=False)


def coarsen_date(values: pd.Series, precision: str = "M") -> pd.Series:
    """Coarsen dates to the first day of their month (``"M"``) or year (``"Y"``).

    Examples
    --------
    >>> s = pd.Series(pd.to_datetime(["1980-07-21", "1991-02-03"]))
    >>> coarsen_date(s, "M").dt.strftime("%Y-%m-%d").tolist()
    ['1980-07-01', '1991-02-01']
    """
    if precision not in _PRECISIONS:
        raise ParameterError(message("anonymize.precision", got=repr(precision)))
    s = values if isinstance(values, pd.Series) else pd.Series(values)
    unit = "datetime64[M]" if precision == "M" else "datetime64[Y]"
    coarse = s.to_numpy().astype(unit).astype(s.dtype)
    return pd.Series(coarse, index=s.index, name=s.name)


# --------------------------------------------------------------------------------------------
# 3. Measuring risk: equivalence classes, k-anonymity, l-diversity
# --------------------------------------------------------------------------------------------
def with_missing_category(
    data: pd.DataFrame, columns: str | Iterable[str], label: str = MISSING
) -> pd.DataFrame:
    """Write the columns as text with missing values shown as ``"欠損"``.

    This is the missing-value rule of this module made explicit: a missing value is a
    category of its own. Use it to show classes in a table, or to prepare a frame for another
    tool (pycanon) so it counts missing values the same way.

    Examples
    --------
    >>> df = pd.DataFrame({"sex": ["男性", None], "age": [30, None]})
    >>> with_missing_category(df, ["sex", "age"]).values.tolist()
    [['男性', '30.0'], ['欠損', '欠損']]
    """
    frame = _check_frame(data)
    cols = _column_list(frame, columns, "columns")
    return frame.assign(**{c: frame[c].astype("str").where(frame[c].notna(), label) for c in cols})


def _groups(frame: pd.DataFrame, qi: list[str]):
    return frame.groupby(qi, dropna=False, observed=True, sort=False)


def _class_codes(frame: pd.DataFrame, qi: list[str]) -> np.ndarray:
    """An equivalence-class number for each row (missing values form their own category).

    Each column is factorized (a missing value gets a code of its own) and the codes are
    combined, which is several times faster than ``groupby(...).ngroup()`` on big tables.
    """
    combined = np.zeros(len(frame), dtype=np.int64)
    span = 1
    for col in qi:
        codes, n = _column_codes(frame[col])
        if span * n >= 2**62:  # renumber before the key could overflow
            combined = pd.factorize(combined)[0].astype(np.int64)
            span = int(combined.max()) + 1 if len(combined) else 1
        combined = combined * n + codes
        span *= n
    return pd.factorize(combined)[0]


def _column_codes(values: pd.Series) -> tuple[np.ndarray, int]:
    """Distinct codes for a column's values, missing values included, and how many there are.

    A categorical column has its codes already (missing, -1, becomes one more code); only the
    others are hashed. The numbering does not matter: the caller renumbers the classes.
    """
    if isinstance(values.dtype, pd.CategoricalDtype):
        n = len(values.cat.categories)
        codes = values.cat.codes.to_numpy().astype(np.int64)
        codes[codes < 0] = n
        return codes, n + 1
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    return codes, max(len(uniques), 1)


def _class_sizes(frame: pd.DataFrame, qi: list[str]) -> np.ndarray:
    """Size of each row's equivalence class (missing values form their own category)."""
    if len(frame) == 0:
        return np.zeros(0, dtype=np.int64)
    codes = _class_codes(frame, qi)
    return np.bincount(codes)[codes]


def equivalence_classes(
    data: pd.DataFrame, quasi_identifiers: str | Iterable[str], *, k: int | None = None
) -> pd.DataFrame:
    """One row per equivalence class (records sharing all quasi-identifier values).

    Returns the quasi-identifier values, ``件数`` (records in the class), and with ``k`` also
    ``k未満`` (True when the class has fewer than ``k`` records), smallest classes first.
    Missing values form their own class ("欠損" matches only "欠損").

    Examples
    --------
    >>> df = pd.DataFrame({"sex": ["男性", "男性", "女性"], "band": ["30代", "30代", "30代"]})
    >>> equivalence_classes(df, ["sex", "band"], k=2)["件数"].tolist()
    [1, 2]
    """
    frame = _check_frame(data)
    qi = _column_list(frame, quasi_identifiers, "quasi_identifiers")
    out = _groups(frame, qi).size().reset_index(name="件数")
    out = out.sort_values("件数", kind="stable").reset_index(drop=True)
    if k is not None:
        out["k未満"] = out["件数"] < _check_count("k", k)
    return out


def k_anonymity(data: pd.DataFrame, quasi_identifiers: str | Iterable[str]) -> int:
    """k of k-anonymity: the size of the smallest equivalence class.

    Examples
    --------
    >>> df = pd.DataFrame({"sex": ["男性", "男性", "女性", "女性"], "age": [30, 30, 40, None]})
    >>> k_anonymity(df, ["sex"]), k_anonymity(df, ["sex", "age"])
    (2, 1)
    """
    frame = _check_frame(data)
    qi = _column_list(frame, quasi_identifiers, "quasi_identifiers")
    _check_not_empty(frame)
    return int(_class_sizes(frame, qi).min())


def l_diversity(
    data: pd.DataFrame,
    quasi_identifiers: str | Iterable[str],
    sensitive: str | Iterable[str],
) -> int:
    """l of (distinct) l-diversity: the fewest distinct sensitive values in any class.

    With several sensitive columns, the smallest l over them. A missing sensitive value counts
    as one distinct value ("欠損").

    Examples
    --------
    >>> df = pd.DataFrame({"sex": ["男性"] * 3 + ["女性"] * 2, "level": ["要介護1", "要介護2", "要介護1", "要支援1", "要支援1"]})
    >>> l_diversity(df, "sex", "level")
    1
    """
    frame = _check_frame(data)
    qi = _column_list(frame, quasi_identifiers, "quasi_identifiers")
    sa = _column_list(frame, sensitive, "sensitive")
    _check_not_empty(frame)
    distinct = _groups(frame, qi)[sa].nunique(dropna=False)
    return int(distinct.min(axis=1).min())


def records_at_risk(
    data: pd.DataFrame, quasi_identifiers: str | Iterable[str], k: int = 3
) -> pd.DataFrame:
    """The records whose equivalence class has fewer than ``k`` records.

    Examples
    --------
    >>> df = pd.DataFrame({"sex": ["男性", "男性", "女性"], "age": [30, 30, 80]})
    >>> records_at_risk(df, ["sex", "age"], k=2)["age"].tolist()
    [80]
    """
    frame = _check_frame(data)
    qi = _column_list(frame, quasi_identifiers, "quasi_identifiers")
    k = _check_count("k", k)
    return frame[_class_sizes(frame, qi) < k]


@dataclass
class RiskAssessment:
    """Re-identification risk of one table over its quasi-identifiers (see :func:`assess`)."""

    quasi_identifiers: list[str]
    k_target: int
    k: int
    records: int
    classes: pd.DataFrame
    records_at_risk: int
    sensitive: list[str] = field(default_factory=list)
    l: int | None = None  # noqa: E741 - the name used in the literature

    @property
    def ok(self) -> bool:
        """True when every class has at least ``k_target`` records."""
        return self.k >= self.k_target

    def summary(self) -> str:
        """The assessment in Japanese."""
        qi = "・".join(self.quasi_identifiers)
        lines = [
            f"準識別子({qi})で見た再識別のリスク",
            f"- 行数 {self.records:,}、同値類(準識別子の値がすべて同じ行のまとまり)の数 {len(self.classes):,}",
            f"- k = {self.k}(最も小さい同値類の行数)。目標 k = {self.k_target} を"
            + ("満たしています。" if self.ok else "満たしていません。"),
            f"- 同値類の行数が {self.k_target} 未満の行(リスクのある行): {self.records_at_risk:,} 行",
        ]
        if self.l is not None:
            lines.append(
                f"- l = {self.l}(機微な項目 {'・'.join(self.sensitive)} の値が、同値類の中で最も少ない種類数)"
            )
        lines.append(
            f"- 欠損値は「{MISSING}」という一つの値として扱い、欠損どうしだけが一致します。"
        )
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        items = "".join(f"<li>{html.escape(x[2:])}</li>" for x in self.summary().splitlines()[1:])
        head = html.escape(self.summary().splitlines()[0])
        small = self.classes.head(10).to_html(index=False)
        return f"<p><b>{head}</b></p><ul>{items}</ul><p>小さい同値類(上位10)</p>{small}"


def assess(
    data: pd.DataFrame,
    quasi_identifiers: str | Iterable[str],
    *,
    k: int = 3,
    sensitive: str | Iterable[str] | None = None,
) -> RiskAssessment:
    """Measure k-anonymity (and l-diversity) and list the equivalence classes and risky records.

    Parameters
    ----------
    data : DataFrame
    quasi_identifiers : str or list of str
        Columns someone could know from elsewhere (age, sex, district ...).
    k : int
        The k to reach; records in smaller classes are counted as at risk.
    sensitive : str or list of str, optional
        Sensitive columns for l-diversity (care level, income band ...).

    Examples
    --------
    >>> df = pd.DataFrame({"sex": ["男性"] * 3 + ["女性"], "age": [30, 30, 30, 90]})
    >>> r = assess(df, ["sex", "age"], k=2)
    >>> r.k, r.records_at_risk, r.ok
    (1, 1, False)
    """
    frame = _check_frame(data)
    qi = _column_list(frame, quasi_identifiers, "quasi_identifiers")
    k = _check_count("k", k)
    _check_not_empty(frame)
    sizes = _class_sizes(frame, qi)
    sa: list[str] = []
    l_value = None
    if sensitive is not None:
        sa = _column_list(frame, sensitive, "sensitive")
        l_value = l_diversity(frame, qi, sa)
    return RiskAssessment(
        quasi_identifiers=qi,
        k_target=k,
        k=int(sizes.min()),
        records=len(frame),
        classes=equivalence_classes(frame, qi, k=k),
        records_at_risk=int((sizes < k).sum()),
        sensitive=sa,
        l=l_value,
    )


def _blank(frame: pd.DataFrame, column: str, rows: np.ndarray) -> pd.DataFrame:
    """Set ``column`` to missing on ``rows``; integer columns become nullable integers."""
    s = frame[column]
    if s.dtype.kind in "iu" and not isinstance(s.dtype, pd.api.extensions.ExtensionDtype):
        s = s.astype(f"Int{s.dtype.itemsize * 8}")
    return frame.assign(**{column: s.mask(rows)})


def enforce_k(
    data: pd.DataFrame,
    quasi_identifiers: str | Iterable[str],
    k: int = 3,
    *,
    order: Iterable[str] | None = None,
    drop: bool = True,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Reach k-anonymity by local suppression: blank quasi-identifier values of risky records.

    Records in classes smaller than ``k`` get the columns of ``order`` set to missing, one
    column at a time, until every class has ``k`` records. Columns not in ``order`` are never
    blanked. When the fully blanked records of a stratum are still fewer than ``k``, the
    smallest other classes of that stratum are blanked too; only if the whole stratum has fewer
    than ``k`` records are its records dropped (``drop=True``) or left at risk (``drop=False``).

    Returns
    -------
    (DataFrame, dict)
        The frame and a log: ``at_risk_before``, ``suppressed`` (values blanked per column),
        ``dropped`` (records removed, their positions kept in ``kept``) and ``k`` reached.

    Examples
    --------
    >>> df = pd.DataFrame({"sex": ["男性"] * 3 + ["女性"] * 3,
    ...                    "nat": ["日本"] * 4 + [None, "外国"]})
    >>> out, log = enforce_k(df, ["sex", "nat"], k=3, order=["nat", "sex"])
    >>> log["suppressed"], log["k"]
    ({'nat': 2, 'sex': 0}, 3)
    """
    frame = _check_frame(data)
    qi = _column_list(frame, quasi_identifiers, "quasi_identifiers")
    k = _check_count("k", k)
    order = qi if order is None else _column_list(frame, order, "order")
    outside = [c for c in order if c not in qi]
    if outside:
        raise _columns_error("order", outside, qi)
    protected = [c for c in qi if c not in order]
    out = frame
    sizes = _class_sizes(out, qi)
    log: dict[str, Any] = {
        "at_risk_before": int((sizes < k).sum()),
        "suppressed": {c: 0 for c in order},
        "dropped": 0,
    }
    for col in order:
        risky = sizes < k
        if not risky.any():
            break
        hit = risky & out[col].notna().to_numpy()
        log["suppressed"][col] += int(hit.sum())
        out = _blank(out, col, risky)
        sizes = _class_sizes(out, qi)
    risky = sizes < k
    if risky.any():
        # The fully blanked records of a stratum are too few: blank the smallest other classes
        # of the same stratum into them, or drop the stratum if it is smaller than k.
        strata = _class_codes(out, protected) if protected else np.zeros(len(out), dtype=np.int64)
        classes = _class_codes(out, qi)
        blank = out[order].isna().all(axis=1).to_numpy()
        extra = np.zeros(len(out), dtype=bool)
        drop_rows = np.zeros(len(out), dtype=bool)
        # Only the strata with risky records are visited, each as a small slice.
        rows = np.flatnonzero(np.isin(strata, np.unique(strata[risky])))
        rows = rows[np.argsort(strata[rows], kind="stable")]
        starts = np.flatnonzero(np.diff(strata[rows], prepend=-1))
        for part in np.split(rows, starts[1:]):
            have = int(blank[part].sum())
            cand = part[~blank[part]]
            if have + len(cand) < k:
                drop_rows[part] = True
                continue
            need = k - have
            ids, first, counts = np.unique(classes[cand], return_index=True, return_counts=True)
            big = np.flatnonzero(counts >= k + need)
            if len(big):
                # Take just the records needed from the largest class, which stays >= k.
                c = ids[big[np.argmax(counts[big])]]
                extra[cand[classes[cand] == c][:need]] = True
            else:
                # Otherwise blank whole classes, smallest first, until there are enough.
                pick = np.argsort(counts, kind="stable")
                m = int(np.searchsorted(np.cumsum(counts[pick]), need)) + 1
                extra[cand[np.isin(classes[cand], ids[pick[:m]])]] = True
        for col in order:
            hit = extra & out[col].notna().to_numpy()
            log["suppressed"][col] += int(hit.sum())
            if hit.any():
                out = _blank(out, col, hit)
        if drop and drop_rows.any():
            log["dropped"] = int(drop_rows.sum())
            log["kept"] = np.flatnonzero(~drop_rows)
            out = out[~drop_rows]
        sizes = _class_sizes(out, qi)
    log["k"] = int(sizes.min()) if len(sizes) else 0
    return out, log


# --------------------------------------------------------------------------------------------
# 4. Small-cell suppression in tables of counts
# --------------------------------------------------------------------------------------------
@dataclass
class SuppressedTable:
    """A table of counts with margins after small-cell suppression (see :func:`suppress_small_cells`).

    ``counts`` holds every value (keep it inside the office); ``published`` is what may be
    released, with suppressed cells as missing; ``suppressed`` and ``primary`` mark the cells.
    """

    counts: pd.DataFrame
    suppressed: pd.DataFrame
    primary: pd.DataFrame
    threshold: int
    marker: str = "X"

    @property
    def published(self) -> pd.DataFrame:
        """The table to release: suppressed cells are missing (``<NA>``)."""
        return self.counts.astype("Int64").mask(self.suppressed)

    @property
    def secondary(self) -> pd.DataFrame:
        """Cells suppressed only so the small ones cannot be calculated back."""
        return self.suppressed & ~self.primary

    def to_display(self) -> pd.DataFrame:
        """The table as text, suppressed cells shown as ``marker`` ("X")."""
        text = self.counts.map(lambda v: f"{int(v):,}")
        return text.mask(self.suppressed, self.marker)

    def summary(self) -> str:
        """What was suppressed, in Japanese."""
        n_primary = int(self.primary.to_numpy().sum())
        n_secondary = int(self.secondary.to_numpy().sum())
        return (
            f"{self.threshold} 未満(1〜{self.threshold - 1})のセル {n_primary} 個を秘匿し、"
            f"合計から逆算されないよう、さらに {n_secondary} 個のセルを秘匿しました(二次秘匿)。"
            f"秘匿したセルは「{self.marker}」で示します。"
        )

    def __repr__(self) -> str:
        return self.summary() + "\n" + self.to_display().to_string()

    def _repr_html_(self) -> str:
        return f"<p>{html.escape(self.summary())}</p>" + self.to_display().to_html()


def _determined(full: np.ndarray, sup: np.ndarray) -> np.ndarray:
    """Suppressed cells whose value follows from published cells and the additivity equations."""
    r, c = full.shape
    cell = np.arange(r * c).reshape(r, c)
    eqs = []
    for i in range(r):  # each row: interior cells sum to its margin
        eq = np.zeros(r * c)
        eq[cell[i, : c - 1]] = 1
        eq[cell[i, c - 1]] = -1
        eqs.append(eq)
    for j in range(c):
        eq = np.zeros(r * c)
        eq[cell[: r - 1, j]] = 1
        eq[cell[r - 1, j]] = -1
        eqs.append(eq)
    a = np.array(eqs)[:, sup.ravel()]
    if a.shape[1] == 0:
        return np.zeros_like(sup)
    _, s, vt = np.linalg.svd(a)
    rank = int((s > 1e-9 * max(1.0, s.max(initial=0.0))).sum())
    null = vt[rank:]
    free = np.abs(null).max(axis=0) > 1e-9 if len(null) else np.zeros(a.shape[1], dtype=bool)
    out = np.zeros(r * c, dtype=bool)
    out[np.flatnonzero(sup.ravel())] = ~free
    return out.reshape(r, c)


def _pick_complement(
    full: np.ndarray, sup: np.ndarray, cells: list[tuple[int, int]]
) -> tuple[int, int] | None:
    """The smallest published cell among ``cells``: interior and non-zero cells first."""
    r, c = full.shape
    best = None
    for i, j in cells:
        if sup[i, j]:
            continue
        rank = (i == r - 1 or j == c - 1, full[i, j] == 0, full[i, j])
        if best is None or rank < best[0]:
            best = (rank, (i, j))
    return None if best is None else best[1]


def suppress_small_cells(
    table: pd.DataFrame,
    *,
    threshold: int = 3,
    suppress_zeros: bool = False,
    total_label: str = "合計",
    margins: Margins | None = None,
) -> SuppressedTable:
    """Suppress small cells of a 2-D table of counts, with margins and secondary suppression.

    Rules (the practice of official statistics):

    - every cell, margins included, with 1 to ``threshold - 1`` records is suppressed
      (primary suppression; zeros are published unless ``suppress_zeros``);
    - every row and column (its total included) with a suppressed cell gets at least two,
      taking the smallest published cell of the line (interior, non-zero cells first), so a
      suppressed cell cannot be calculated from its row or column total; a published margin
      with a single suppressed cell in its line is therefore impossible;
    - this repeats until stable, then the linear system of published cells and totals is
      solved: any suppressed cell it still determines gets another complement, and so on.

    Parameters
    ----------
    table : DataFrame
        Counts (non-negative integers), e.g. ``pd.crosstab(df["district_code"], df["age_band"])``,
        without margins; the margins are added here.
    threshold : int
        Cells below this are suppressed (default 3: cells of 1 or 2).
    suppress_zeros : bool
        Also suppress zero cells.
    total_label : str
        Label of the margin row and column.
    margins : Margins, optional
        The table already holds its margins (an open-data table: 総人口 beside 男性 and 女性,
        district rows beside chome rows) and ``margins`` says which cells sum which; nothing is
        added. The same rules apply along every declared sum, and at the end no suppressed cell
        may be recoverable (:func:`recoverable_cells`).

    Returns
    -------
    SuppressedTable

    Examples
    --------
    >>> t = pd.DataFrame({"男性": [10, 1, 8], "女性": [12, 9, 7]}, index=["D01", "D02", "D03"])
    >>> res = suppress_small_cells(t)
    >>> res.to_display().loc["D02"].tolist()
    ['X', 'X', '10']
    """
    frame = _check_frame(table, "table")
    threshold = _check_count("threshold", threshold)
    if margins is not None:
        return _suppress_with_margins(frame, margins, threshold, suppress_zeros)
    interior = _count_values(frame)
    r, c = interior.shape
    full = np.zeros((r + 1, c + 1), dtype=np.int64)
    full[:r, :c] = interior
    full[:r, c] = interior.sum(axis=1)
    full[r, :c] = interior.sum(axis=0)
    full[r, c] = interior.sum()
    low = 0 if suppress_zeros else 1
    primary = (full >= low) & (full < threshold)
    sup = primary.copy()
    lines = [[(i, j) for j in range(c + 1)] for i in range(r + 1)]
    lines += [[(i, j) for i in range(r + 1)] for j in range(c + 1)]
    for _ in range(4 * (r + 1) * (c + 1)):  # each round suppresses at least one more cell
        changed = False
        for line in lines:
            if sum(sup[i, j] for i, j in line) == 1:
                pick = _pick_complement(full, sup, line)
                if pick is not None:
                    sup[pick] = True
                    changed = True
        if changed:
            continue
        determined = _determined(full, sup)
        if not determined.any():
            break
        i, j = np.argwhere(determined)[0]
        pick = _pick_complement(full, sup, lines[i]) or _pick_complement(
            full, sup, lines[r + 1 + j]
        )
        if pick is None:
            pick = _pick_complement(full, sup, [tuple(x) for x in np.argwhere(~sup)])
        if pick is None:
            break
        sup[pick] = True
    index = list(frame.index) + [total_label]
    columns = list(frame.columns) + [total_label]
    as_frame = lambda a: pd.DataFrame(a, index=index, columns=columns)  # noqa: E731
    counts = as_frame(full)
    counts.index.name, counts.columns.name = frame.index.name, frame.columns.name
    return SuppressedTable(counts, as_frame(sup), as_frame(primary), threshold)


# --------------------------------------------------------------------------------------------
# 5. A declared policy over a whole dataset
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Policy:
    """What :func:`anonymize` does to each table, declared as data.

    Attributes
    ----------
    name : str
        Shown in the report.
    drop_tables : tuple of str
        Tables removed entirely (the identifying layer).
    drop_columns : dict of table -> columns
        Columns removed (direct identifiers inside other tables).
    pseudonym_columns : tuple of str
        ID columns replaced with keyed pseudonyms in *every* table that has them, with one key,
        so joins between tables still work.
    date_precision : dict of table -> {column: "M" or "Y"}
        Dates coarsened to the first day of the month or year.
    top_codes, bottom_codes : dict of table -> {column: value}
        Values at or above (below) the code are recoded to it.
    bands : dict of table -> {column: width}
        Columns replaced by bands: ages (column ``age`` or ``*_age``) in years, others in yen.
    quasi_identifiers : dict of table -> columns
        Columns someone could know from elsewhere; ``k`` is reached over them.
    suppression_order : dict of table -> columns
        Quasi-identifiers that may be blanked for records still at risk, in this order
        (default: all of the table's quasi-identifiers).
    sensitive : dict of table -> columns
        Columns whose l-diversity is reported.
    k : int
        Every equivalence class must have at least ``k`` records.
    drop_records : bool
        Remove records that cannot reach ``k`` any other way.
    """

    name: str = "研修用の既定ポリシー"
    drop_tables: tuple[str, ...] = ()
    drop_columns: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    pseudonym_columns: tuple[str, ...] = ()
    date_precision: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    top_codes: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    bottom_codes: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    bands: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    quasi_identifiers: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    suppression_order: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    sensitive: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    k: int = 3
    drop_records: bool = True

    def __post_init__(self) -> None:
        _check_count("k", self.k)
        for table, cols in self.date_precision.items():
            for col, precision in cols.items():
                if precision not in _PRECISIONS:
                    raise ParameterError(
                        message(
                            "anonymize.policy_precision",
                            column=f"{table}.{col}",
                            got=repr(precision),
                        )
                    )
        for cols in self.bands.values():
            for col, width in cols.items():
                _check_count(f"bands[{col}]", width)
        for table, order in self.suppression_order.items():
            qi = self.quasi_identifiers.get(table, ())
            outside = [c for c in order if c not in qi]
            if outside:
                raise _columns_error(f"suppression_order[{table}]", outside, qi)

    def tables(self) -> set[str]:
        """Every table the policy names (other than those it drops)."""
        named: set[str] = set()
        for part in (
            self.drop_columns,
            self.date_precision,
            self.top_codes,
            self.bottom_codes,
            self.bands,
            self.quasi_identifiers,
            self.sensitive,
        ):
            named |= set(part)
        return named


def _declared_policy(
    name: str,
    *,
    more_quasi_identifiers: Mapping[str, tuple[str, ...]] | None = None,
    **choices: Any,
) -> Policy:
    """A :class:`Policy` whose identifying parts are the roles the domain modules declare.

    Tables holding a ``direct`` identifier are dropped; ``id`` columns get pseudonyms in every
    table; k is reached over the ``quasi`` columns of each table kept (and over
    ``more_quasi_identifiers``, added after them), and l is reported over the ``sensitive``
    columns of those tables. ``choices`` are the policy's own decisions: codes, bands,
    suppression order, dropped columns, k. See ``ROLES`` in ebpmkit.synth.dictionary.
    """
    drop_tables = tuple(declared_roles(DOMAINS, "direct"))
    ids = declared_roles(DOMAINS, "id")
    pseudonyms = (c for t, cols in ids.items() if t not in drop_tables for c in cols)
    quasi = {
        t: cols for t, cols in declared_roles(DOMAINS, "quasi").items() if t not in drop_tables
    }
    for table, cols in (more_quasi_identifiers or {}).items():
        quasi[table] = (*quasi.get(table, ()), *cols)
    sensitive = {t: c for t, c in declared_roles(DOMAINS, "sensitive").items() if t in quasi}
    return Policy(
        name=name,
        drop_tables=drop_tables,
        pseudonym_columns=tuple(dict.fromkeys(pseudonyms)),
        quasi_identifiers=quasi,
        sensitive=sensitive,
        **choices,
    )


#: The policy behind ``load(variant="pseudonymized")`` (the default): a pseudonymised dataset
#: for training (仮名加工情報: the pseudonyms link every table). The release-safe variant
#: ``load(variant="anonymized")`` (匿名加工情報) is made by :mod:`ebpmkit.release`.
#: Ages stay exact (lessons need them) but are top-coded at 100; birth dates are kept to the
#: year (1 January) and bottom-coded at 1915 (a child's birth date in ``births`` too, or it would
#: give back the exact date that ``residents`` coarsens); k = 3 is reached over the declared
#: quasi-identifiers: on the person register (birth year, sex, nationality) and on each year's
#: register (fiscal year, age, sex, nationality).
#: Birth year-month would leave most people unique in a small municipality (scale 0.02).
DEFAULT_POLICY = _declared_policy(
    "研修用の既定ポリシー(仮名加工)",
    date_precision={"residents": {"birth_date": "Y"}, "births": {"birth_date": "Y"}},
    top_codes={"resident_years": {"age": 100}, "ltc": {"age": 100}},
    bottom_codes={"residents": {"birth_date": "1915-01-01"}},
    suppression_order={
        "residents": ("birth_date", "nationality", "sex"),
        "resident_years": ("nationality", "sex"),
    },
    k=3,
)

#: A stricter example for publication: 5-year age bands, income bands, district as a
#: quasi-identifier, k = 5. Compare it with DEFAULT_POLICY in the anonymization lesson.
PUBLICATION_POLICY = _declared_policy(
    "公表用の例(一般化を強める)",
    more_quasi_identifiers={"resident_years": ("district_code",)},
    date_precision={"residents": {"birth_date": "Y"}, "births": {"birth_date": "Y"}},
    bottom_codes={"residents": {"birth_date": "1925-01-01"}},
    bands={
        "resident_years": {"age": 5},
        "nhi": {"age": 5},
        "checkups": {"age": 5},
        "ltc": {"age": 5},
        "income_tax": {"total_income": 1_000_000},
    },
    suppression_order={
        "residents": ("birth_date", "nationality", "sex"),
        "resident_years": ("nationality", "district_code", "sex"),
    },
    drop_columns={"resident_years": ("chome_code",)},
    k=5,
)


@dataclass
class AnonymizationReport:
    """What :func:`anonymize` did and the k it reached (``summary()`` is in Japanese).

    ``key`` is the pseudonym key: keep it apart from the data (it is not shown in the repr).
    """

    policy: Policy
    steps: pd.DataFrame
    risk: pd.DataFrame
    key: bytes = field(repr=False)
    key_generated: bool = False
    unassessed: dict[str, list[str]] = field(default_factory=dict)
    _changes: dict[str, tuple[list[str], np.ndarray | None]] = field(
        default_factory=dict, repr=False
    )
    _maps: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def k_reached(self) -> dict[str, int]:
        """Per table with quasi-identifiers, the smallest class size after anonymization."""
        return {row["テーブル"]: int(row["達成した k"]) for _, row in self.risk.iterrows()}

    @property
    def ok(self) -> bool:
        """True when every assessed table reached the policy's k."""
        return all(v >= self.policy.k for v in self.k_reached.values())

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly summary (without the key)."""
        return {
            "policy": self.policy.name,
            "k": self.policy.k,
            "k_reached": self.k_reached,
            "steps": self.steps.astype(str).to_dict("records"),
        }

    def summary(self) -> str:
        """The report in Japanese."""
        p = self.policy
        lines = [f"匿名化の報告({p.name})", "", "行った処理:"]
        for _, s in self.steps.iterrows():
            lines.append(f"- {s['テーブル']}: {s['処理']}({s['内容']})")
        lines += ["", f"再識別のリスク(目標 k = {p.k}):"]
        for _, r in self.risk.iterrows():
            verdict = "達成" if r["達成した k"] >= p.k else "未達成"
            lines.append(
                f"- {r['テーブル']}: 準識別子 {r['準識別子']} で k = {r['達成した k']}({verdict})。"
                f"処理前に k 未満だった行 {r['処理前に k 未満の行']:,}、値を秘匿 {r['秘匿した値']:,}、"
                f"削除した行 {r['削除した行']:,}"
                + (f"、l = {r['l']}" if pd.notna(r.get("l")) else "")
            )
        lines += [
            "",
            f"欠損値は「{MISSING}」という一つの値として扱い、欠損どうしだけが一致します。",
        ]
        if p.pseudonym_columns:
            lines.append(
                "ID は鍵付きハッシュ(HMAC-SHA256)の仮名に置き換えました。同じ人は全テーブルで同じ仮名なので結合できます。"
                + (
                    " 鍵はこの報告の key にあります。データとは別に保管してください。"
                    if self.key_generated
                    else ""
                )
            )
            lines.append(
                "仮名のままテーブルを結合すると、準識別子以外の列(住所の町丁、転入日、世帯の構成など)からも"
                "個人が推測できることがあります。k はここで選んだ準識別子についての値です。"
            )
        if self.unassessed:
            shown = "、".join(f"{t}({', '.join(c)})" for t, c in self.unassessed.items())
            lines.append(f"準識別子として評価していない列: {shown}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        p = self.policy
        return (
            f"<p><b>匿名化の報告({html.escape(p.name)})</b></p>"
            f"<p>行った処理</p>{self.steps.to_html(index=False)}"
            f"<p>再識別のリスク(目標 k = {p.k})</p>{self.risk.to_html(index=False)}"
            f"<p>欠損値は「{MISSING}」という一つの値として扱い、欠損どうしだけが一致します。"
            "k はここで選んだ準識別子についての値で、仮名のIDで結合すると他の列からも推測できることがあります。</p>"
        )


def _check_policy(policy: Any, tables: Mapping[str, pd.DataFrame]) -> Policy:
    if not isinstance(policy, Policy):
        raise ParameterError(message("anonymize.policy", got=type(policy).__name__))
    kept = [t for t in tables if t not in policy.drop_tables]
    missing = sorted(policy.tables() - set(kept))
    if missing:
        shown = ", ".join(missing)
        raise ParameterError(
            message("anonymize.policy_tables", tables=shown, available=", ".join(kept))
        )
    for table, cols in [
        *((t, tuple(c)) for t, c in policy.drop_columns.items()),
        *((t, tuple(c)) for t, c in policy.date_precision.items()),
        *((t, tuple(c)) for t, c in policy.top_codes.items()),
        *((t, tuple(c)) for t, c in policy.bottom_codes.items()),
        *((t, tuple(c)) for t, c in policy.bands.items()),
        *((t, tuple(c)) for t, c in policy.quasi_identifiers.items()),
        *((t, tuple(c)) for t, c in policy.sensitive.items()),
    ]:
        absent = [c for c in cols if c not in tables[table].columns]
        if absent:
            raise _columns_error(f"policy: {table}", absent, tables[table].columns)
    return policy


def _step(steps: list, table: str, what: str, detail: str, count: int | None = None) -> None:
    steps.append({"テーブル": table, "処理": what, "内容": detail, "件数": count})


def _anonymize_tables(
    tables: Mapping[str, pd.DataFrame], policy: Policy, key: bytes | str | None
) -> tuple[dict[str, pd.DataFrame], AnonymizationReport]:
    """Run ``policy`` over ``tables`` in the order of the module docstring's steps.

    1. drop the identifying tables and pseudonymize the ID columns of every other table
       (:func:`_log_dropped_tables`, :func:`_pseudonym_maps`, :func:`_drop_columns`,
       :func:`_pseudonyms`);
    2. top- and bottom-code, coarsen dates and band values (:func:`_recode`);
    3. reach k over the quasi-identifiers by local suppression and measure the risk that is
       left (:func:`_reach_k`);

    then gather what was done into the report (:func:`_report`). ``report._changes`` records,
    per table, the columns that changed and the rows that were kept, for :func:`overlays`.
    """
    policy = _check_policy(policy, tables)
    key_bytes, generated = _as_key(key)
    steps: list[dict] = []
    _log_dropped_tables(tables, policy, steps)
    maps = _pseudonym_maps(tables, policy, key_bytes, steps)
    out: dict[str, pd.DataFrame] = {}
    changes: dict[str, tuple[list[str], np.ndarray | None]] = {}
    risk_rows: list[dict] = []
    unassessed: dict[str, list[str]] = {}
    for name, frame in tables.items():
        if name in policy.drop_tables:
            continue
        drop = _drop_columns(name, policy, steps)
        new = _pseudonyms(frame, maps)
        _recode(name, frame, policy, new, steps)
        result = frame.drop(columns=drop).assign(**new) if (new or drop) else frame
        changed = list(new)
        kept_rows = None
        qi = list(policy.quasi_identifiers.get(name, ()))
        if qi:
            result, suppressed, kept_rows, risk = _reach_k(name, result, qi, policy, steps)
            changed += [c for c in suppressed if c not in changed]
            risk_rows.append(risk)
            others = [
                c
                for c in result.columns
                if c not in qi and c not in policy.pseudonym_columns and c not in ("fiscal_year",)
            ]
            if others:
                unassessed[name] = others
        if changed or drop or kept_rows is not None:
            changes[name] = (changed, kept_rows)
        out[name] = result
    report = _report(policy, steps, risk_rows, key_bytes, generated, unassessed, changes, maps)
    return out, report


def _log_dropped_tables(
    tables: Mapping[str, pd.DataFrame], policy: Policy, steps: list[dict]
) -> None:
    """Step 1: the identifying tables are left out (their rows are counted in the report)."""
    for name in policy.drop_tables:
        if name in tables:
            _step(
                steps,
                name,
                "テーブルを削除",
                "直接の識別子(氏名・住所・電話番号など)を含むため",
                len(tables[name]),
            )


def _pseudonym_maps(
    tables: Mapping[str, pd.DataFrame], policy: Policy, key: bytes, steps: list[dict]
) -> dict[str, _PseudonymMap]:
    """Step 1: one pseudonym map per ID column over the union of every kept table's ids, so
    each id is hashed once and gets the same pseudonym in every table."""
    maps: dict[str, _PseudonymMap] = {}
    for col in policy.pseudonym_columns:
        parts = [
            pd.unique(_integer_ids(t[col], col))
            for n, t in tables.items()
            if n not in policy.drop_tables and col in t.columns
        ]
        if parts:
            maps[col] = _PseudonymMap(np.concatenate(parts), key, col)
            _step(
                steps,
                "全テーブル",
                "仮名化",
                f"{col} を鍵付きハッシュの仮名に置換",
                len(maps[col].ids),
            )
    return maps


def _drop_columns(name: str, policy: Policy, steps: list[dict]) -> list[str]:
    """Step 1: the columns of table ``name`` the policy removes."""
    drop = list(policy.drop_columns.get(name, ()))
    if drop:
        _step(steps, name, "列を削除", ", ".join(drop))
    return drop


def _pseudonyms(frame: pd.DataFrame, maps: dict[str, _PseudonymMap]) -> dict[str, pd.Series]:
    """Step 1: the table's ID columns with their pseudonyms."""
    return {
        col: pd.Series(m(frame[col].to_numpy()), index=frame.index, name=col)
        for col, m in maps.items()
        if col in frame.columns
    }


def _recode(
    name: str, frame: pd.DataFrame, policy: Policy, new: dict[str, Any], steps: list[dict]
) -> None:
    """Step 2: bottom and top codes, coarser dates and bands of table ``name``, in that order,
    each applied to the column as the previous codes left it; the results go into ``new``."""

    def current(col: str) -> pd.Series:
        return new[col] if col in new else frame[col]

    for col, at in policy.bottom_codes.get(name, {}).items():
        s = current(col)
        hit = int((s < (pd.Timestamp(at) if s.dtype.kind == "M" else at)).sum())
        new[col] = bottom_code(s, at)
        _step(steps, name, "ボトムコーディング", f"{col} が {at} より前・未満の値を {at} に", hit)
    for col, at in policy.top_codes.get(name, {}).items():
        s = current(col)
        hit = int((s > at).sum())
        new[col] = top_code(s, at)
        _step(
            steps,
            name,
            "トップコーディング",
            f"{col} が {at} を超える値を {at}(「{at}以上」の意味)に",
            hit,
        )
    for col, precision in policy.date_precision.get(name, {}).items():
        new[col] = coarsen_date(current(col), precision)
        _step(steps, name, "一般化", f"{col} を{_PRECISIONS[precision]}までに丸める(日は1日)")
    for col, width in policy.bands.get(name, {}).items():
        s = current(col)
        is_age = col == "age" or col.endswith("_age")
        top = policy.top_codes.get(name, {}).get(col, 100 if is_age else 20_000_000)
        banded = age_band(s, width, top=top) if is_age else income_band(s, width, top=top)
        new[col] = pd.Series(banded, index=frame.index, name=col)
        unit = f"{width}歳" if is_age else f"{width / 10_000:,.0f}万円"
        _step(steps, name, "一般化", f"{col} を{unit}ごとの区分に")


def _reach_k(
    name: str, frame: pd.DataFrame, qi: list[str], policy: Policy, steps: list[dict]
) -> tuple[pd.DataFrame, list[str], np.ndarray | None, dict[str, Any]]:
    """Step 3: k over ``qi`` by local suppression (and dropped rows), then the risk left.

    Returns the table, the columns in which values were blanked, the positions of the rows
    kept (None when none was dropped) and the table's row of the report's risk table.
    """
    order = policy.suppression_order.get(name, tuple(qi))
    enforced, log = enforce_k(frame, qi, policy.k, order=order, drop=policy.drop_records)
    n_supp = sum(log["suppressed"].values())
    suppressed = [c for c, n in log["suppressed"].items() if n]
    kept_rows = None
    result = frame
    if n_supp or log["dropped"]:
        detail = "、".join(f"{c} {n:,}" for c, n in log["suppressed"].items() if n)
        if n_supp:
            _step(steps, name, "局所秘匿", f"k 未満の行の準識別子を欠損に({detail})", n_supp)
        if log["dropped"]:
            kept_rows = log["kept"]
            _step(steps, name, "行を削除", f"k = {policy.k} にできない行", log["dropped"])
        result = enforced.reset_index(drop=True) if log["dropped"] else enforced
    sa = list(policy.sensitive.get(name, ()))
    risk = {
        "テーブル": name,
        "準識別子": "・".join(qi),
        "達成した k": log["k"],
        "同値類の数": int(_class_codes(result, qi).max()) + 1 if len(result) else 0,
        "処理前に k 未満の行": log["at_risk_before"],
        "秘匿した値": n_supp,
        "削除した行": log["dropped"],
        "l": l_diversity(result, qi, sa) if sa and len(result) else None,
    }
    return result, suppressed, kept_rows, risk


_RISK_COLUMNS = [
    "テーブル",
    "準識別子",
    "達成した k",
    "同値類の数",
    "処理前に k 未満の行",
    "秘匿した値",
    "削除した行",
    "l",
]


def _report(
    policy: Policy,
    steps: list[dict],
    risk_rows: list[dict],
    key: bytes,
    generated: bool,
    unassessed: dict[str, list[str]],
    changes: dict[str, tuple[list[str], np.ndarray | None]],
    maps: dict[str, _PseudonymMap],
) -> AnonymizationReport:
    """What was done and the risk left, as an :class:`AnonymizationReport`."""
    return AnonymizationReport(
        policy=policy,
        steps=pd.DataFrame(steps, columns=["テーブル", "処理", "内容", "件数"]).astype(
            {"件数": "Int64"}
        ),
        risk=pd.DataFrame(risk_rows, columns=_RISK_COLUMNS),
        key=key,
        key_generated=generated,
        unassessed=unassessed,
        _changes=changes,
        _maps=maps,
    )


def anonymize(dataset: Any, policy: Policy = DEFAULT_POLICY, *, key: bytes | str | None = None):
    """Turn the raw variant into an anonymized one following ``policy``, with a report.

    Parameters
    ----------
    dataset : Dataset or dict of str -> DataFrame
        Usually ``ebpmkit.load(..., variant="raw")``.
    policy : Policy
        What to do; :data:`DEFAULT_POLICY` gives the built-in pseudonymized variant.
    key : bytes or str, optional
        Pseudonym key. Omitted: a new random key is generated and returned in the report.

    Returns
    -------
    (Dataset or dict, AnonymizationReport)
        The same kind of object as ``dataset``, and the report (``report.summary()``). A
        Dataset's ``variant`` is ``"pseudonymized"`` when the policy keeps pseudonyms that link
        tables (仮名加工情報), else ``"anonymized"``.

    Examples
    --------
    >>> raw = ebpmkit.load("town", scale=0.02, variant="raw")  # doctest: +SKIP
    >>> anon, report = anonymize(raw, PUBLICATION_POLICY)  # doctest: +SKIP
    >>> print(report.summary())  # doctest: +SKIP
    """
    tables = getattr(dataset, "tables", dataset)
    if not isinstance(tables, Mapping) or not all(
        isinstance(t, pd.DataFrame) for t in tables.values()
    ):
        raise ParameterError(message("anonymize.dataset", got=type(dataset).__name__))
    out, report = _anonymize_tables(tables, policy, key)
    if tables is dataset:
        return out, report
    kind = "pseudonymized" if policy.pseudonym_columns else "anonymized"
    result = replace(dataset, tables=out, variant=kind)
    dictionary = getattr(dataset, "dictionary", None)
    if isinstance(dictionary, pd.DataFrame) and "table" in dictionary.columns:
        result = replace(
            result,
            dictionary=dictionary[dictionary["table"].isin(list(out))].reset_index(drop=True),
        )
    return result, report


# --------------------------------------------------------------------------------------------
# Cache support: the default pseudonymized variant stored as overlays of the raw tables
# --------------------------------------------------------------------------------------------
def overlays(
    tables: Mapping[str, pd.DataFrame], policy: Policy, key: bytes | str
) -> tuple[dict[str, pd.DataFrame], AnonymizationReport]:
    """Only what ``policy`` changes: one id -> pseudonym map per ID column, and for each table
    its other changed columns (and kept rows).

    Random 62-bit pseudonyms do not compress, so storing them per row would make the cache
    larger than the raw tables; a map per ID column (one row per person or household) plus a
    numpy lookup in :func:`apply_overlays` costs a fraction of that.
    """
    out, report = _anonymize_tables(tables, policy, key)
    result: dict[str, pd.DataFrame] = {}
    for col, m in report._maps.items():
        result[_IDS + col] = pd.DataFrame({"id": m.ids, "pseudonym": m.pseudonyms})
    for name, (cols, kept) in report._changes.items():
        cols = [c for c in cols if c not in report._maps]
        part = out[name][cols].reset_index(drop=True)
        if kept is not None:
            part = part.assign(**{_ROW: kept.astype(np.int64)})
        if len(part.columns):
            result[name] = part
    return result, report


def apply_overlays(
    tables: Mapping[str, pd.DataFrame], parts: Mapping[str, pd.DataFrame], policy: Policy
) -> dict[str, pd.DataFrame]:
    """The anonymized tables from the raw ones and the overlays written by :func:`overlays`."""
    maps = {}
    for name, part in parts.items():
        if name.startswith(_IDS):
            m = _PseudonymMap.__new__(_PseudonymMap)
            m.ids = part["id"].to_numpy(np.int64)
            m.pseudonyms = part["pseudonym"].to_numpy(np.int64)
            m.lookup = None
            if len(m.ids) and m.ids[0] >= 0 and m.ids[-1] < 4 * len(m.ids) + 1024:
                m.lookup = np.zeros(int(m.ids[-1]) + 1, dtype=np.int64)
                m.lookup[m.ids] = m.pseudonyms
            maps[name[len(_IDS) :]] = m
    out = {}
    for name, frame in tables.items():
        if name in policy.drop_tables:
            continue
        part = parts.get(name)
        drop = list(policy.drop_columns.get(name, ()))
        if part is not None and _ROW in part.columns:
            frame = frame.take(part[_ROW].to_numpy()).reset_index(drop=True)
            part = part.drop(columns=[_ROW])
        new = {c: m(frame[c].to_numpy()) for c, m in maps.items() if c in frame.columns}
        if part is not None:
            new.update({c: part[c] for c in part.columns})
        if new or drop:
            frame = frame.drop(columns=drop).assign(**new)
        out[name] = frame
    return out


# --------------------------------------------------------------------------------------------
# 7. Small cells in a table that publishes its own margins (open data)
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Margins:
    """Which cells of a table of counts are sums of other cells of the same table.

    An open-data table publishes its totals beside its cells: 総人口 beside 男性 and 女性, a
    district's row beside its chome rows. Each declared sum is a line an attacker can
    subtract along, so :func:`suppress_small_cells` (with ``margins=``) and
    :func:`recoverable_cells` read them from here.

    Attributes
    ----------
    columns : dict of total column -> part columns
        In every row, the total column holds the sum of the part columns.
    rows : dict of total row label -> part row labels
        In every column, the total row holds the sum of the part rows.

    Examples
    --------
    >>> m = Margins(columns={"計": ["男性", "女性"]}, rows={"全体": ["D01", "D02"]})
    >>> m.columns["計"]
    ['男性', '女性']
    """

    columns: Mapping[Any, Sequence[Any]] = field(default_factory=dict)
    rows: Mapping[Any, Sequence[Any]] = field(default_factory=dict)


def _positions(labels: pd.Index, wanted: Iterable[Any], what: str) -> np.ndarray:
    """Positions of ``wanted`` labels in a unique index; an unknown label is the caller's error."""
    lookup = {label: i for i, label in enumerate(labels)}
    missing = [w for w in wanted if w not in lookup]
    if missing or len(lookup) != len(labels):
        shown = ", ".join(repr(m) for m in missing) or message("anonymize.duplicate_labels").ja
        raise ParameterError(message("anonymize.margin_labels", what=what, labels=shown))
    return np.array([lookup[w] for w in wanted], dtype=np.int64)


def _margin_lines(frame: pd.DataFrame, margins: Margins) -> list[np.ndarray]:
    """Every published sum as flat cell positions (row * n_columns + column), total first."""
    if not isinstance(margins, Margins):
        raise ParameterError(
            message("param_type", name="margins", accepted="Margins", got=type(margins).__name__)
        )
    n_rows, n_cols = frame.shape
    lines: list[np.ndarray] = []
    for total, parts in margins.columns.items():
        cols = _positions(frame.columns, [total, *parts], "columns")
        lines.extend(np.arange(n_rows)[:, None] * n_cols + cols[None, :])
    for total, parts in margins.rows.items():
        rows = _positions(frame.index, [total, *parts], "rows")
        lines.extend((rows[:, None] * n_cols + np.arange(n_cols)[None, :]).T)
    return [line for line in lines if len(line) > 1]


def _line_matrices(lines: list[np.ndarray], n_cells: int) -> tuple[Any, Any]:
    """Sparse incidence (line x cell, 1) and equation (+1 total, -1 parts) matrices."""
    from scipy import sparse

    lengths = np.array([len(line) for line in lines], dtype=np.int64)
    indptr = np.concatenate([[0], np.cumsum(lengths)])
    indices = np.concatenate(lines) if lines else np.zeros(0, dtype=np.int64)
    signs = -np.ones(len(indices))
    signs[indptr[:-1]] = 1.0
    shape = (len(lines), n_cells)
    incidence = sparse.csr_matrix((np.ones(len(indices)), indices, indptr), shape=shape)
    equations = sparse.csr_matrix((signs, indices, indptr), shape=shape)
    return incidence, equations


def _determined_cells(equations: Any, suppressed: np.ndarray) -> np.ndarray:
    """Suppressed cells whose value the published cells and the sums fix exactly.

    The sums are linear equations over all cells; moving the published cells to the right-hand
    side leaves equations in the suppressed cells. A suppressed cell is determined when no
    solution of the homogeneous system moves it (a zero column of the null space), that is when
    its unit vector lies in the row space. Cells that share no equation are solved apart.
    """
    from scipy.sparse.csgraph import connected_components

    out = np.zeros(len(suppressed), dtype=bool)
    hidden = np.flatnonzero(suppressed)
    if not len(hidden):
        return out
    sub = equations[:, hidden].tocsr()
    sub = sub[np.diff(sub.indptr) > 0]
    if sub.shape[0] == 0:
        return out
    link = abs(sub).T @ abs(sub)
    _, label = connected_components(link, directed=False)
    for part in np.unique(label):
        cols = np.flatnonzero(label == part)
        block = sub[:, cols]
        dense = block[np.diff(block.tocsr().indptr) > 0].toarray()
        if dense.shape[0] == 0:
            continue  # no sum touches these cells
        out[hidden[cols[_fixed_columns(dense)]]] = True
    return out


def _fixed_columns(dense: np.ndarray) -> np.ndarray:
    """Columns of ``dense`` that every solution of ``dense @ x = 0`` leaves at zero.

    A pivoted QR gives ``dense[:, p] = Q [R11 R12]``; the null space is spanned by
    ``[-R11^-1 R12; I]``, so a free (non-pivot) column always moves and a pivot column is
    fixed exactly when its row of ``R11^-1 R12`` is zero. Cheaper than an SVD, and exact for
    these small-integer equations.
    """
    from scipy.linalg import qr, solve_triangular

    n = dense.shape[1]
    r, perm = qr(dense, mode="r", pivoting=True)
    diag = np.abs(np.diag(r))
    rank = int((diag > 1e-9 * max(1.0, diag.max(initial=0.0))).sum())
    fixed = np.zeros(n, dtype=bool)
    if rank == n:
        fixed[:] = True
    elif rank:
        moves = solve_triangular(r[:rank, :rank], r[:rank, rank:n])
        fixed[perm[:rank]] = np.abs(moves).max(axis=1) < 1e-8
    return fixed


def _complement_in(line: np.ndarray, values: np.ndarray, suppressed: np.ndarray) -> int | None:
    """The published cell of a line to suppress next: parts before the total, non-zero cells
    before zeros (a zero hides little), then the smallest (the least information lost)."""
    open_cells = line[~suppressed[line]]
    if not len(open_cells):
        return None
    vals = values[open_cells]
    order = np.lexsort((vals, vals == 0, open_cells == line[0]))
    return int(open_cells[order[0]])


def _secondary_round(
    lines: list[np.ndarray], incidence: Any, values: np.ndarray, sup: np.ndarray
) -> bool:
    """Give every line with exactly one suppressed cell a second one; True if any changed."""
    changed = False
    for e in np.flatnonzero(incidence @ sup.astype(np.float64) == 1):
        line = lines[e]
        if sup[line].sum() == 1:
            pick = _complement_in(line, values, sup)
            if pick is not None:
                sup[pick] = changed = True
    return changed


def _suppress_with_margins(
    frame: pd.DataFrame, margins: Margins, threshold: int, suppress_zeros: bool
) -> SuppressedTable:
    """:func:`suppress_small_cells` for a table whose margins are declared, not added."""
    values = _count_values(frame)
    flat = values.ravel()
    low = 0 if suppress_zeros else 1
    primary = (flat >= low) & (flat < threshold)
    lines = _margin_lines(frame, margins)
    incidence, equations = _line_matrices(lines, flat.size)
    by_cell = incidence.tocsc()
    sup = primary.copy()
    for _ in range(flat.size + 1):  # each round suppresses one more cell, or stops
        if _secondary_round(lines, incidence, flat, sup):
            continue
        determined = _determined_cells(equations, sup)
        if not determined.any():
            break
        cell = int(np.flatnonzero(determined)[0])
        owners = by_cell.indices[by_cell.indptr[cell] : by_cell.indptr[cell + 1]]
        picks = [_complement_in(lines[e], flat, sup) for e in owners]
        picks = [p for p in picks if p is not None]
        if not picks:
            break
        sup[picks[0]] = True
    as_frame = lambda a: pd.DataFrame(  # noqa: E731
        a.reshape(values.shape), index=frame.index, columns=frame.columns
    )
    return SuppressedTable(as_frame(values), as_frame(sup), as_frame(primary), threshold)


def _count_values(frame: pd.DataFrame) -> np.ndarray:
    """The table as int64 counts; anything else is the caller's error."""
    if frame.shape[0] == 0 or frame.shape[1] == 0:
        raise ParameterError(message("anonymize.empty_table"))
    try:
        values = frame.to_numpy(dtype=float)
    except (TypeError, ValueError):
        values = np.full(frame.shape, np.nan)
    if np.isnan(values).any() or (values < 0).any() or (values != np.round(values)).any():
        raise ParameterError(message("anonymize.counts"))
    return values.astype(np.int64)


def recoverable_cells(
    table: pd.DataFrame, *, margins: Margins, suppressed: pd.DataFrame | None = None
) -> list[tuple[Any, Any]]:
    """Suppressed cells of a published table that its margins give back exactly.

    An attacker who reads the published cells and knows which cells are sums of which
    (``margins``) solves the equations; every suppressed cell whose value is then fixed is
    returned. Only exact recovery is checked: bounds (a cell known to lie between 1 and 9) are
    not. The values of suppressed cells are never read, so the published table itself (with
    missing values where cells were suppressed) can be checked.

    Parameters
    ----------
    table : DataFrame
        The table as published; suppressed cells missing unless ``suppressed`` is given.
    margins : Margins
        The sums the table publishes (labels of its columns and rows).
    suppressed : DataFrame of bool, optional
        Which cells are suppressed (default: the missing ones).

    Returns
    -------
    list of (row label, column label)
        Empty when no suppressed cell can be calculated back.

    Examples
    --------
    >>> t = pd.DataFrame({"男性": [12, None], "女性": [15, 3]}, index=["D01", "D02"])
    >>> t["計"] = [27, 11]
    >>> recoverable_cells(t.assign(女性=[15, None]), margins=Margins(columns={"計": ["男性", "女性"]}))
    []
    >>> recoverable_cells(t, margins=Margins(columns={"計": ["男性", "女性"]}))
    [('D02', '男性')]
    """
    frame = _check_frame(table, "table")
    mask = frame.isna() if suppressed is None else _check_frame(suppressed, "suppressed")
    if mask.shape != frame.shape:
        raise ParameterError(message("anonymize.mask_shape", got=str(mask.shape)))
    lines = _margin_lines(frame, margins)
    _, equations = _line_matrices(lines, frame.size)
    hidden = mask.to_numpy(dtype=bool).ravel()
    found = np.flatnonzero(_determined_cells(equations, hidden))
    n_cols = frame.shape[1]
    return [(frame.index[i // n_cols], frame.columns[i % n_cols]) for i in found]
