"""Send oversized chunked bodies to a served instance and report the server's peak memory.

`python scripts/bench_body_limit.py [--mb 300]`: ingests the demo corpus into a temporary
index, starts `assistant serve` on a free loopback port with one read key, then sends
(1) a chunked JSON body of --mb megabytes with the key to /v1/chat and (2) a chunked body of
100 MB without a key. For each it prints the status, how many bytes the server let in before
answering, and the server's peak resident memory (VmHWM) before and after."""

from __future__ import annotations

import argparse
import os
import select
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _peak_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _send(port: int, key: str | None, megabytes: int) -> tuple[str, int, float]:
    """A chunked POST to /v1/chat, 1 MB a chunk, until the server answers or all is sent."""
    auth = f"Authorization: Bearer {key}\r\n" if key else ""
    head = ("POST /v1/chat HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Transfer-Encoding: chunked\r\n{auth}\r\n")
    piece = b"[" + b"1," * 500_000
    sent, started = 0, time.perf_counter()
    with socket.create_connection(("127.0.0.1", port), timeout=600) as sock:
        sock.sendall(head.encode())
        for _ in range(megabytes):
            if select.select([sock], [], [], 0)[0]:
                break
            try:
                sock.sendall(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += len(piece)
        else:
            sock.sendall(b"0\r\n\r\n")
        try:
            status = sock.recv(200).split(b"\r\n", 1)[0].decode(errors="replace")
        except (ConnectionResetError, TimeoutError) as exc:
            status = f"no answer ({type(exc).__name__})"
    return status, sent, time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=300, help="size of the keyed body, in MB")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        env = {**os.environ, "ASSISTANT_INDEX": f"{folder}/index", "ASSISTANT_API_KEYS": "k1=read"}
        assistant = [sys.executable, "-m", "assistant"]
        subprocess.run([*assistant, "ingest", str(ROOT / "corpus")], env=env, check=True,
                       capture_output=True)
        port = _free_port()
        server = subprocess.Popen([*assistant, "serve", "--port", str(port)], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.time() + 120
            while time.time() < deadline:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    time.sleep(0.2)
            time.sleep(3)  # the model loads in the background at start-up
            print(f"server peak RSS after start-up: {_peak_mib(server.pid):.0f} MiB")
            for key, megabytes in (("k1", args.mb), (None, 100)):
                status, sent, seconds = _send(port, key, megabytes)
                print(f"{'with key' if key else 'no key  '}: {megabytes} MB chunked body → "
                      f"{status!r} after {sent / 1e6:.1f} MB sent, {seconds:.1f} s; server peak "
                      f"RSS {_peak_mib(server.pid):.0f} MiB")
        finally:
            server.terminate()
            server.wait(30)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
