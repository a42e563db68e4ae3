"""The benchmark harness: it must take only legal actions and run every runner it offers.
(Speed itself is measured by `specc bench`, never asserted here.)"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from specc.bench import _harness_words, _random_legal, measure, scan_runner
from specc.errors import SpecError


def test_random_legal_picks_only_legal_actions_and_each_of_them():
    mask = jnp.array([[False, True, False, True, True], [True, False, False, False, False]] * 64)
    seen = np.zeros(5, int)
    for t in range(20):
        words = _harness_words(jnp.array([1, 2], jnp.uint32), t, (mask.shape[0],))
        actions = np.asarray(_random_legal(words, mask))
        assert np.asarray(mask)[np.arange(len(actions)), actions].all()
        np.add.at(seen, actions[::2], 1)
    assert (seen[[1, 3, 4]] > 300).all() and seen[[0, 2]].sum() == 0  # 1280 draws over 3 actions


def test_harness_words_differ_per_step_and_environment():
    seed = jnp.array([7, 9], jnp.uint32)
    a, b = _harness_words(seed, 1, (256,)), _harness_words(seed, 2, (256,))
    assert len(set(np.asarray(a).tolist()) | set(np.asarray(b).tolist())) == 512


def test_measure_runs_ours_the_peer_and_python_and_reports_ratios():
    _, rows = measure("specs/tic_tac_toe.yaml", [4], "pgx:tic_tac_toe", steps=20, repeats=1, python_seconds=0.2)
    (row,) = rows
    assert row["batch"] == 4 and row["peer"] == "pgx:tic_tac_toe"
    assert row["jax_steps_per_s"] > 0 and row["peer_steps_per_s"] > 0 and row["python_steps_per_s"] > 0
    assert row["vs_peer"] == pytest.approx(row["jax_steps_per_s"] / row["peer_steps_per_s"])


def test_a_batch_that_does_not_split_over_the_devices_is_refused():
    from specc.api import make

    env = make("specs/tic_tac_toe.yaml")
    with pytest.raises(SpecError, match="does not split evenly over 2"):
        scan_runner("x", env.init, env.step, 3, 5, devices=2)
    if jax.device_count() < 2:
        with pytest.raises(SpecError, match="only 1 device"):
            scan_runner("x", env.init, env.step, 4, 5, devices=2)


def test_devices_split_the_batch_over_host_devices(tmp_path):
    """--devices 2 makes XLA:CPU show two host devices and shards the batch (a new process:
    the flag must be set before JAX starts its backend)."""
    import subprocess
    import sys

    out = tmp_path / "table.md"
    args = ["bench", "specs/tic_tac_toe.yaml", "--vs", "pgx:tic_tac_toe", "--batch", "4", "--steps", "5",
            "--repeats", "1", "--python-seconds", "0.1", "--devices", "2", "--markdown", str(out)]  # fmt: skip
    done = subprocess.run([sys.executable, "-m", "specc.cli", *args], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "batch split over 2 devices" in done.stdout
    assert out.read_text().splitlines()[2].startswith("| 4 |")
