"""A fake VM for deploy/startup.sh and deploy/healthcheck.sh.

Stand-ins, all in a temporary directory:
- a root directory the script treats as / (PLATFORM_ROOT);
- a metadata server (HTTP, on 127.0.0.1) that also serves the uv release tarball;
- `gcloud`, `systemctl`, `id`, `useradd`, swap and sysctl tools, `apt-get` as shell stubs
  on PATH that log their arguments (never a secret: values come from files) and keep
  state in files (enabled/active units, swaps, created user);
- `git` logs and runs the real git against a local repository standing in for GitHub;
- `uv` is a stub inside a tarball with its .sha256, downloaded and verified by the script.
"""

from __future__ import annotations

import hashlib
import http.server
import io
import os
import platform
import pwd
import shutil
import stat
import subprocess
import tarfile
import textwrap
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
UV_VERSION = "0.13.9"
PROJECT_ID = "test-project"

# Only the service account may read these: they must never reach the output.
SECRETS = {
    "stripe-api-key": ("SOURCES__STRIPE__API_KEY", "sk_live_TOPSECRET_stripe_4f9a"),
    "paypal-client-secret": ("SOURCES__PAYPAL__CLIENT_SECRET", "pp-TOPSECRET-paypal-77e1"),
    "google-ads-refresh-token": ("SOURCES__GOOGLE_ADS__REFRESH_TOKEN", "1//TOPSECRET-gads_9c0d"),
}
SETTINGS = {
    "SOURCES__USE_SANDBOX": "false",
    "LAKE__BUCKET_URL": "gs://test-project-platform-raw",
    "WAREHOUSE__KIND": "bigquery",
    "WAREHOUSE__BIGQUERY_PROJECT": PROJECT_ID,
    "WAREHOUSE__BIGQUERY_LOCATION": "us-central1",
    "WAREHOUSE__RAW_DATASET": "raw",
}

# Commands that change the machine; a run that changes nothing calls none of them.
MUTATING = (
    "systemctl daemon-reload",
    "systemctl enable",
    "systemctl start",
    "systemctl restart",
    "systemctl stop",
    "systemctl reset-failed",
    "useradd",
    "fallocate",
    "mkswap",
    "swapon /",
    "swapoff",
    "sysctl",
    "apt-get",
    "uv sync",
    "git checkout",
    "git init",
)

STUBS = {
    "systemctl": r"""
        echo "systemctl $*" >>"$STUB_LOG"
        dir="$STUB_STATE/systemd"
        mkdir -p "$dir/enabled" "$dir/state"
        quiet=""
        set -f
        args=""
        for a in "$@"; do
            case "$a" in
            --quiet | -q) quiet=1 ;;
            --*) ;;
            *) args="$args $a" ;;
            esac
        done
        # shellcheck disable=SC2086
        set -- $args
        cmd=$1
        shift
        case "$cmd" in
        daemon-reload | reset-failed) ;;
        enable) for u in "$@"; do touch "$dir/enabled/$u"; done ;;
        is-enabled)
            for u in "$@"; do [ -f "$dir/enabled/$u" ] || exit 1; done ;;
        start | restart)
            for u in "$@"; do
                if [ -f "$STUB_STATE/fail-start-$u" ]; then
                    echo "Job for $u failed." >&2
                    exit 1
                fi
                echo active >"$dir/state/$u"
            done ;;
        stop) for u in "$@"; do echo inactive >"$dir/state/$u"; done ;;
        is-active)
            st=$(cat "$dir/state/$1" 2>/dev/null || echo inactive)
            [ -n "$quiet" ] || echo "$st"
            [ "$st" = active ] ;;
        show) cat "$STUB_STATE/active-enter-$1" 2>/dev/null || echo 0 ;;
        *) echo "systemctl stub: unknown command $cmd" >&2; exit 1 ;;
        esac
    """,
    "gcloud": r"""
        echo "gcloud $*" >>"$STUB_LOG"
        secret=""
        for a in "$@"; do case "$a" in --secret=*) secret=${a#--secret=} ;; esac; done
        if [ ! -f "$FAKE_SECRETS/$secret" ]; then
            printf '%s %s\n' "ERROR: (gcloud.secrets.versions.access) NOT_FOUND: Secret Version" \
                "[projects/1/secrets/$secret/versions/latest] not found or has no versions." >&2
            exit 1
        fi
        cat "$FAKE_SECRETS/$secret"
    """,
    "id": r"""
        if [ $# -eq 2 ] && [ "$2" = dagster ]; then
            if [ ! -f "$STUB_STATE/user-dagster" ]; then
                echo "id: 'dagster': no such user" >&2
                exit 1
            fi
            exec "$REAL_ID" "$1"
        fi
        exec "$REAL_ID" "$@"
    """,
    "useradd": r"""
        echo "useradd $*" >>"$STUB_LOG"
        touch "$STUB_STATE/user-dagster"
    """,
    "fallocate": r"""
        echo "fallocate $*" >>"$STUB_LOG"
        truncate -s "$2" "$3"
    """,
    "swapon": r"""
        case "$1" in
        --show*) cat "$STUB_STATE/swaps" 2>/dev/null || true ;;
        *) echo "swapon $*" >>"$STUB_LOG"; echo "$1" >>"$STUB_STATE/swaps" ;;
        esac
    """,
    "swapoff": r"""echo "swapoff $*" >>"$STUB_LOG"; rm -f "$STUB_STATE/swaps" """,
    "mkswap": r"""echo "mkswap $*" >>"$STUB_LOG" """,
    "sysctl": r"""echo "sysctl $*" >>"$STUB_LOG" """,
    "apt-get": r"""echo "apt-get $*" >>"$STUB_LOG" """,
    "git": r"""
        echo "git $*" >>"$STUB_LOG"
        exec "$REAL_GIT" "$@"
    """,
}

UV_STUB = r"""#!/bin/sh
case "$1" in
--version) echo "uv __VERSION__ (stub)" ;;
sync)
    echo "uv $*" >>"$STUB_LOG"
    mkdir -p .venv/bin
    for b in python dagster dagster-daemon; do
        printf '#!/bin/sh\n' >".venv/bin/$b"
        chmod +x ".venv/bin/$b"
    done ;;
*) echo "uv stub: unexpected $*" >&2; exit 2 ;;
esac
"""


def write_script(path: Path, body: str) -> None:
    path.write_text("#!/bin/sh\n" + textwrap.dedent(body).lstrip("\n"))
    path.chmod(0o755)


def uv_target() -> str:
    machine = {"arm64": "aarch64"}.get(platform.machine(), platform.machine())
    return f"{machine}-unknown-linux-gnu"


def uv_release(version: str = UV_VERSION) -> bytes:
    """A .tar.gz laid out like uv's GitHub release, holding the stub."""
    body = UV_STUB.replace("__VERSION__", version).encode()
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        info = tarfile.TarInfo(f"uv-{uv_target()}/uv")
        info.size = len(body)
        info.mode = 0o755
        tar.addfile(info, io.BytesIO(body))
    return buffer.getvalue()


class MetadataServer:
    """The GCE metadata server (needs Metadata-Flavor: Google) plus uv's release files."""

    def __init__(self) -> None:
        self.attributes: dict[str, str] = {}
        self.files: dict[str, bytes] = {}
        self.project_id = PROJECT_ID
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = server.lookup(self.path, self.headers.get("Metadata-Flavor"))
                if body is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def lookup(self, path: str, flavor: str | None) -> bytes | None:
        if path in self.files:
            return self.files[path]
        prefix = "/computeMetadata/v1/"
        if not path.startswith(prefix) or flavor != "Google":
            return None
        key = path[len(prefix) :]
        if key == "project/project-id":
            return self.project_id.encode()
        attribute = key.removeprefix("instance/attributes/")
        if attribute != key and attribute in self.attributes:
            return self.attributes[attribute].encode()
        return None

    def serve_uv(self, version: str = UV_VERSION, *, corrupt: bool = False) -> None:
        tarball = uv_release(version)
        digest = hashlib.sha256(b"corrupt" if corrupt else tarball).hexdigest()
        name = f"/uv/{version}/uv-{uv_target()}.tar.gz"
        self.files[name] = tarball
        self.files[name + ".sha256"] = f"{digest} *uv-{uv_target()}.tar.gz\n".encode()

    def __enter__(self) -> MetadataServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=test", "-c", "user.email=test@example.com", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str
    calls: list[str]

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def mutating_calls(self) -> list[str]:
        return [c for c in self.calls if c.startswith(MUTATING)]


@dataclass
class FakeVM:
    tmp: Path
    metadata: MetadataServer
    root: Path = field(init=False)
    bin: Path = field(init=False)
    state: Path = field(init=False)
    secrets: Path = field(init=False)
    remote: Path = field(init=False)
    log: Path = field(init=False)

    def __post_init__(self) -> None:
        self.root = self.tmp / "root"
        self.bin = self.tmp / "bin"
        self.state = self.tmp / "state"
        self.secrets = self.tmp / "secrets"
        self.remote = self.tmp / "remote"
        self.log = self.tmp / "calls.log"
        for d in (self.root, self.bin, self.state, self.secrets, self.tmp / "home"):
            d.mkdir(parents=True)
        # What a Debian image already has.
        for d in (
            "etc/systemd/system",
            "etc/sysctl.d",
            "usr/local/bin",
            "var/lib",
            "var/cache",
            "opt",
        ):
            (self.root / d).mkdir(parents=True)
        (self.root / "etc/fstab").write_text("UUID=1234 / ext4 rw,discard,errors=remount-ro 0 1\n")
        for name, body in STUBS.items():
            write_script(self.bin / name, body)
        self.make_remote()
        for secret_id, (_, value) in SECRETS.items():
            self.set_secret(secret_id, value)
        self.metadata.serve_uv()
        self.metadata.attributes.update(
            {
                "platform-repo-url": self.remote.as_uri(),
                "platform-repo-ref": "main",
                "platform-uv-version": UV_VERSION,
                "platform-swap-mb": "16",
                "platform-uv-download-url": self.metadata.url + "/uv",
                "platform-env": "\n".join(f"{k}={v}" for k, v in SETTINGS.items()),
                "platform-secrets": "\n".join(f"{env}={sid}" for sid, (env, _) in SECRETS.items()),
            }
        )

    def make_remote(self) -> None:
        """The repository the VM clones: the real deploy/ folder and a lock file."""
        self.remote.mkdir()
        git(self.remote, "init", "--quiet", "--initial-branch=main")
        shutil.copytree(DEPLOY, self.remote / "deploy", ignore=shutil.ignore_patterns("*.md"))
        (self.remote / "uv.lock").write_text("version = 1\n")
        (self.remote / "pyproject.toml").write_text('[project]\nname = "x"\n')
        (self.remote / ".gitignore").write_text(".env\n.venv/\n")
        self.commit("first")
        git(self.remote, "tag", "v1")

    def commit(self, message: str) -> str:
        git(self.remote, "add", "-A")
        git(self.remote, "commit", "--quiet", "--allow-empty", "-m", message)
        return git(self.remote, "rev-parse", "HEAD")

    def set_secret(self, secret_id: str, value: str) -> None:
        (self.secrets / secret_id).write_text(value + "\n")

    def env(self) -> dict[str, str]:
        return {
            "PATH": f"{self.bin}:/usr/local/bin:/usr/bin:/bin",
            "HOME": str(self.tmp / "home"),
            "LANG": "C.UTF-8",
            "GIT_CONFIG_NOSYSTEM": "1",
            "PLATFORM_ROOT": str(self.root),
            "PLATFORM_METADATA_URL": self.metadata.url + "/computeMetadata/v1",
            "STUB_LOG": str(self.log),
            "STUB_STATE": str(self.state),
            "FAKE_SECRETS": str(self.secrets),
            "REAL_GIT": shutil.which("git") or "git",
            "REAL_ID": shutil.which("id") or "/usr/bin/id",
        }

    def run(self, script: str = "startup.sh", extra_env: dict[str, str] | None = None) -> Run:
        self.log.write_text("")
        result = subprocess.run(
            ["bash", str(DEPLOY / script)],
            env={**self.env(), **(extra_env or {})},
            capture_output=True,
            text=True,
            timeout=60,
        )
        return Run(
            result.returncode, result.stdout, result.stderr, self.log.read_text().splitlines()
        )

    def unit_state(self, unit: str) -> str:
        path = self.state / "systemd" / "state" / unit
        return path.read_text().strip() if path.exists() else "inactive"

    def set_unit_state(self, unit: str, state: str) -> None:
        path = self.state / "systemd" / "state" / unit
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(state + "\n")

    def snapshot(self) -> dict[str, tuple[object, ...]]:
        """Every path under the root with type, mode, owner, mtime and content hash.

        The checkout's .git folder is left out (fetch rewrites FETCH_HEAD); the commit
        checked out is compared separately.
        """
        found: dict[str, tuple[object, ...]] = {}
        for dirpath, dirnames, filenames in os.walk(self.root):
            rel_dir = Path(dirpath).relative_to(self.root)
            if rel_dir == Path("opt/platform"):
                dirnames.remove(".git")
            for name in dirnames + filenames:
                path = Path(dirpath) / name
                st = path.lstat()
                digest = (
                    hashlib.sha256(path.read_bytes()).hexdigest()
                    if stat.S_ISREG(st.st_mode)
                    else ""
                )
                mtime = st.st_mtime_ns if stat.S_ISREG(st.st_mode) else 0
                found[str(rel_dir / name)] = (st.st_mode, st.st_uid, st.st_gid, mtime, digest)
        return found


def current_user() -> str:
    return pwd.getpwuid(os.getuid()).pw_name


def fake_vm(tmp: Path) -> Iterator[FakeVM]:
    with MetadataServer() as server:
        yield FakeVM(tmp, server)
