"""What every domain module of the generator receives and returns.

A domain module (``population``, ``income``, ``nhi`` ...) is a small module with:

- ``TABLES``: table name -> Japanese description of the table;
- ``COLUMNS``: a list of :class:`~ebpmkit.synth.dictionary.Column`, one per column it writes;
- ``PARAMETERS``: a list of :class:`~ebpmkit.synth.profile.Param`, the profile figures it reads;
- ``simulate(ctx) -> dict[str, pandas.DataFrame]``: the tables it generates.

Modules run in a fixed order and read earlier modules' tables from ``ctx.tables``. Each draws
random numbers only from ``ctx.rng(<its own name>)``, so changing one domain never shifts the
random stream of another.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ebpmkit.synth.profile import Profile

__all__ = ["SimContext"]


@dataclass
class SimContext:
    """State shared by the domain modules during one generation run.

    Examples
    --------
    >>> from ebpmkit.synth.profile import load_profile
    >>> ctx = SimContext(load_profile("town"), seed=1, scale=0.1)
    >>> float(ctx.rng("demo").random()) == float(SimContext(ctx.profile, 1, 0.1).rng("demo").random())
    True
    """

    profile: Profile
    seed: int
    scale: float
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    truth: dict[str, Any] = field(default_factory=dict)

    def rng(self, stream: str) -> np.random.Generator:
        """A generator seeded by (seed, stream name): independent per domain, same on every machine."""
        return np.random.default_rng([self.seed, zlib.crc32(stream.encode("utf-8"))])

    def scaled(self, count: float) -> int:
        """A count from the profile, shrunk by ``scale`` (at least 1)."""
        return max(1, round(count * self.scale))
