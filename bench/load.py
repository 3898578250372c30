"""Load test: N concurrent clients ask questions of the served app over HTTP for a fixed time.

The script builds an index (or uses --index), serves the Gradio app (`ui.launch`, as
`newsqa serve` does) on a free loopback port in a child process, and runs N client threads,
each with its own `gradio_client.Client`, calling the app's `/ask` endpoint back to back
(the endpoint the chat UI uses; the app answers up to 4 questions at once and queues the
rest). It prints clients,
requests, throughput, latency percentiles and errors, and exits 1 if any request failed
(an HTTP or client error, or an answer the app reported as an error).

    python bench/load.py                               # 16 clients, 60 s, hashing embedder
    python bench/load.py --seconds 10                  # CI
    python bench/load.py --model all-MiniLM-L6-v2 --articles 1000   # the README figures
    python bench/load.py --index DIR                   # an existing index, its own model
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import socket
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from common import DATA, REALTIMEQA, percentile, realtimeqa_subset, table, work_dir

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

HOST = "127.0.0.1"  # loopback only: the load never leaves the machine
MAX_REQUESTS_PER_CLIENT = 1_000_000
QUESTIONS = (
    "When will Lee meet Meloni?",
    "What happened at the Chosei coal mine in 1942?",
    "When will President Lee travel to Nara?",
    "Who wrote the article about the Nara summit?",
    "Which temple will the two leaders visit?",
    "How many Korean laborers died in the flood?",
    "What will Lee and Takaichi discuss?",
    "Which team won the baseball championship?",  # abstains
)


@dataclass
class ClientLog:
    """What one client thread saw."""

    latencies_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class LoadReport:
    clients: int
    seconds: float
    requests: int
    throughput_rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    errors: int
    model: str
    articles: int
    error_samples: tuple[str, ...] = ()

    def row(self) -> dict[str, object]:
        return {
            "clients": self.clients, "requests": self.requests,
            "req/s": f"{self.throughput_rps:.1f}", "p50 ms": f"{self.p50_ms:.0f}",
            "p95 ms": f"{self.p95_ms:.0f}", "p99 ms": f"{self.p99_ms:.0f}",
            "errors": self.errors,
        }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with work_dir("load") as work:
        report = run(args, work)
    title = (f"load: {report.clients} clients x {report.seconds:.0f} s over HTTP, "
             f"{report.model}, {report.articles} articles")
    print(table([report.row()], title))
    for sample in report.error_samples:
        print(f"error: {sample}", file=sys.stderr)
    if args.json:
        args.json.write_text(json.dumps(asdict(report), indent=2), encoding="utf-8")
    return 1 if report.errors or not report.requests else 0


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients (16)")
    parser.add_argument("--seconds", type=float, default=60.0, help="duration (60)")
    parser.add_argument("--model", default="hash",
                        help="embedder for the index built here: 'hash' (default, no model) "
                             "or a sentence-transformers model such as all-MiniLM-L6-v2")
    parser.add_argument("--articles", type=int, default=0,
                        help="also index this many realtimeqa articles (needs ../shared/data)")
    parser.add_argument("--index", type=Path, default=None,
                        help="serve this existing index instead of building one")
    parser.add_argument("--json", type=Path, default=None, help="write the report here")
    args = parser.parse_args(argv)
    if not 1 <= args.clients <= 256:
        parser.error(f"--clients must be between 1 and 256, not {args.clients}")
    if not 0 < args.seconds <= 3600:
        parser.error(f"--seconds must be in (0, 3600], not {args.seconds}")
    return args


def run(args: argparse.Namespace, work: Path) -> LoadReport:
    from index import build_index, load_embedder

    questions = list(QUESTIONS)
    if args.index is None:
        sources = [Path(__file__).resolve().parents[1] / "corpus" / "articles"]
        if args.articles:
            sources.append(realtimeqa_subset(args.articles, work / "articles.jsonl"))
            questions += realtime_questions(200)
        args.index = work / "index"
        build_index(args.index, sources, embedder=load_embedder(args.model))
    port = free_port()
    with served(args.index, port, questions[0]) as (model, articles):
        logs, elapsed = drive(f"http://{HOST}:{port}/", questions, args.clients, args.seconds)
    latencies = [ms for log in logs for ms in log.latencies_ms]
    errors = [e for log in logs for e in log.errors]
    requests = len(latencies) + len(errors)
    return LoadReport(
        clients=args.clients, seconds=elapsed, requests=requests,
        throughput_rps=requests / elapsed,
        p50_ms=percentile(latencies, 0.50), p95_ms=percentile(latencies, 0.95),
        p99_ms=percentile(latencies, 0.99), errors=len(errors),
        model=model, articles=articles, error_samples=tuple(dict.fromkeys(errors))[:5],
    )


@contextmanager
def served(index_dir: Path, port: int, warm_up: str) -> Iterator[tuple[str, int]]:
    """Serve the app for `index_dir` on HOST:port in a child process (so the clients don't
    share its interpreter lock); yields (model name, article count)."""
    context = multiprocessing.get_context("spawn")
    ready, stop = context.Event(), context.Event()
    info = context.Queue()
    server = context.Process(target=serve, args=(str(index_dir), port, warm_up, ready, stop,
                                                 info), daemon=True)
    server.start()
    try:
        deadline = time.monotonic() + 600
        while not ready.wait(0.2):
            if not server.is_alive() or time.monotonic() > deadline:
                raise SystemExit(f"the app did not start (exit code {server.exitcode})")
        yield info.get(timeout=10)
    finally:
        stop.set()
        server.join(60)
        if server.is_alive():
            server.kill()


def serve(index_dir: str, port: int, warm_up: str, ready: Any, stop: Any, info: Any) -> None:
    """The server process: open the index, warm up, serve until `stop` is set."""
    from qa import Assistant
    from ui import launch

    assistant = Assistant.open(index_dir)
    assistant.ask(warm_up)  # load the model and warm the caches before timing
    info.put((assistant.embedder.name, len(assistant.articles())))
    app = launch(assistant, host=HOST, port=port, prevent_thread_lock=True, quiet=True)
    ready.set()
    try:
        stop.wait(24 * 3600)
    finally:
        app.close()
        assistant.close()


def drive(
    url: str, questions: list[str], clients: int, seconds: float
) -> tuple[list[ClientLog], float]:
    """Run `clients` threads asking back to back until `seconds` have passed."""
    from gradio_client import Client

    connected = [Client(url, verbose=False, download_files=False, analytics_enabled=False)
                 for _ in range(clients)]
    logs = [ClientLog() for _ in range(clients)]
    start = threading.Barrier(clients + 1)
    deadline = [0.0]

    def client_loop(n: int) -> None:
        client, log = connected[n], logs[n]
        start.wait()
        for i in range(MAX_REQUESTS_PER_CLIENT):
            if time.monotonic() >= deadline[0]:
                break
            question = questions[(n * 7 + i) % len(questions)]
            began = time.perf_counter()
            try:
                chat, _sources, _box = client.predict(question, 5, "", "", "", api_name="/ask")
                problem = check_reply(chat)
            except Exception as e:  # every failure is counted, the loop goes on
                problem = f"{type(e).__name__}: {e}"
            if problem:
                log.errors.append(problem)
            else:
                log.latencies_ms.append((time.perf_counter() - began) * 1000)

    threads = [threading.Thread(target=client_loop, args=(n,), daemon=True)
               for n in range(clients)]
    for thread in threads:
        thread.start()
    began = time.monotonic()
    deadline[0] = began + seconds
    start.wait()
    for thread in threads:
        thread.join(seconds + 120)
    elapsed = time.monotonic() - began
    for client in connected:
        client.close()
    return logs, elapsed


def check_reply(chat: object) -> str | None:
    """None for a real answer; else what is wrong with the reply."""
    if not isinstance(chat, list) or len(chat) < 2:
        return f"unexpected reply {str(chat)[:120]!r}"
    last = chat[-1]
    content = last.get("content") if isinstance(last, dict) else None
    if isinstance(content, list):  # Gradio 6 normalises messages to a list of parts
        content = " ".join(str(part.get("text", "")) for part in content)
    if not content or last.get("role") != "assistant":
        return f"no answer in {str(last)[:120]!r}"
    if "nq-error" in str(content):
        return f"the app reported an error: {str(content)[:200]}"
    return None


def realtime_questions(limit: int) -> list[str]:
    path = REALTIMEQA / "questions.dev.jsonl"
    if not path.exists():
        raise SystemExit(f"missing {path}: --articles reads {DATA} (see README)")
    lines = path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["text"] for line in lines[:limit]]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


if __name__ == "__main__":
    sys.exit(main())
