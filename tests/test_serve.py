"""`carecalc serve` (what `make run` ends with) answers on a real socket through waitress."""

import socket
import subprocess
import sys
import time
import urllib.request

from care_services.cli import main


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_serve_shows_the_sample_counties(tmp_path):
    url = f"sqlite:///{tmp_path / 'serve.sqlite3'}"
    assert main(["--database", url, "sample", "load"]) == 0
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "care_services.cli", "--database", url, "serve", "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as response:
                    page = response.read().decode("utf-8")
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.2)
        assert "濂溪区" in page and "高安市" in page
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
            assert response.read() == b'{"status":"ok"}\n'
    finally:
        server.terminate()
        server.wait(timeout=10)
