#!/usr/bin/env bash
# The platform VM's startup script. Compute Engine runs it as root at every
# boot (terraform/vm.tf puts it in the instance metadata as startup-script).
#
# It makes the VM match its metadata, step by step:
#   the dagster user and its directories, a swap file, git and curl, the
#   repository at platform-repo-ref, uv and the locked dependencies, .env
#   (settings from platform-env, secrets from Secret Manager), Dagster's
#   instance config and workspace, the systemd units; then it restarts the
#   services only if something they use changed.
# Running it again changes nothing that is already right; a new ref or a
# rotated secret is picked up. A failing step stops the script and names the step.
# Secret values are never printed.
#
# Rerun without rebooting: sudo google_metadata_script_runner startup
#
# Instance metadata it reads (set by terraform/vm.tf):
#   platform-repo-url     https URL of the repository
#   platform-repo-ref     branch, tag or commit SHA to run
#   platform-uv-version   uv release to install
#   platform-env          non-secret .env lines, KEY=value
#   platform-secrets      ENV_VAR=secret-id lines: .env gets ENV_VAR from the
#                         secret's latest version
#   platform-swap-mb      swap file size in MB (optional, default 1024; 0 = none)
#   platform-uv-download-url  where uv releases are downloaded (optional)
#
# For tests only: PLATFORM_ROOT (a directory standing in for /) and
# PLATFORM_METADATA_URL (a stand-in metadata server).
set -euo pipefail
umask 022

ROOT=${PLATFORM_ROOT:-}
METADATA_URL=${PLATFORM_METADATA_URL:-http://metadata.google.internal/computeMetadata/v1}

SERVICE_USER=dagster
APP_DIR=$ROOT/opt/platform
DAGSTER_DIR=$ROOT/var/dagster
DAGSTER_HOME_DIR=$DAGSTER_DIR/home
STATE_DIR=$ROOT/var/lib/platform
UNIT_DIR=$ROOT/etc/systemd/system
UV_BIN=$ROOT/usr/local/bin/uv
SWAP_FILE=$ROOT/swapfile
UNITS=(dagster-code.service dagster.service dagster-health.service dagster-health.timer)
SERVICES=(dagster-code.service dagster.service)

export DEBIAN_FRONTEND=noninteractive
export UV_CACHE_DIR=$ROOT/var/cache/uv
# A Python uv downloads must be readable by the dagster user (not under /root).
export UV_PYTHON_INSTALL_DIR=$ROOT/opt/uv/python
export UV_COMPILE_BYTECODE=1
export UV_NO_PROGRESS=1

STEP_NO=0
STEP="start"
STARTED=$SECONDS
CHANGED=()   # what this run changed, for the summary line
RESTART=()   # changes the services must be restarted for
TMP_FILES=()

log() { printf 'platform-startup: %s\n' "$*"; }
die() {
    printf 'platform-startup: error: %s\n' "$*" >&2
    exit 1
}
step() {
    STEP_NO=$((STEP_NO + 1))
    STEP=$1
    log "[$STEP_NO] $STEP"
}
changed() { CHANGED+=("$1"); }
on_exit() {
    local rc=$?
    if [ ${#TMP_FILES[@]} -gt 0 ]; then
        rm -rf -- "${TMP_FILES[@]}"
    fi
    if [ "$rc" -ne 0 ]; then
        printf 'platform-startup: FAILED at step %d "%s" (exit %d); the steps after it did not run\n' \
            "$STEP_NO" "$STEP" "$rc" >&2
    fi
}
trap on_exit EXIT

# metadata PATH [DEFAULT]: a value from the metadata server; a missing one
# gives DEFAULT when one is given, else stops.
metadata() {
    local value
    if value=$(curl --fail --silent --show-error --retry 5 --retry-connrefused --max-time 10 \
        -H 'Metadata-Flavor: Google' "$METADATA_URL/$1" 2>/dev/null); then
        printf '%s' "$value"
    elif [ $# -ge 2 ]; then
        printf '%s' "$2"
    else
        die "instance metadata $1 is missing (set by terraform/vm.tf)"
    fi
}

mode_of() { stat -c '%a' "$1"; }
owner_of() { stat -c '%u:%g' "$1"; }

# ensure_dir PATH MODE OWNER(uid:gid)
ensure_dir() {
    if [ ! -d "$1" ]; then
        mkdir -p "$1"
        changed "created ${1#"$ROOT"}"
    fi
    [ "$(mode_of "$1")" = "$2" ] || chmod "$2" "$1"
    [ "$(owner_of "$1")" = "$3" ] || chown "$3" "$1"
}

# put_file SRC DEST MODE [OWNER]: replace DEST atomically when its content
# differs; returns 0 when it changed DEST, 1 when DEST was already right.
put_file() {
    local src=$1 dest=$2 mode=$3 owner=${4:-} tmp
    if [ -f "$dest" ] && cmp -s "$src" "$dest"; then
        [ "$(mode_of "$dest")" = "$mode" ] || chmod "$mode" "$dest"
        if [ -n "$owner" ] && [ "$(owner_of "$dest")" != "$owner" ]; then chown "$owner" "$dest"; fi
        return 1
    fi
    tmp=$(mktemp "$dest.XXXXXX")
    TMP_FILES+=("$tmp")
    cat "$src" >"$tmp"
    chmod "$mode" "$tmp"
    if [ -n "$owner" ]; then chown "$owner" "$tmp"; fi
    mv -f "$tmp" "$dest"
    return 0
}

valid_env_name() { [[ $1 =~ ^[A-Z][A-Z0-9_]*$ ]]; }

if [ -z "$ROOT" ] && [ "$(id -u)" -ne 0 ]; then
    die "run me as root (Compute Engine runs startup scripts as root)"
fi

mkdir -p "$ROOT/run"
exec 9>>"$ROOT/run/platform-startup.lock"
flock -w 900 9 || die "another run of this script holds $ROOT/run/platform-startup.lock"

# ---------------------------------------------------------------------------
step "read the settings from instance metadata"
PROJECT_ID=$(metadata project/project-id)
REPO_URL=$(metadata instance/attributes/platform-repo-url)
REPO_REF=$(metadata instance/attributes/platform-repo-ref)
UV_VERSION=$(metadata instance/attributes/platform-uv-version)
PLATFORM_ENV=$(metadata instance/attributes/platform-env "")
PLATFORM_SECRETS=$(metadata instance/attributes/platform-secrets "")
SWAP_MB=$(metadata instance/attributes/platform-swap-mb 1024)
UV_DOWNLOAD_URL=$(metadata instance/attributes/platform-uv-download-url \
    https://github.com/astral-sh/uv/releases/download)
[[ $REPO_REF =~ ^[A-Za-z0-9][A-Za-z0-9._/-]*$ ]] || die "platform-repo-ref '$REPO_REF' is not a branch, tag or commit"
[[ $UV_VERSION =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "platform-uv-version '$UV_VERSION' is not a version"
[[ $SWAP_MB =~ ^[0-9]+$ ]] || die "platform-swap-mb '$SWAP_MB' is not a number of MB"
log "project $PROJECT_ID, repository $REPO_URL at $REPO_REF"

# ---------------------------------------------------------------------------
step "create the $SERVICE_USER user and its directories"
if ! id -u "$SERVICE_USER" >/dev/null 2>&1; then
    useradd --system --user-group --home-dir /var/dagster --no-create-home \
        --shell /usr/sbin/nologin --comment "Dagster services" "$SERVICE_USER"
    changed "created user $SERVICE_USER"
fi
OWNER="$(id -u "$SERVICE_USER"):$(id -g "$SERVICE_USER")"
ROOT_OWNER="$(id -u):$(id -g)"
ensure_dir "$DAGSTER_DIR" 750 "$OWNER"
ensure_dir "$DAGSTER_HOME_DIR" 750 "$OWNER"
ensure_dir "$DAGSTER_DIR/dlt" 750 "$OWNER"
ensure_dir "$DAGSTER_DIR/cache" 750 "$OWNER"
ensure_dir "$STATE_DIR" 700 "$ROOT_OWNER"
ensure_dir "$APP_DIR" 755 "$ROOT_OWNER"

# ---------------------------------------------------------------------------
step "set up a ${SWAP_MB} MB swap file"
if [ "$SWAP_MB" -gt 0 ]; then
    if [ ! -f "$SWAP_FILE" ] || [ "$(stat -c %s "$SWAP_FILE")" -ne $((SWAP_MB * 1024 * 1024)) ]; then
        if swapon --show=NAME --noheadings | grep -qxF "$SWAP_FILE"; then swapoff "$SWAP_FILE"; fi
        rm -f "$SWAP_FILE"
        fallocate -l "${SWAP_MB}M" "$SWAP_FILE"
        chmod 600 "$SWAP_FILE"
        mkswap "$SWAP_FILE" >/dev/null
        changed "swap file ${SWAP_MB} MB"
    fi
    if ! swapon --show=NAME --noheadings | grep -qxF "$SWAP_FILE"; then
        swapon "$SWAP_FILE"
    fi
    [ -e "$ROOT/etc/fstab" ] || : >"$ROOT/etc/fstab"
    if ! grep -qE '^/swapfile[[:space:]]' "$ROOT/etc/fstab"; then
        printf '/swapfile none swap sw 0 0\n' >>"$ROOT/etc/fstab"
        changed "swap in /etc/fstab"
    fi
    mkdir -p "$ROOT/etc/sysctl.d"
    SYSCTL_CONF=$(mktemp)
    TMP_FILES+=("$SYSCTL_CONF")
    printf '# deploy/startup.sh: swap only under pressure (1 GB VM with a swap file)\nvm.swappiness = 10\n' >"$SYSCTL_CONF"
    if put_file "$SYSCTL_CONF" "$ROOT/etc/sysctl.d/60-platform-swap.conf" 644; then
        sysctl -q --load="$ROOT/etc/sysctl.d/60-platform-swap.conf"
        changed "vm.swappiness"
    fi
fi

# ---------------------------------------------------------------------------
# (curl, flock and gcloud come with Google's Debian images; git does not.)
step "install git"
if ! command -v git >/dev/null 2>&1; then
    apt-get update -q
    apt-get install -y -q --no-install-recommends git ca-certificates
    changed "installed git"
fi

# ---------------------------------------------------------------------------
step "check out $REPO_REF of the repository"
if [ ! -d "$APP_DIR/.git" ]; then
    git init --quiet "$APP_DIR"
    git -C "$APP_DIR" remote add origin "$REPO_URL"
fi
if [ "$(git -C "$APP_DIR" remote get-url origin)" != "$REPO_URL" ]; then
    git -C "$APP_DIR" remote set-url origin "$REPO_URL"
fi
git -C "$APP_DIR" fetch --quiet --depth 1 --no-tags origin "$REPO_REF" ||
    die "cannot fetch $REPO_REF from $REPO_URL"
NEW_COMMIT=$(git -C "$APP_DIR" rev-parse --verify 'FETCH_HEAD^{commit}')
OLD_COMMIT=$(git -C "$APP_DIR" rev-parse --quiet --verify 'HEAD^{commit}' || true)
if [ "$NEW_COMMIT" != "$OLD_COMMIT" ]; then
    git -C "$APP_DIR" -c advice.detachedHead=false checkout --quiet --force --detach "$NEW_COMMIT"
    changed "code ${OLD_COMMIT:0:12}${OLD_COMMIT:+ -> }${NEW_COMMIT:0:12}"
    RESTART+=("code")
fi
log "running commit $NEW_COMMIT"
for f in uv.lock deploy/dagster.yaml deploy/workspace.yaml "${UNITS[@]/#/deploy/systemd/}"; do
    [ -f "$APP_DIR/$f" ] || die "the checkout has no $f"
done

# ---------------------------------------------------------------------------
step "install uv $UV_VERSION"
if [ ! -x "$UV_BIN" ] || [ "$("$UV_BIN" --version | awk '{print $2}')" != "$UV_VERSION" ]; then
    case "$(uname -m)" in
    x86_64) UV_TARGET=x86_64-unknown-linux-gnu ;;
    aarch64) UV_TARGET=aarch64-unknown-linux-gnu ;;
    *) die "no uv build for $(uname -m)" ;;
    esac
    UV_TMP=$(mktemp -d)
    TMP_FILES+=("$UV_TMP")
    UV_URL="$UV_DOWNLOAD_URL/$UV_VERSION/uv-$UV_TARGET.tar.gz"
    curl --fail --silent --show-error --location --retry 5 -o "$UV_TMP/uv.tar.gz" "$UV_URL" ||
        die "cannot download $UV_URL"
    curl --fail --silent --show-error --location --retry 5 -o "$UV_TMP/uv.tar.gz.sha256" "$UV_URL.sha256" ||
        die "cannot download $UV_URL.sha256"
    [ "$(awk '{print $1}' "$UV_TMP/uv.tar.gz.sha256")" = "$(sha256sum "$UV_TMP/uv.tar.gz" | awk '{print $1}')" ] ||
        die "uv $UV_VERSION download does not match its checksum"
    tar -xzf "$UV_TMP/uv.tar.gz" -C "$UV_TMP"
    mkdir -p "$(dirname "$UV_BIN")"
    install -m 0755 "$UV_TMP/uv-$UV_TARGET/uv" "$UV_BIN"
    changed "uv $UV_VERSION"
fi

# ---------------------------------------------------------------------------
step "install the locked dependencies (uv sync --locked --no-dev)"
DEPS_STAMP=$(cd "$APP_DIR" && cat uv.lock pyproject.toml | sha256sum | awk '{print $1}')
DEPS_STAMP="$DEPS_STAMP uv-$UV_VERSION"
if [ ! -x "$APP_DIR/.venv/bin/python" ] || [ "$(cat "$STATE_DIR/deps.stamp" 2>/dev/null)" != "$DEPS_STAMP" ]; then
    # .pyc at install: the services import in a quarter of the time, and the dagster user
    # cannot write them into a tree that root installed
    (cd "$APP_DIR" && "$UV_BIN" sync --locked --no-dev --quiet --compile-bytecode) ||
        die "uv sync --locked --no-dev failed in $APP_DIR"
    printf '%s\n' "$DEPS_STAMP" >"$STATE_DIR/deps.stamp"
    changed "dependencies"
    RESTART+=("dependencies")
fi

# ---------------------------------------------------------------------------
step "write .env (settings and Secret Manager secrets)"
ENV_TMP=$(mktemp "$APP_DIR/.env.XXXXXX") # mode 0600
TMP_FILES+=("$ENV_TMP")
{
    printf '# Written by deploy/startup.sh from instance metadata and Secret Manager. Do not edit:\n'
    printf '# the next boot rewrites it. Settings: terraform (platform-env, source_secrets).\n'
} >"$ENV_TMP"
while IFS= read -r line; do
    [ -n "$line" ] || continue
    name=${line%%=*}
    value=${line#*=}
    if ! valid_env_name "$name" || [ "$name" = "$line" ]; then
        die "platform-env line '$name' is not NAME=value"
    fi
    [[ $value != *"'"* ]] || die "platform-env $name contains a single quote"
    printf "%s='%s'\n" "$name" "$value" >>"$ENV_TMP"
done <<<"$PLATFORM_ENV"
SECRET_COUNT=0
GCLOUD_ERR=$(mktemp)
TMP_FILES+=("$GCLOUD_ERR")
while IFS= read -r line; do
    [ -n "$line" ] || continue
    name=${line%%=*}
    secret_id=${line#*=}
    if ! valid_env_name "$name" || [[ ! $secret_id =~ ^[A-Za-z0-9_-]+$ ]]; then
        die "platform-secrets line '$line' is not ENV_VAR=secret-id"
    fi
    # The value goes from gcloud's stdout into a variable, never to the log.
    if ! value=$(gcloud secrets versions access latest --secret="$secret_id" \
        --project="$PROJECT_ID" --quiet </dev/null 2>"$GCLOUD_ERR"); then
        die "cannot read the latest version of secret $secret_id (for $name): $(head -n 1 "$GCLOUD_ERR");" \
            "add one with: gcloud secrets versions add $secret_id --project=$PROJECT_ID --data-file=-"
    fi
    [ -n "$value" ] || die "secret $secret_id (for $name) is empty"
    if [[ $value == *$'\n'* || $value == *$'\r'* || $value == *"'"* ]]; then
        die "secret $secret_id (for $name) contains a line break or a single quote, which .env cannot hold"
    fi
    printf "%s='%s'\n" "$name" "$value" >>"$ENV_TMP"
    unset value
    SECRET_COUNT=$((SECRET_COUNT + 1))
done <<<"$PLATFORM_SECRETS"
if put_file "$ENV_TMP" "$APP_DIR/.env" 600 "$OWNER"; then
    changed ".env"
    RESTART+=(".env")
fi
log ".env holds $SECRET_COUNT secrets (values not shown)"

# ---------------------------------------------------------------------------
step "write Dagster's instance config and workspace"
for f in dagster.yaml workspace.yaml; do
    if put_file "$APP_DIR/deploy/$f" "$DAGSTER_HOME_DIR/$f" 644; then
        changed "$f"
        RESTART+=("$f")
    fi
done

# ---------------------------------------------------------------------------
step "install the systemd units"
UNITS_CHANGED=()
for unit in "${UNITS[@]}"; do
    if put_file "$APP_DIR/deploy/systemd/$unit" "$UNIT_DIR/$unit" 644; then
        UNITS_CHANGED+=("$unit")
    fi
done
if [ ${#UNITS_CHANGED[@]} -gt 0 ]; then
    systemctl daemon-reload
    changed "units ${UNITS_CHANGED[*]}"
fi

# ---------------------------------------------------------------------------
step "enable and start the services"
for unit in "${SERVICES[@]}" dagster-health.timer; do
    systemctl is-enabled --quiet "$unit" || systemctl enable --quiet "$unit"
done
for unit in "${UNITS_CHANGED[@]}"; do
    case "$unit" in
    dagster-code.service | dagster.service) RESTART+=("$unit") ;;
    esac
done
if [ ${#RESTART[@]} -gt 0 ]; then
    log "restarting ${SERVICES[*]} (changed: ${RESTART[*]})"
    systemctl reset-failed "${SERVICES[@]}" 2>/dev/null || true
    systemctl restart "${SERVICES[@]}"
else
    for unit in "${SERVICES[@]}"; do
        systemctl is-active --quiet "$unit" || systemctl start "$unit"
    done
fi
if [[ " ${UNITS_CHANGED[*]} " == *" dagster-health.timer "* ]]; then
    systemctl restart dagster-health.timer
elif ! systemctl is-active --quiet dagster-health.timer; then
    systemctl start dagster-health.timer
fi

if [ ${#CHANGED[@]} -eq 0 ]; then
    log "done in $((SECONDS - STARTED)) s: nothing changed"
else
    summary=$(printf '%s; ' "${CHANGED[@]}")
    log "done in $((SECONDS - STARTED)) s: changed: ${summary%; }"
fi
