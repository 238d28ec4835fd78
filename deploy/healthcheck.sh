#!/usr/bin/env bash
# Health check of the Dagster services (dagster-health.service, every five
# minutes by dagster-health.timer; runs as root):
#   - dagster-code.service and dagster.service are active;
#   - the daemon's heartbeat is fresh (`dagster-daemon liveness-check`, run as
#     the dagster user; skipped for the first minutes after the daemon starts);
# restarts what is down or stale and writes one line to the journal:
#   dagster-health: ok: dagster-code active, dagster active, heartbeat fresh
#   dagster-health: restarted dagster (heartbeat stale); now dagster-code active, dagster active
# and sends that line as an alert (`python -m alerts`, alerts.* settings in .env)
# when it restarted something or could not.
# Exit status: 0 healthy, 1 something was restarted, 2 a restart failed.
set -uo pipefail

VENV_BIN=${DAGSTER_VENV_BIN:-/opt/platform/.venv/bin}
PLATFORM_DIR=${PLATFORM_DIR:-/opt/platform}
DAGSTER_USER=${DAGSTER_USER:-dagster}
export DAGSTER_HOME=${DAGSTER_HOME:-/var/dagster/home}
# The daemon heartbeats every 30 s; older than this is stale (Dagster's own default is 30 min).
HEARTBEAT_TOLERANCE=${HEARTBEAT_TOLERANCE_SECONDS:-300}
# A daemon that started this recently may not have written its first heartbeat.
STARTUP_GRACE=${STARTUP_GRACE_SECONDS:-180}
CODE=dagster-code.service
DAEMON=dagster.service

state_of() { systemctl is-active "$1" 2>/dev/null || true; }

# Seconds since the unit became active (empty when unknown).
active_for() {
    local since_us uptime_s
    since_us=$(systemctl show --property=ActiveEnterTimestampMonotonic --value "$1" 2>/dev/null || true)
    [[ $since_us =~ ^[0-9]+$ ]] && [ "$since_us" -gt 0 ] || return 0
    uptime_s=$(cut -d. -f1 /proc/uptime)
    echo $((uptime_s - since_us / 1000000))
}

heartbeat_fresh() {
    local run_as=()
    if [ "$(id -un)" != "$DAGSTER_USER" ]; then
        run_as=(setpriv --reuid="$DAGSTER_USER" --regid="$DAGSTER_USER" --init-groups --)
    fi
    timeout 120 "${run_as[@]}" env DAGSTER_HOME="$DAGSTER_HOME" \
        DAGSTER_DAEMON_HEARTBEAT_TOLERANCE="$HEARTBEAT_TOLERANCE" \
        "$VENV_BIN/dagster-daemon" liveness-check >/dev/null 2>&1
}

# An alert never changes the check's outcome: one that cannot go out waits in the outbox
# (as the dagster user, who owns it, in the checkout whose .dlt/ and .env hold the settings).
send_alert() {
    local run_as=()
    if [ "$(id -un)" != "$DAGSTER_USER" ]; then
        run_as=(setpriv --reuid="$DAGSTER_USER" --regid="$DAGSTER_USER" --init-groups --)
    fi
    (cd "$PLATFORM_DIR" && timeout 60 "${run_as[@]}" "$VENV_BIN/python" -m alerts "$1") ||
        echo "dagster-health: the alert could not be sent" >&2
}

restart() {
    systemctl reset-failed "$1" 2>/dev/null || true
    systemctl restart "$1" 2>/dev/null
}

code_state=$(state_of "$CODE")
daemon_state=$(state_of "$DAEMON")
heartbeat="not checked"
if [ "$daemon_state" = active ]; then
    age=$(active_for "$DAEMON")
    if [ -n "$age" ] && [ "$age" -lt "$STARTUP_GRACE" ]; then
        heartbeat="not checked (daemon started ${age}s ago)"
    elif heartbeat_fresh; then
        heartbeat=fresh
    else
        heartbeat=stale
    fi
fi

actions=()
failed=0
if [ "$code_state" != active ] && [ "$code_state" != activating ] && [ "$code_state" != reloading ]; then
    if restart "$CODE"; then actions+=("dagster-code (was $code_state)"); else
        actions+=("dagster-code (was $code_state; restart FAILED)")
        failed=1
    fi
    # dagster.service Requires= dagster-code: it went down with it.
    daemon_state=$(state_of "$DAEMON")
fi
if [ "$daemon_state" != active ] && [ "$daemon_state" != activating ] && [ "$daemon_state" != reloading ] ||
    [ "$heartbeat" = stale ]; then
    reason="was $daemon_state"
    [ "$heartbeat" = stale ] && reason="heartbeat stale"
    if restart "$DAEMON"; then actions+=("dagster ($reason)"); else
        actions+=("dagster ($reason; restart FAILED)")
        failed=1
    fi
fi

if [ ${#actions[@]} -eq 0 ]; then
    echo "dagster-health: ok: dagster-code $code_state, dagster $daemon_state, heartbeat $heartbeat"
    exit 0
fi
joined=$(printf '%s, ' "${actions[@]}")
line="dagster-health: restarted ${joined%, }; now dagster-code $(state_of "$CODE"), dagster $(state_of "$DAEMON")"
echo "$line"
send_alert "$line"
[ "$failed" -eq 0 ] && exit 1
exit 2
