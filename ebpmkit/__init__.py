"""ebpmkit: evidence-based policy making training kit for Japanese municipal staff.

The small public API a lesson uses::

    import ebpmkit
    ds = ebpmkit.load()          # the fictional urban ward, generated on first use
    ds.resident_years.head()
"""

from ebpmkit import charts, friendly, maps, style
from ebpmkit.dataset import DEFAULT_SEED, Dataset, generate, load
from ebpmkit.errors import CacheError, EbpmkitError, ParameterError, ProfileError
from ebpmkit.synth.profile import builtin_profiles, load_profile

__version__ = "0.1.0"

style.apply()
# In a Jupyter kernel, explain the errors beginners make in Japanese (ebpmkit.friendly;
# EBPMKIT_FRIENDLY_ERRORS=0 or ebpmkit.friendly.uninstall() turns it off).
friendly.install_on_import()

# Heavier modules (statsmodels, nbclient) load on first use, so `import ebpmkit` stays quick.
_LAZY = ("anonymize", "evaluate", "grading")


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return importlib.import_module(f"ebpmkit.{name}")
    raise AttributeError(f"module 'ebpmkit' has no attribute {name!r}")


__all__ = [
    "DEFAULT_SEED",
    "anonymize",
    "CacheError",
    "Dataset",
    "EbpmkitError",
    "ParameterError",
    "ProfileError",
    "builtin_profiles",
    "charts",
    "evaluate",
    "friendly",
    "generate",
    "load",
    "load_profile",
    "maps",
    "style",
]
