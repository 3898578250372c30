"""Memory: peak RSS of `newsqa serve` after a few questions over HTTP, and the index on disk.

The server runs as `newsqa serve` does (`python -m qa serve`) on a free loopback port; the
questions go through `gradio_client` to the app's `/ask` endpoint; the peak resident set
(VmHWM in /proc/PID/status, Linux) is read before the server is stopped. The index size is
the live generation folder's, also per chunk.

    python bench/memory.py --index DIR     # an existing index
    python bench/memory.py --quick         # a 20-article index built on the fly (CI)
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from common import save, subset_index, table, work_dir
from load import HOST, check_reply, free_port, realtime_questions

from index import open_index
from index.disk.layout import live_generation


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, default=None)
    parser.add_argument("--questions", type=int, default=5)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if args.index is None and not args.quick:
        parser.error("--index DIR is required (or --quick)")
    with work_dir("memory") as work:
        if args.index is None:
            args.index = subset_index(20, work)
        run(args)


def _bytes(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise SystemExit("no VmHWM in /proc/PID/status (Linux only)")


def wait_until_up(url: str, server: subprocess.Popen, timeout: float = 600) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"newsqa serve exited with code {server.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=5):
                return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"newsqa serve did not answer on {url} in {timeout:.0f} s")


def run(args: argparse.Namespace) -> None:
    from gradio_client import Client

    folder = live_generation(args.index)
    if folder is None:
        raise SystemExit(f"no index at {args.index}")
    parts = {part.name: _bytes(part) for part in sorted(folder.iterdir())}
    disk = sum(parts.values())
    with open_index(args.index) as reader:
        chunks = reader.size
    port = free_port()
    url = f"http://{HOST}:{port}/"
    env = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False", "HF_HUB_OFFLINE": "1"}
    server = subprocess.Popen(
        [sys.executable, "-m", "qa", "serve", "--index", str(args.index), "--port", str(port)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until_up(url, server)
        client = Client(url, verbose=False, download_files=False, analytics_enabled=False)
        asked = realtime_questions(args.questions)
        for question in asked:
            chat, _sources, _box = client.predict(question, 5, "", "", "", api_name="/ask")
            problem = check_reply(chat)
            if problem:
                raise SystemExit(f"{question!r}: {problem}")
        client.close()
        peak = peak_rss_mib(server.pid)
    finally:
        server.terminate()
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
    rows = [
        {"what": "newsqa serve, peak RSS (VmHWM)", "value": peak, "unit": "MiB"},
        {"what": f"index on disk ({folder.name})", "value": disk / 2**20, "unit": "MiB"},
        {"what": f"index bytes per chunk ({chunks} chunks)", "value": disk / max(chunks, 1),
         "unit": "B"},
        *({"what": f"  of which {name}", "value": size / max(chunks, 1), "unit": "B"}
          for name, size in parts.items() if size >= disk / 100),
    ]
    print(table(rows, f"Memory: newsqa serve after {len(asked)} questions over HTTP"))
    save("memory", {"index_chunks": chunks, "questions": len(asked), "peak_rss_mib": peak,
                    "index_bytes": disk, "bytes_per_chunk": disk / max(chunks, 1),
                    "index_bytes_by_part": parts,
                    "rows": rows})


if __name__ == "__main__":
    main()
