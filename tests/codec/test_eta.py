"""The encode's time left: recent compute per frame, compile time and the first block apart."""

import jax
import jax.numpy as jnp
import pytest

from elastictok_cli.codec.eta import FIRST_BLOCK_SHARE, CompileClock, TimeLeft


def test_compile_time_is_counted_while_entered_only():
    with CompileClock() as clock:
        jax.jit(lambda x: jnp.tanh(x) @ x.T)(jnp.ones((7, 5))).block_until_ready()
    counted = clock.seconds
    assert counted > 0
    jax.jit(lambda x: jnp.cos(x) @ x.T)(jnp.ones((9, 3))).block_until_ready()
    assert clock.seconds == counted


def test_unknown_length_has_no_estimate():
    assert TimeLeft(None, 0.0).update(5.0, 4, 0.0) is None


def test_the_first_block_alone_is_discounted_as_measured():
    # 4 frames in 10 s of which 6 s compiling: 1 s per frame of compute, 96 frames left.
    expected = 96.0 * FIRST_BLOCK_SHARE
    assert TimeLeft(100, 0.0).update(10.0, 4, 6.0) == pytest.approx(expected)


def test_later_blocks_set_the_rate_and_compiling_is_set_apart():
    clock = TimeLeft(40, 0.0)
    clock.update(30.0, 4, 10.0)  # a slow first block: compiles, nothing to skip yet
    assert clock.update(38.0, 8, 10.0) == pytest.approx(32 * 2.0)  # block 1 alone: 2 s/frame
    clock.update(42.0, 12, 10.0)  # then 1 s per frame
    left = clock.update(48.0, 16, 12.0)  # 6 s, 2 of them compiling a new shape
    assert left == pytest.approx(24 * 1.0)  # the warm-up blocks are left out


def test_the_window_follows_a_change_of_pace():
    clock = TimeLeft(200, 0.0, recent=3)
    t = 0.0
    for frames in range(4, 41, 4):  # 2 s per frame for ten blocks
        t += 8.0
        clock.update(t, frames, 0.0)
    for frames in range(44, 57, 4):  # then 0.5 s per frame (still tiles skipped)
        t += 2.0
        left = clock.update(t, frames, 0.0)
    assert left == pytest.approx((200 - 56) * 0.5)
