"""Deepen a trained model without changing what it computes: new layers start as identities.

A pre-norm residual layer whose attention and MLP output projections are zero adds nothing
to its input, so appending such layers before a stack's final norm keeps every output of
the model bit-for-bit, while giving training more depth to use. The zero projections
still receive gradients (their inputs are not zero), so the new layers wake up at once.
"""

from __future__ import annotations

import dataclasses

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
    grown = ElasticTok(config, rngs=nnx.Rngs(seed))
    new_state = dict(nnx.to_flat_state(nnx.state(grown)))
    for path, leaf in nnx.to_flat_state(nnx.state(model)):
        new_state[path].set_value(leaf.get_value())
    for stack, first_new in (("encoder", old.encoder_layers), ("decoder", old.decoder_layers)):
        for path, leaf in new_state.items():
            if _is_output_projection(path, stack, first_new):
                leaf.set_value(jnp.zeros_like(leaf.get_value()))
    graphdef, _ = nnx.split(grown)
    return nnx.merge(graphdef, nnx.from_flat_state(new_state))


def _is_output_projection(path: tuple, stack: str, first_new: int) -> bool:
    """Whether `path` is the attention or MLP output kernel of a new layer of `stack`."""
    parts = tuple(str(p) for p in path)
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
    if len(parts) != 2 or not all(p.strip().isdigit() and int(p) > 0 for p in parts):
        raise ValueError(f"expected ENCODER,DECODER layer counts such as 6,6, got {text!r}")
    return int(parts[0]), int(parts[1])
