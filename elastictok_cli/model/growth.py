"""Grow a trained model without changing what it computes: new parts start as identities.

A pre-norm residual layer whose attention and MLP output projections are zero adds nothing
to its input, so appending such layers before a stack's final norm keeps every output of
the model bit-for-bit, while giving training more depth to use. Likewise an MLP branch
beside a linear patch embedding or output head adds nothing while its output projection
is zero. The zero projections receive gradients at the first step (their inputs are not
zero); the rest of a new part does from the second, once those projections pass
something on.

Widening the decoder works the same way on channels: the new residual channels start at
zero because everything that writes into them does, new attention heads and MLP units
write nothing into the old channels, and the RMS norms are rescaled so the zero channels
do not change the old channels' root mean square.
"""

from __future__ import annotations

import dataclasses
import math

import jax.numpy as jnp
from flax import nnx

from elastictok_cli.model.elastictok import ElasticTok


def grow_depth(
    model: ElasticTok, encoder_layers: int, decoder_layers: int, seed: int = 0
) -> ElasticTok:
    """A copy of `model` with its encoder and decoder stacks deepened to the given counts."""
    old = model.config
    if encoder_layers < old.encoder_layers or decoder_layers < old.decoder_layers:
        raise ValueError(
            f"cannot shrink {old.encoder_layers},{old.decoder_layers} layers "
            f"to {encoder_layers},{decoder_layers}"
        )
    config = dataclasses.replace(old, encoder_layers=encoder_layers, decoder_layers=decoder_layers)

    def is_new_output(parts: tuple) -> bool:
        return _is_output_projection(parts, "encoder", old.encoder_layers) or (
            _is_output_projection(parts, "decoder", old.decoder_layers)
        )

    return _grow(model, config, seed, _keep_or_zero(is_new_output))


def add_mlp_stems(model: ElasticTok, seed: int = 0) -> ElasticTok:
    """A copy of `model` whose linear patch embedding and head each gain an MLP branch."""
    old = model.config
    if (old.patch_embed, old.head) != ("linear", "linear"):
        raise ValueError(
            f"adding MLP branches needs a linear patch embedding and head, "
            f"not {old.patch_embed!r} and {old.head!r}"
        )
    config = dataclasses.replace(old, patch_embed="linear+mlp", head="linear+mlp")

    branch_outputs = (("embed", "out", "kernel"), ("head", "out", "kernel"))

    def is_branch_output(parts: tuple) -> bool:
        return parts in branch_outputs

    return _grow(model, config, seed, _keep_or_zero(is_branch_output))


def widen_decoder(model: ElasticTok, width: int, seed: int = 0) -> ElasticTok:
    """A copy of `model` whose decoder is `width` wide, with heads of the same size added."""
    old = model.config
    if old.head != "linear":
        raise ValueError(f"widening the decoder needs a linear head, not {old.head!r}")
    if width <= old.dec_width:
        raise ValueError(f"cannot widen the {old.dec_width}-wide decoder to {width}")
    head_dim = old.dec_width // old.dec_heads
    if width % head_dim:
        raise ValueError(f"the decoder width must be a multiple of the head size {head_dim}")
    config = dataclasses.replace(old, decoder_width=width, decoder_heads=width // head_dim)
    narrow, wide = old.dec_width, width
    hidden, wide_hidden = (int(old.mlp_ratio * w) for w in (narrow, wide))

    def fill(parts: tuple, fresh, trained):
        if fresh.shape == trained.shape:
            return trained
        if parts[-1] == "scale":
            # Zero channels lower the mean square by narrow/wide; smaller scales undo that.
            ratio = math.sqrt(narrow / wide)
            return _corner(jnp.full_like(fresh, ratio), trained * ratio)
        if parts[-2:] == ("qkv", "kernel"):
            # Query, key and value sections each gain the new heads at their end.
            for i in range(3):
                section = trained[:, i * narrow : (i + 1) * narrow]
                fresh = fresh.at[:narrow, i * wide : i * wide + narrow].set(section)
            return fresh
        if parts[-2:] == ("gate_up", "kernel"):
            fresh = fresh.at[:narrow, :hidden].set(trained[:, :hidden])
            return fresh.at[:narrow, wide_hidden : wide_hidden + hidden].set(trained[:, hidden:])
        if parts[0] == "head":
            # Reads the new channels, which are zero until training fills them.
            return _corner(fresh, trained)
        # Everything else writes into the residual stream: nothing into new channels,
        # and new heads and MLP units write nothing into the old ones.
        return _corner(jnp.zeros_like(fresh), trained)

    return _grow(model, config, seed, fill)


def _corner(array, block):
    """`array` with `block` written into its leading corner."""
    return array.at[tuple(slice(0, n) for n in block.shape)].set(block)


def _grow(model: ElasticTok, config, seed: int, fill) -> ElasticTok:
    """A model of `config` whose every variable is `fill(path parts, fresh value, trained)`.

    `trained` is `model`'s value at the same path, or None where the grown model is new.
    """
    grown = ElasticTok(config, rngs=nnx.Rngs(seed))
    trained = dict(nnx.to_flat_state(nnx.state(model)))
    # The state's leaves are the grown model's own variables: setting them sets the model.
    for path, leaf in nnx.to_flat_state(nnx.state(grown)):
        old = trained.get(path)
        old_value = None if old is None else old.get_value()
        leaf.set_value(fill(tuple(str(p) for p in path), leaf.get_value(), old_value))
    return grown


def _keep_or_zero(is_zeroed):
    """A fill that keeps trained values, zeroes the new variables `is_zeroed` names."""

    def fill(parts: tuple, fresh, trained):
        if trained is not None:
            return trained
        return jnp.zeros_like(fresh) if is_zeroed(parts) else fresh

    return fill


def _is_output_projection(parts: tuple, stack: str, first_new: int) -> bool:
    """Whether path `parts` is the attention or MLP output kernel of a new layer of `stack`."""
    return (
        len(parts) >= 4
        and parts[0] == stack
        and parts[1] == "layers"
        and int(parts[2]) >= first_new
        and parts[3:5] in (("attn", "out"), ("mlp", "down"))
    )


def parse_layers(text: str) -> tuple[int, int]:
    """'6,6' -> (6, 6): encoder and decoder layer counts."""
    parts = text.split(",")
    counts = [p.strip() for p in parts]
    if len(parts) != 2 or not all(c.isascii() and c.isdigit() and int(c) > 0 for c in counts):
        raise ValueError(f"expected ENCODER,DECODER layer counts such as 6,6, got {text!r}")
    return int(counts[0]), int(counts[1])
