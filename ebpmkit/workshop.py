"""The managers' workshop as an app: Voilà serves notebooks/manager/ with no code visible.

``ebpmkit workshop`` calls :func:`serve`. Voilà runs each notebook in its own kernel and shows
only its text and outputs (the dashboards of :mod:`ebpmkit.widgets`); it listens on 127.0.0.1,
so only this computer can open it. Training rooms are often offline, so the page must not ask
the internet for anything: Voilà's page template links two icon style sheets on a public CDN,
and a Content-Security-Policy header makes the browser load only what this server serves
(the dashboards need no icons), instead of waiting for a network that is not there.

Examples
--------
>>> voila_arguments(Path("notebooks/manager"), port=8866, open_browser=False)[:2]
['notebooks/manager', '--port=8866']
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ebpmkit.errors import ParameterError, check_range
from ebpmkit.messages import message

__all__ = ["CONTENT_SECURITY_POLICY", "HOST", "serve", "voila_arguments", "workshop_folder"]

#: Voilà listens here only: the workshop is opened on the same computer.
HOST = "127.0.0.1"

#: Everything from this server (scripts, styles, images, the kernel's websocket); nothing else.
CONTENT_SECURITY_POLICY = (
    "default-src 'self' 'unsafe-inline' 'unsafe-eval' data: blob:; connect-src 'self' ws: wss:"
)


def workshop_folder(root: str | Path | None = None) -> Path:
    """The folder of the workshop's notebooks: ``notebooks/manager`` of the curriculum.

    Parameters
    ----------
    root : str or Path, optional
        The curriculum folder (the one holding ``notebooks/``); the current folder if it has
        one, else the source checkout.

    Returns
    -------
    Path

    Examples
    --------
    >>> workshop_folder().name
    'manager'
    """
    if root is None:
        here = Path.cwd()
        root = here if (here / "notebooks").is_dir() else Path(__file__).resolve().parent.parent
    folder = Path(root) / "notebooks" / "manager"
    if not any(folder.glob("*.ipynb")):
        raise ParameterError(message("workshop.no_notebooks", folder=folder))
    return folder


def voila_arguments(folder: Path, *, port: int, open_browser: bool) -> list[str]:
    """Voilà's command-line arguments for the workshop (besides the config of :func:`serve`).

    Examples
    --------
    >>> voila_arguments(Path("m"), port=9000, open_browser=True)
    ['m', '--port=9000', '--Voila.ip=127.0.0.1']
    """
    arguments = [str(folder), f"--port={port}", f"--Voila.ip={HOST}"]
    if not open_browser:
        arguments.append("--no-browser")
    return arguments


def _config() -> Any:
    from traitlets.config import Config

    config = Config()
    config.Voila.tornado_settings = {
        "headers": {"Content-Security-Policy": CONTENT_SECURITY_POLICY}
    }
    # A cell that fails shows a short notice, not a traceback (the dashboards show their own
    # Japanese messages; this is the default, set here so no user config can turn it on).
    config.VoilaConfiguration.show_tracebacks = False
    config.VoilaConfiguration.strip_sources = True
    return config


def serve(folder: str | Path | None = None, *, port: int = 8866, open_browser: bool = True) -> int:
    """Start Voilà on the workshop's notebooks at http://127.0.0.1:PORT/ until interrupted.

    Parameters
    ----------
    folder : str or Path, optional
        The notebooks to serve (default :func:`workshop_folder`).
    port : int
        The port, 1024-65535 (default 8866, Voilà's own).
    open_browser : bool
        Open the page in the default browser once the server runs.

    Returns
    -------
    int
        0 when the server stops.

    Examples
    --------
    >>> serve(port=8866, open_browser=False)  # doctest: +SKIP
    """
    check_range("port", port, low=1024, high=65535, kind=int)
    target = workshop_folder() if folder is None else Path(folder)
    if not target.is_dir():
        raise ParameterError(message("workshop.no_notebooks", folder=target))
    from voila.app import Voila

    print(
        f"研修アプリを起動しています(http://{HOST}:{port}/)。ポートが使用中のときは別のポートに"
        "なるので、下の「Voilà is running at」のアドレスを開いてください。終了するには Ctrl+C を"
        "押します。\nStarting the workshop; open the address Voila prints below. Ctrl+C stops it.",
        flush=True,
    )
    Voila.launch_instance(
        argv=voila_arguments(target, port=port, open_browser=open_browser), config=_config()
    )
    return 0
