"""What classifying in the abandonable child costs, and how fast a poison is abandoned.

    python -m bench.bench_classify_worker [--repeat 20]

1. Child start: from warm() to the first answer (one message), median over --repeat fresh children.
2. Per chunk and per message: classify_batch of N messages of the bench_inbox mix (kept child)
   vs the same classify() calls in this process, N in 0, 1, 10, 60, 300; medians.
3. A message that spins: CPU budget to Unreadable, and the next message's answer after it.
"""

from __future__ import annotations

import argparse
import os
import statistics
import threading
import time
from datetime import UTC, datetime, timedelta

from bench.bench_inbox import message
from coffeechat.flows.steps import classify_worker
from coffeechat.flows.steps.classify_worker import Job, classify_batch
from coffeechat.models.calendar import Window
from coffeechat.models.classify import classify

NOW = datetime.now(UTC)
JOB = Job(NOW.date(), 10_000_000, "UTC", (NOW - timedelta(days=14), NOW + timedelta(days=365)))


def child_start(repeat: int) -> list[float]:
    """Fresh child each time: warm() then one message, end to end."""
    out = []
    for _ in range(repeat):
        classify_worker.shutdown()
        start = time.perf_counter()
        classify_worker.warm()
        classify_batch([message(0)], JOB)
        out.append(time.perf_counter() - start)
    return out


def per_chunk(n: int, repeat: int) -> tuple[float, float]:
    """Median seconds for n messages: through the kept child, and in this process."""
    raws = [message(i * 50 if i % 2 else i * 100 + 1) for i in range(n)]
    classify_batch(raws or [message(0)], JOB)  # the child is up and warm
    child, inline = [], []
    for _ in range(repeat):
        start = time.perf_counter()
        if raws:
            classify_batch(raws, JOB)
        child.append(time.perf_counter() - start)
        start = time.perf_counter()
        for raw in raws:
            classify(raw, today=JOB.today, max_bytes=JOB.max_bytes)
        inline.append(time.perf_counter() - start)
    return statistics.median(child), statistics.median(inline)


def main() -> None:
    """Print the three measurements."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    print(f"started {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, load average {os.getloadavg()[0]:.2f}")
    starts = child_start(args.repeat)
    print(
        f"1. child start to first answer: median {statistics.median(starts) * 1000:.0f} ms "
        f"({min(starts) * 1000:.0f}-{max(starts) * 1000:.0f})"
    )
    for n in (0, 1, 10, 60, 300):
        child, inline = per_chunk(n, args.repeat)
        each = f", {(child - inline) / n * 1e6:.0f} us/message extra" if n else ""
        print(
            f"2. chunk of {n:3d}: child {child * 1000:6.2f} ms, in process {inline * 1000:6.2f} ms"
            f"{each}"
        )
    os.environ[classify_worker.HOOK_ENV] = "tests.integration.poison.hooks:poison"
    spin = message(0).replace(b"MIME-Version", b"X-Poison: spin\r\nMIME-Version")
    job = classify_worker.job_for(JOB.today, JOB.max_bytes, JOB.zone, Window(*JOB.window))
    start = time.perf_counter()
    outcomes = classify_batch([spin, message(0)], job)
    took = time.perf_counter() - start
    print(
        f"3. spinning message -> {getattr(outcomes[0], 'rule', '?')}, next message answered, "
        f"{took:.2f} s in all (CPU budget {job.cpu_seconds} s); load average "
        f"{os.getloadavg()[0]:.2f}; threads {threading.active_count()}"
    )


if __name__ == "__main__":
    main()
