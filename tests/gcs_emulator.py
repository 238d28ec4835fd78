"""Start `gcp-storage-emulator` on 127.0.0.1 for a test, and point google-cloud and gcsfs at it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

# gcsfs probes for hierarchical-namespace buckets and hangs 60 s per call against the emulator.
os.environ.setdefault("GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT", "false")

OFFLINE_GOOGLE_AUTH = {
    # keep google-auth off the metadata server: there is none here
    "NO_GCE_CHECK": "true",
    "GCE_METADATA_HOST": "127.0.0.1:1",
    "GCE_METADATA_IP": "127.0.0.1:1",
    "GOOGLE_CLOUD_PROJECT": "emulator",
}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def gcs_emulator(data_dir: Path, bucket: str) -> Iterator[str]:
    """Run the emulator with `bucket` created; yields its `http://127.0.0.1:PORT` address."""
    port = _free_port()
    executable = Path(sys.executable).with_name("gcp-storage-emulator")
    process = subprocess.Popen(
        [
            str(executable),
            "-d",
            str(data_dir),
            "start",
            "-H",
            "127.0.0.1",
            "--port",
            str(port),
            "--default-bucket",
            bucket,
            "-q",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    address = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    stderr = process.stderr.read().decode() if process.stderr else ""
                    raise RuntimeError(f"gcp-storage-emulator did not start: {stderr}") from None
                time.sleep(0.1)
        yield address
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
