"""Output for people: progress (rich in a terminal, plain periodic lines otherwise, ETAs
that skip a slow first unit), tables that fit 100 columns, `compile` saying "unchanged",
defaults in every option's help, the main job's summary, and the PNG plots."""

from __future__ import annotations

import argparse
import io
import json
import struct
import time
from pathlib import Path

import pytest

from specc.cli import _Formatter, build_parser, main
from specc.progress import Eta, Task, clock_text
from specc.results import Column, print_table, throughput_plot
from specc.summary import bench_line, summary

PNG = b"\x89PNG\r\n\x1a\n"


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk (after checking the signature)."""
    assert data[:8] == PNG and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


# --- progress ---------------------------------------------------------------------------


def test_eta_skips_the_slow_first_unit() -> None:
    """100 units: the first takes 100 s (JIT compiling), the rest 1 s each. After 10 units
    the time left is 90 s; a rate from the start would say 981 s (the 1:30:38 kind of ETA)."""
    now = [0.0]
    eta = Eta(lambda: now[0])
    assert eta.seconds_left(100) is None
    now[0] = 100.0
    eta.observe(1)
    assert eta.seconds_left(100) is None  # nothing measured after the first unit yet
    for done in range(2, 11):
        now[0] += 1.0
        eta.observe(done)
    assert eta.seconds_left(100) == pytest.approx(90.0)
    now[0] += 5.0  # no update for 5 s: the estimate counts down
    assert eta.seconds_left(100) == pytest.approx(85.0)
    now[0] -= 5.0
    naive = (100 - 10) / (10 / now[0])
    assert naive == pytest.approx(981.0)


def test_plain_lines_come_periodically_when_not_a_terminal(capsys) -> None:
    """Not a terminal: a line at the start, one every `every` seconds even with no update
    in between (a slow first unit), and one at the end."""
    with Task("level 3: lock-step rollouts", total=4, unit="steps", every=0.1, terminal=False) as t:
        time.sleep(0.35)  # no update: the ticker still writes
        t.update(2, note="2/4 episodes done")
        time.sleep(0.25)
        t.update(4)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "  .. level 3: lock-step rollouts: started (4 steps)"
    ticks = [ln for ln in lines if "elapsed" in ln]
    assert len(ticks) >= 3
    assert ticks[0].startswith("  .. level 3: lock-step rollouts: 0/4 steps (0%), 0:00 elapsed, ETA ?")
    assert any("2/4 steps (50%)" in ln and "2/4 episodes done" in ln for ln in ticks)
    assert lines[-1].startswith("  .. level 3: lock-step rollouts: done in 0:0")
    assert lines[-1].endswith("(2/4 episodes done)")


def test_a_terminal_gets_a_rich_bar_not_plain_lines() -> None:
    stream = io.StringIO()
    with Task("training", total=3, unit="updates", every=0.05, stream=stream, terminal=True) as t:
        for i in range(3):
            t.update(i + 1, note="score 0.5")
        time.sleep(0.12)
    text = stream.getvalue()
    assert "  .. training" not in text  # no plain lines
    assert "training" in text and "3/3 updates" in text


def test_a_clocked_task_counts_seconds() -> None:
    now = [0.0]
    t = Task("fuzz", total=60, unit="s", clocked=True, clock=lambda: now[0], enabled=False)
    now[0] = 15.0
    assert t.status_text() == "15/60 s (25%), 0:15 elapsed, ETA 0:45"
    assert clock_text(3725) == "1:02:05"


def test_a_time_budget_caps_the_eta() -> None:
    """Training stops at its time budget: 1,000 updates at 1 a second would take 16 minutes,
    but a 60 s budget ends it in 50 s from now."""
    now = [0.0]
    t = Task("training", total=1000, unit="updates", clock=lambda: now[0], enabled=False, limit_s=60)
    for done in range(1, 11):
        now[0] += 1.0
        t.update(done)
    assert t.eta_text() == "0:50"


def test_verify_level_3_prints_plain_progress(capsys) -> None:
    main(["verify", "specs/tic_tac_toe.yaml", "--level", "3", "--episodes", "4", "--report", "/dev/null"])
    out = capsys.readouterr().out
    assert "  .. level 3: lock-step rollouts (specc-python, specc-jax, specc-c), 4 episodes: started" in out
    done = [ln for ln in out.splitlines() if ln.startswith("  .. level 3") and "done in" in ln]
    assert len(done) == 1 and "4 episodes" in done[0]


def test_the_level_3_pilot_estimates_episode_lengths() -> None:
    """Tic-tac-toe games last 5 to 9 moves; the pilot's lengths say so."""
    import jax
    import numpy as np

    from specc import make
    from specc.verify.rollouts import episode_key, pilot_lengths, step_key

    env = make("specs/tic_tac_toe.yaml")
    keys = jax.vmap(lambda e: episode_key(0, e))(np.arange(64))
    state = jax.vmap(env.init)(keys)
    lengths = pilot_lengths(jax.vmap(env.step), jax.vmap(step_key, in_axes=(0, None)), state, keys, 100)
    assert lengths.shape == (64,) and lengths.min() >= 5 and lengths.max() <= 9


# --- tables -----------------------------------------------------------------------------


def test_bench_table_fits_100_columns_and_wide_shows_all(capsys, tmp_path: Path) -> None:
    """A real (tiny) bench against Pgx: the table fits 100 columns with every shown value
    whole; --wide adds the peer's name, mean ± sd and compile columns; the plot is a PNG."""
    from specc.bench import COLUMNS, run_bench, title

    plot, report, md = tmp_path / "b.png", tmp_path / "b.json", tmp_path / "b.md"
    rows = run_bench("specs/tic_tac_toe.yaml", [2, 8], "pgx:tic_tac_toe", steps=10, repeats=1, python_seconds=0.05,
                     markdown=str(md), plot=str(plot), report=str(report))  # fmt: skip
    out = capsys.readouterr().out
    table = [ln for ln in out.splitlines() if ln[:1] in "┏┃┡│└"]
    assert table and max(len(ln) for ln in out.splitlines()) <= 100
    header = table[1]
    for name in ("batch", "jax steps/s", "compile s", "peer steps/s", "python steps/s", "jax/peer", "jax/python"):
        assert name in header
    assert "peer compile s" not in out and "tic_tac_toe vs pgx:tic_tac_toe" in out
    assert f"{rows[1]['vs_python']:.0f}x" in out
    assert md.read_text().splitlines()[0].count("|") == len(COLUMNS) + 1  # Markdown keeps every column
    assert json.loads(report.read_text())["rows"][0]["batch"] == 2
    width, height = png_size(plot.read_bytes())
    assert width > 400 and height > 300 and plot.stat().st_size > 10_000

    print_table(title("tic_tac_toe", rows, 10, 1, 1), COLUMNS, rows, wide=True)
    wide = capsys.readouterr().out
    assert "peer compile s" in wide and "jax mean ± sd" in wide and "pgx:tic_tac_toe │" in wide


def test_c_bench_table_shares_the_table_function(capsys) -> None:
    from specc.bench_native import columns

    rows = [{"batch": 4096, "jax_steps_per_s": 2.9e5, "jax_devices": 2, "jax_compile_s": 15.0,
             "c_1core_steps_per_s": 1.2e6, "c_all_steps_per_s": 2.3e6, "c_threads": 2, "c_build_s": 9.5,
             "c_build_cpu_s": 8.0, "c_vs_jax_per_core": 8.3}]  # fmt: skip
    print_table("tcg: C against JAX", columns(rows), rows)
    narrow = capsys.readouterr().out
    assert max(len(ln) for ln in narrow.splitlines()) <= 100
    assert "2.30M" in narrow and "8.3x" in narrow and "c build s" not in narrow
    print_table("tcg: C against JAX", columns(rows), rows, wide=True)
    assert "9.50 (8.00)" in capsys.readouterr().out


def test_a_column_with_no_value_is_left_out_unless_wide(capsys) -> None:
    from specc.bench import COLUMNS

    row = {"batch": 4096, "jax_steps_per_s": 2.87e5, "jax_compile_s": 17.0, "jax_mean": 2.86e5, "jax_sd": 3.6e3,
           "peer": None, "peer_steps_per_s": None, "peer_compile_s": None, "python_steps_per_s": 2.37e3,
           "vs_peer": None, "vs_python": 121.0}  # fmt: skip
    print_table("tcg", COLUMNS, [row])
    narrow = capsys.readouterr().out
    assert "peer" not in narrow and "287.00K" in narrow and "121x" in narrow
    print_table("tcg", COLUMNS, [row], wide=True)
    assert "peer steps/s" in capsys.readouterr().out


def test_a_narrow_table_never_cuts_a_value(capsys) -> None:
    cols = [Column(f"column number {i}", lambda r, i=i: f"value-{i}-{r['x']}") for i in range(4)]
    print_table("t", cols, [{"x": 1}])
    out = capsys.readouterr().out
    assert all(f"value-{i}-1" in out for i in range(4))


# --- compile, help ----------------------------------------------------------------------


def test_compile_says_unchanged_the_second_time(capsys, tmp_path: Path) -> None:
    out = tmp_path / "ttt"
    assert main(["compile", "specs/tic_tac_toe.yaml", "--out", str(out)]) == 0
    first = capsys.readouterr().out
    assert first.startswith("specs/tic_tac_toe.yaml: wrote ") and f"{out}/env.py" in first
    assert main(["compile", "specs/tic_tac_toe.yaml", "--out", str(out)]) == 0
    assert capsys.readouterr().out == f"specs/tic_tac_toe.yaml: {out} unchanged\n"
    (out / "env.py").write_text("# edited\n")
    assert main(["compile", "specs/tic_tac_toe.yaml", "--out", str(out)]) == 0
    assert capsys.readouterr().out == f"specs/tic_tac_toe.yaml: wrote {out}/env.py\n"


def test_every_option_of_every_command_shows_its_default(capsys) -> None:
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    missing = []
    for name, command in sub.choices.items():
        formatter = _Formatter(name)
        for action in command._actions:
            if action.option_strings and action.dest != "help":
                if "default" not in formatter._get_help_string(action):
                    missing.append(f"{name} {action.option_strings[0]}")
    assert missing == []
    with pytest.raises(SystemExit):
        main(["bench", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "timed runs per configuration (median reported) (default: 5)" in text
    assert "--wide show every column (the table is wider than 100 columns) (default: off)" in text


# --- the main job's summary, the training curve ------------------------------------------


def test_summary_names_steps_speeds_and_files(tmp_path: Path) -> None:
    bench = {"spec": "specs/cartpole.yaml", "env": "cartpole", "devices": 2, "rows": [
        {"batch": 64, "jax_steps_per_s": 1.3e7, "peer": "gymnax:CartPole-v1", "peer_steps_per_s": 6.8e6,
         "vs_peer": 1.92, "python_steps_per_s": 2.5e4, "vs_python": 521},
        {"batch": 1024, "jax_steps_per_s": 2.856e7, "peer": "gymnax:CartPole-v1", "peer_steps_per_s": 2.7e7,
         "vs_peer": 1.05, "python_steps_per_s": 2.47e4, "vs_python": 1156}]}  # fmt: skip
    assert bench_line(bench) == "bench cartpole: 28.56M/s at batch 1024 on 2 dev; vs gymnax:CartPole-v1 1.05x; " \
                                "vs Python 1156x"  # fmt: skip
    (tmp_path / "bench_cartpole.json").write_text(json.dumps(bench))
    verify = {"spec": "specs/tcg.yaml", "ok": True, "levels": [{"level": 1, "passed": 40, "checks": 40},
                                                                {"level": 3, "passed": 9, "checks": 9}]}  # fmt: skip
    (tmp_path / "verify_tcg.json").write_text(json.dumps(verify))
    text = summary([("compile specs/*.yaml", "ok", 4.0), ("verify specs/tcg.yaml", "ok", 190.0)],
                   [tmp_path / "verify_tcg.json", tmp_path / "bench_cartpole.json", tmp_path / "none.json"])
    lines = text.splitlines()
    assert lines[0] == "== summary: 2 steps in 3:14, all passed"
    assert lines[2] == "  [2/2] ok        3:10  verify specs/tcg.yaml"
    assert "verify specs/tcg.yaml: all checks passed (L1 40/40, L3 9/9)" in text
    assert "none.json" not in text and max(map(len, lines)) <= 100
    failed = summary([("compile", "ok", 1.0), ("bench tcg", "failed", 2.0)], [])
    assert failed.splitlines()[0] == "== summary: 2 steps in 0:03, FAILED: bench tcg"


def test_throughput_plot_is_a_png(tmp_path: Path) -> None:
    rows = [{"batch": b, "jax": 1e4 * b, "py": 2e3, "peer": None} for b in (1, 4, 16)]
    path = throughput_plot(rows, {"jax": "jax", "python": "py", "peer": "peer"}, "t", tmp_path / "p" / "x.png")
    assert png_size(path.read_bytes())[0] > 400


def test_train_writes_its_curve_where_asked(capsys, tmp_path: Path) -> None:
    from specc.train import train

    plot = tmp_path / "curves" / "ttt.png"
    tiny = dict(num_envs=8, num_steps=16, hidden=(8,), eval_every=1, eval_episodes=4, final_eval_episodes=4)
    result = train("specs/tic_tac_toe.yaml", seed=0, total_steps=2 * 8 * 16, out_dir=tmp_path / "run", plot=plot,
                   **tiny)  # fmt: skip
    assert result.plot == plot and not (tmp_path / "run" / "curve.png").exists()
    width, height = png_size(plot.read_bytes())
    assert width > 300 and height > 200
    out = capsys.readouterr().out
    assert "  .. tic_tac_toe: training: started (2 updates)" in out
    done = [ln for ln in out.splitlines() if ln.startswith("  .. tic_tac_toe: training: done in")]
    assert len(done) == 1 and "256 env steps" in done[0]


def test_fuzz_prints_plain_progress_against_its_time_budget(capsys, monkeypatch) -> None:
    monkeypatch.setenv("SPECC_PROGRESS_EVERY", "1")
    main(["fuzz", "--time", "3", "--programs", "2", "--seed", "5"])
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "  .. fuzz: started (3 s)"
    assert any(ln.startswith("  .. fuzz: done in ") and "programs" in ln for ln in lines)
    assert lines[-1].startswith("specc fuzz: ")
