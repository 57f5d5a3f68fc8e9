#!/usr/bin/env bash
# Set up ebpmkit on a The Littlest JupyterHub (TLJH) server, after TLJH's own installer.
#
#   sudo deploy/tljh/install.sh            # from a checkout of the curriculum
#
# What it does, in order (every step can be run again):
#   1. apt: the Japanese font of the charts, git (nbgitpuller), bubblewrap (grading sandbox)
#   2. the user environment (/opt/tljh/user): exactly the versions of requirements/lock.txt,
#      hash-checked, then ebpmkit itself without dependencies
#   3. JupyterLab in Japanese, without news or update checks (ebpmkit/jupyterlab/overrides.json),
#      kernels on Unix sockets (no port race when a class starts its kernels at once)
#   4. the shared data folder, generated once, read-only for learners
#   5. the hub's settings: the data folder and the class's municipality for every learner,
#      and the per-user memory limit (see MEMORY_LIMIT below)
#   6. the learner edition (a git repository without solutions/) for the nbgitpuller links
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
USER_ENV="${TLJH_USER_ENV:-/opt/tljh/user}"
DATA_DIR="${EBPMKIT_DATA_DIR:-/srv/ebpmkit-data}"
EDITION_DIR="${EBPMKIT_EDITION_DIR:-/srv/ebpm-edition}"
PROFILE="${EBPMKIT_PROFILE:-urban-ward}"
SEED="${EBPMKIT_SEED:-20250401}"
HUB_URL="${HUB_URL:-https://$(hostname -f)}"
# Per-user memory limit. Measured on this curriculum (bench/bench_hub_load.py and
# docs/trainer-guide.md): one learner's server with its exercise-00 kernel peaks at about
# 530 MiB resident (server about 150 MiB); a lesson kernel loading the full-scale data, about
# 1.1 GiB. 2G holds a lesson kernel and an exercise kernel open at the same time.
MEMORY_LIMIT="${EBPMKIT_MEMORY_LIMIT:-2G}"

if [ "$(id -u)" != 0 ]; then
    echo "root で実行してください(sudo deploy/tljh/install.sh)。 / Run as root." >&2
    exit 1
fi
if [ ! -x "$USER_ENV/bin/python" ] || ! command -v tljh-config >/dev/null; then
    echo "TLJH が見つかりません($USER_ENV)。先に TLJH をインストールしてください。" >&2
    echo "TLJH not found at $USER_ENV; install The Littlest JupyterHub first." >&2
    exit 1
fi

echo "== 1. apt"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    fonts-ipaexfont-gothic git bubblewrap >/dev/null

echo "== 2. user environment from the lock"
"$USER_ENV/bin/python" -m pip install --quiet --require-hashes --no-deps \
    -r "$REPO/requirements/lock.txt"
"$USER_ENV/bin/python" -m pip install --quiet --no-deps --no-build-isolation "$REPO"

echo "== 3. JupyterLab in Japanese, offline"
install -D -m 0644 "$REPO/ebpmkit/jupyterlab/overrides.json" \
    "$USER_ENV/share/jupyter/lab/settings/overrides.json"

# Kernels on Unix sockets, not TCP ports: on one machine, kernels that many learners start at
# the same moment each pick "free" TCP ports and sometimes the same one, and the later kernel
# dies with "Address already in use" (bench/bench_hub_load.py: 1-2 of 40 with TCP, 0 with ipc).
install -D -m 0644 /dev/stdin "$USER_ENV/etc/jupyter/jupyter_server_config.d/ebpmkit-kernels.json" <<'JSON'
{"KernelManager": {"transport": "ipc"}}
JSON

echo "== 4. shared data in $DATA_DIR (once)"
install -d -m 0755 "$DATA_DIR"
# --class: every lesson's and exercise's dataset, each with its own scale and seed offset.
EBPMKIT_DATA_DIR="$DATA_DIR" EBPMKIT_PROFILE="$PROFILE" EBPMKIT_SEED="$SEED" \
    "$USER_ENV/bin/ebpmkit" generate --class
chmod -R a+rX,go-w "$DATA_DIR"

echo "== 5. hub settings"
install -D -m 0644 /dev/stdin /opt/tljh/config/jupyterhub_config.d/ebpmkit.py <<EOF
# Written by deploy/tljh/install.sh: every learner reads the shared data, one municipality.
c.Spawner.environment.update(
    {
        "EBPMKIT_DATA_DIR": "$DATA_DIR",
        "EBPMKIT_PROFILE": "$PROFILE",
        "EBPMKIT_SEED": "$SEED",
        # A short folder for the kernels' sockets (a socket path has at most ~100 bytes).
        "JUPYTER_RUNTIME_DIR": lambda spawner: f"/tmp/jupyter-runtime-{spawner.user.name}",
    }
)
c.Spawner.default_url = "/lab"
EOF
tljh-config set limits.memory "$MEMORY_LIMIT"
tljh-config set user_environment.default_app jupyterlab
tljh-config reload hub

echo "== 6. learner edition in $EDITION_DIR"
# Run from the checkout: the edition is made from its notebooks/, exercises/ and synthetic/.
(cd "$REPO" && "$USER_ENV/bin/ebpmkit" edition --out "$EDITION_DIR")
chmod -R a+rX "$EDITION_DIR"
(cd "$REPO" && "$USER_ENV/bin/ebpmkit" hub-link --hub "$HUB_URL" --repo "$EDITION_DIR")
echo "完了しました。上のリンクを受講者に配ってください。 / Done: hand out the links above."
