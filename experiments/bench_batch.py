"""Batch-scoring benchmark: 10,000 generated articles through `stance score`, local and Spark engines.

Each engine runs as its own `stance score` process, timed end to end (start-up, model load and writing
included); the resident memory of its whole process tree (for Spark: the driver, the JVM and the Python
workers) is sampled every 0.2 s and the peak is reported. The articles are short synthetic news items
(3-6 sentences from templates, with quotes and named speakers): fine for throughput, meaningless for
accuracy. Results go to experiments/BENCH_BATCH.md.

    make bench-batch            # or: .venv/bin/python experiments/bench_batch.py --docs 10000 [--model URI]

Without --model a tfidf model is trained on the tiny test corpus first (seconds).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SPEAKERS = ["Volodymyr Zelensky", "Sergei Lavrov", "Marco Rubio", "Recep Tayyip Erdogan", "the Kremlin",
            "a Russian diplomat", "the union", "Hamas", "the Israeli prime minister's office", "Qatari mediators",
            "the employers' federation", "Antonio Guterres"]
PLACES = ["Istanbul", "Doha", "Geneva", "Cairo", "Riyadh", "Brussels", "Washington"]
QUOTES = {
    "optimistic": ["We are closer than ever to an agreement", "I believe a deal can be signed within days",
                   "The talks were constructive and we see real progress"],
    "dismissive": ["These talks are a waste of time", "There is nothing to discuss with them",
                   "The proposal is a fantasy and we reject it"],
    "conditional": ["We will sign only if the shelling stops", "A deal is possible if they release the hostages",
                    "We are ready to return to the table once the strike ends"],
    "neutral": ["The delegation arrived this morning", "The next round is scheduled for Thursday",
                "We have received the document and are studying it"],
}


def article(rng: random.Random, i: int) -> dict[str, str]:
    place = rng.choice(PLACES)
    sentences = [f"Negotiators met in {place} on day {i} of the talks."]
    for _ in range(rng.randint(2, 5)):
        speaker, stance = rng.choice(SPEAKERS), rng.choice(list(QUOTES))
        quote = rng.choice(QUOTES[stance])
        sentences.append(rng.choice([f'"{quote}," {speaker} said.', f"{speaker} said: \"{quote}.\"",
                                     f"{speaker} told reporters in {place} that the mediators had met again."]))
    return {"id": f"gen{i:05d}", "text": " ".join(sentences), "date": f"2025-{1 + i % 12:02d}-{1 + i % 28:02d}"}


def generate(path: Path, n: int, seed: int = 0) -> None:
    rng = random.Random(seed)
    with open(path, "w", encoding="utf-8") as fh:
        for i in range(n):
            fh.write(json.dumps(article(rng, i)) + "\n")


def train_tiny_model(folder: Path) -> str:
    from stance.config import config_from_dict
    from stance.tracking import NullTracker
    from stance.train import train

    cfg = config_from_dict({"run_name": "bench-batch", "data": {"corpus": str(ROOT / "tests" / "data" / "corpus")},
                            "model": {"family": "tfidf.v1", "params": {"max_features": 5000}}})
    with open(os.devnull, "w") as devnull:
        train(cfg, NullTracker(), folder, stdout=devnull)
    return str(folder)


def _kib(rollup: str, field: str) -> int:
    found = re.search(rf"^{field}:\s+(\d+)", rollup, re.M)
    return int(found.group(1)) if found else 0


def tree_memory_kib(root: int) -> tuple[int, int]:
    """Memory of ``root`` and all its descendants, from /proc (KiB): the sum of their PSS (shared pages
    counted once, split between the processes sharing them) and the sum of their RSS (shared pages
    counted in every process: an upper bound)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(entry))
    pss, rss, todo = 0, 0, [root]
    while todo:
        pid = todo.pop()
        todo.extend(children.get(pid, []))
        try:
            rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
        except OSError:
            continue
        pss += _kib(rollup, "Pss")
        rss += _kib(rollup, "Rss")
    return pss, rss


def run(cmd: list[str]) -> dict[str, float | str]:
    """Run ``cmd``; its wall time, the peak RSS of its process tree, and its closing summary."""
    start = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    peak_pss = peak_rss = 0
    while proc.poll() is None:
        pss, rss = tree_memory_kib(proc.pid)
        peak_pss, peak_rss = max(peak_pss, pss), max(peak_rss, rss)
        time.sleep(0.2)
    wall = time.monotonic() - start
    stderr = proc.stderr.read() if proc.stderr else ""
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{stderr[-3000:]}")
    found = re.search(r"scored (\d+) documents, (\d+) sentences", stderr)
    if not found:
        sys.exit(f"no summary in the output of {' '.join(cmd)}:\n{stderr[-3000:]}")
    docs, sents = int(found.group(1)), int(found.group(2))
    return {"documents": docs, "sentences": sents, "seconds": wall, "docs_per_s": docs / wall,
            "sents_per_s": sents / wall, "peak_pss_mib": peak_pss / 1024, "peak_rss_mib": peak_rss / 1024}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=10_000)
    parser.add_argument("--model", help="model folder or MLflow URI (default: a tfidf model trained now)")
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--out", type=Path, default=ROOT / "experiments" / "BENCH_BATCH.md")
    args = parser.parse_args()
    stance = str(Path(sys.executable).with_name("stance"))
    with tempfile.TemporaryDirectory(prefix="bench-batch-") as tmp_name:
        tmp = Path(tmp_name)
        model = args.model or train_tiny_model(tmp / "model")
        src = tmp / "articles.jsonl"
        generate(src, args.docs)
        results = {
            "local": run([stance, "score", str(src), "--out", str(tmp / "local.parquet"), "--model", model]),
            "spark": run([stance, "score", "--engine", "spark", "--master", args.master, str(src),
                          "--out", str(tmp / "spark.parquet"), "--model", model]),
        }
    label = args.model or "tfidf.v1 trained on tests/data/corpus"
    lines = ["# Batch scoring benchmark", "",
             f"`make bench-batch`: {args.docs} generated articles (3-6 sentences each, quotes and named speakers), "
             f"model {label}, on {platform.machine()} with {os.cpu_count()} CPU cores (shared with other jobs "
             "while measured, so the figures are a floor). Wall time is the whole `stance score` command: "
             "start-up, model load, scoring and writing Parquet. Peak memory is summed over the command's "
             "process tree (Spark: driver, JVM and Python workers), sampled every 0.2 s: PSS counts each "
             "shared page once; the RSS sum counts shared pages (libraries, the Python workers' common "
             "code) in every process, an upper bound. "
             f"Spark ran on `{args.master}`.",
             "", "| engine | documents | sentences | seconds | documents/s | sentences/s | peak PSS (MiB) | "
             "peak RSS sum (MiB) |", "|---|---|---|---|---|---|---|---|"]
    for engine, r in results.items():
        lines.append(f"| {engine} | {r['documents']} | {r['sentences']} | {r['seconds']:.1f} | "
                     f"{r['docs_per_s']:.1f} | {r['sents_per_s']:.1f} | {r['peak_pss_mib']:.0f} | "
                     f"{r['peak_rss_mib']:.0f} |")
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
