"""Counters and a latency histogram in the Prometheus text exposition format (no dependency).

One process-wide :data:`REGISTRY`; the gateway updates it, ``/metrics`` (API) and
``tracectl gateway --metrics-port`` (a tiny HTTP server) render it.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class Counter:
    def __init__(self, name: str, help_text: str, label: str | None = None) -> None:
        self.name, self.help, self.label = name, help_text, label
        self._values: dict[str, float] = {}
        self._lock = threading.Lock()

    def inc(self, amount: float = 1.0, *, label: str = "") -> None:
        with self._lock:
            self._values[label] = self._values.get(label, 0.0) + amount

    def value(self, label: str = "") -> float:
        return self._values.get(label, 0.0)

    def render(self) -> list[str]:
        lines = [f"# HELP {self.name} {self.help}", f"# TYPE {self.name} counter"]
        values = dict(self._values) or ({} if self.label else {"": 0.0})
        for key, val in sorted(values.items()):
            sel = f'{{{self.label}="{_esc(key)}"}}' if self.label else ""
            lines.append(f"{self.name}{sel} {_num(val)}")
        return lines


class Histogram:
    def __init__(
        self, name: str, help_text: str, buckets: Sequence[float] = LATENCY_BUCKETS
    ) -> None:
        self.name, self.help = name, help_text
        self.buckets = tuple(buckets)
        self._counts = [0] * len(self.buckets)
        self._sum = 0.0
        self._count = 0
        self._lock = threading.Lock()

    def observe(self, value: float) -> None:
        with self._lock:
            self._sum += value
            self._count += 1
            for i, bound in enumerate(self.buckets):
                if value <= bound:
                    self._counts[i] += 1
                    break

    @property
    def count(self) -> int:
        return self._count

    def render(self) -> list[str]:
        lines = [f"# HELP {self.name} {self.help}", f"# TYPE {self.name} histogram"]
        running = 0
        for bound, n in zip(self.buckets, self._counts, strict=True):
            running += n
            lines.append(f'{self.name}_bucket{{le="{_num(bound)}"}} {running}')
        lines.append(f'{self.name}_bucket{{le="+Inf"}} {self._count}')
        lines.append(f"{self.name}_sum {_num(self._sum)}")
        lines.append(f"{self.name}_count {self._count}")
        return lines


class GatewayMetrics:
    def __init__(self) -> None:
        self.received = Counter("suyuan_gateway_messages_received_total", "MQTT messages received")
        self.stored = Counter("suyuan_gateway_events_stored_total", "events appended")
        self.envelopes = Counter("suyuan_gateway_envelopes_stored_total", "envelopes stored")
        self.duplicates = Counter(
            "suyuan_gateway_duplicates_total", "duplicate envelopes acked without storing"
        )
        self.dead_letters = Counter(
            "suyuan_gateway_dead_letters_total", "messages dead-lettered, by reason", label="reason"
        )
        self.verdicts = Counter(
            "suyuan_gateway_verdicts_total", "verdicts published, by verdict", label="verdict"
        )
        self.db_retries = Counter(
            "suyuan_gateway_batch_retries_total", "batch commits retried after a store failure"
        )
        self.batch_latency = Histogram(
            "suyuan_gateway_batch_seconds", "batch append + commit latency"
        )

    def render(self) -> str:
        parts: list[str] = []
        for metric in (
            self.received,
            self.stored,
            self.envelopes,
            self.duplicates,
            self.dead_letters,
            self.verdicts,
            self.db_retries,
            self.batch_latency,
        ):
            parts.extend(metric.render())
        return "\n".join(parts) + "\n"


REGISTRY = GatewayMetrics()


def serve(
    port: int, *, host: str = "127.0.0.1", metrics: GatewayMetrics = REGISTRY
) -> ThreadingHTTPServer:
    """Serve ``GET /metrics`` on a daemon thread; returns the server (``shutdown()`` it)."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path.split("?")[0] != "/metrics":
                self.send_error(404)
                return
            body = metrics.render().encode()
            self.send_response(200)
            self.send_header("Content-Type", CONTENT_TYPE)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args: object) -> None:
            return

    server = ThreadingHTTPServer((host, port), Handler)
    threading.Thread(target=server.serve_forever, name="metrics-http", daemon=True).start()
    return server


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(value)


def _esc(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
