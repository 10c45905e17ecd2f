"""``bench._cpu``: /proc parsing and the per-event accounting, on a fake /proc tree."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bench import _cpu


def _stat(pid: int, comm: str, utime: int, stime: int, start: int) -> str:
    # fields 1-2, then 3 (state) .. 22 (starttime) of proc(5); 14/15 utime/stime, 22 starttime
    rest = ["S", "1", *["0"] * 9, str(utime), str(stime), *["0"] * 6, str(start), "0"]
    return f"{pid} ({comm}) {' '.join(rest)}\n"


def _machine(user: int, system: int, idle: int, softirq: int = 0) -> str:
    return f"cpu  {user} 0 {system} {idle} 0 0 {softirq} 0 0 0\ncpu0 {user} 0 0 0 0 0 0 0 0 0\n"


def _write(root: Path, procs: dict[int, str], machine: str) -> None:
    for pid, text in procs.items():
        (root / str(pid)).mkdir(exist_ok=True)
        (root / str(pid) / "stat").write_text(text)
    (root / "stat").write_text(machine)


def test_parse_stat_comm_with_spaces_and_parentheses() -> None:
    st = _cpu.parse_stat(_stat(42, "we (ird) name", 120, 30, 777))
    assert (st.comm, st.ticks, st.started) == ("we (ird) name", 150, 777)


def test_machine_ticks_reads_the_aggregate_line_only() -> None:
    ticks = _cpu.machine_ticks(_machine(100, 50, 1000, softirq=7))
    assert ticks["user"] == 100 and ticks["system"] == 50 and ticks["idle"] == 1000
    assert ticks["softirq"] == 7
    with pytest.raises(ValueError):
        _cpu.machine_ticks("cpu0 1 2 3 4 5 6 7 8\n")


def test_meter_groups_by_pid_then_command_and_counts_only_the_phase(tmp_path: Path) -> None:
    tick_us = 1e6 / _cpu._TICK
    _write(
        tmp_path,
        {
            10: _stat(10, "python3", 100, 0, 5),
            20: _stat(20, "postgres", 40, 10, 6),
            21: _stat(21, "postgres", 0, 0, 6),
            30: _stat(30, "kworker/0:1-events", 7, 0, 1),
        },
        _machine(1000, 100, 5000),
    )
    meter = _cpu.CpuMeter({10: "gateway"}, proc=tmp_path).start()
    _write(
        tmp_path,
        {
            10: _stat(10, "python3", 300, 100, 5),  # +300 ticks
            20: _stat(20, "postgres", 90, 10, 6),  # +50
            21: _stat(21, "postgres", 50, 0, 6),  # +50
            30: _stat(30, "kworker/0:1-mm_percpu_wq", 8, 0, 1),  # renamed, same process: +1
            40: _stat(40, "mosquitto", 25, 0, 99),  # started during the phase: all of it
        },
        _machine(1350, 150, 5100),
    )
    out = meter.stop(events=100)
    per = out["cpu_us_per_event"]
    assert per["gateway"] == pytest.approx(3 * tick_us)
    assert per["postgres"] == pytest.approx(1 * tick_us)
    assert per["mosquitto"] == pytest.approx(0.25 * tick_us)
    assert per["kernel_threads"] == pytest.approx(0.01 * tick_us)  # kworker, by its name
    assert out["machine_busy_us_per_event"] == pytest.approx(4 * tick_us)  # 350 + 50 ticks
    assert out["machine_busy_fraction"] == pytest.approx(400 / 500)
    cores = os.cpu_count() or 1
    assert out["ceiling_events_per_s"] == round(cores * 1e6 / (4 * tick_us))


def test_a_reused_pid_counts_as_a_new_process(tmp_path: Path) -> None:
    _write(tmp_path, {7: _stat(7, "postgres", 500, 0, 10)}, _machine(0, 0, 0))
    meter = _cpu.CpuMeter(proc=tmp_path).start()
    _write(tmp_path, {7: _stat(7, "postgres", 20, 0, 11)}, _machine(20, 0, 80))
    out = meter.stop(events=1)
    assert out["cpu_us_per_event"]["postgres"] == pytest.approx(20 * 1e6 / _cpu._TICK)


def test_stop_before_start_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError):
        _cpu.CpuMeter(proc=tmp_path).stop(events=1)


def test_the_real_proc_sees_this_process() -> None:
    if not Path("/proc/self/stat").exists():
        pytest.skip("no /proc here")
    meter = _cpu.CpuMeter({os.getpid(): "me"}).start()
    x = 0
    for i in range(3_000_000):  # about 0.1 s of CPU: some ticks for this process
        x += i * i
    out = meter.stop(events=1)
    assert x > 0
    assert out["cpu_us_per_event"].get("me", 0) > 0
    assert out["machine_busy_us_per_event"] > 0
