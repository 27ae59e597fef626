"""Growing a model keeps its outputs, and training can use the new parts at once."""

import jax.numpy as jnp
import numpy as np
import optax
import pytest
from flax import nnx
from support.streaming import stream_through

from elastictok_cli.model.growth import add_mlp_stems, grow_depth, parse_layers, widen_decoder


def test_grown_model_computes_the_same_reconstructions(model, config, patches, keep):
    grown = grow_depth(model, config.encoder_layers + 2, config.decoder_layers + 1, seed=1)
    assert len(grown.encoder.layers) == config.encoder_layers + 2
    assert len(grown.decoder.layers) == config.decoder_layers + 1
    assert grown.config.encoder_layers == config.encoder_layers + 2
    before, after = model(patches, keep), grown(patches, keep)
    np.testing.assert_array_equal(np.asarray(after["recon"]), np.asarray(before["recon"]))
    np.testing.assert_array_equal(np.asarray(after["codes"]), np.asarray(before["codes"]))


def test_the_original_model_is_left_untouched(model, config, patches, keep):
    before = np.asarray(model(patches, keep)["recon"])
    grown = grow_depth(model, config.encoder_layers + 1, config.decoder_layers + 1, seed=1)
    # Changing the copy must not reach the original's arrays.
    grown.decoder.layers[0].mlp.down.kernel[...] = 0.0
    np.testing.assert_array_equal(np.asarray(model(patches, keep)["recon"]), before)


def test_new_layers_learn_from_the_first_step(model, config, patches, keep):
    grown = grow_depth(model, config.encoder_layers, config.decoder_layers + 1, seed=1)
    new = config.decoder_layers

    def loss(m):
        recon = m(patches, keep)["recon"]
        return jnp.mean((recon - patches) ** 2)

    grads = nnx.grad(loss)(grown)
    out_grad = grads.decoder.layers[new].attn.out.kernel[...]
    down_grad = grads.decoder.layers[new].mlp.down.kernel[...]
    assert float(jnp.abs(out_grad).max()) > 0 and float(jnp.abs(down_grad).max()) > 0
    # A step on the new layer's parameters alone already changes the output.
    layer = grown.decoder.layers[new]
    optimizer = nnx.Optimizer(layer, optax.sgd(1.0), wrt=nnx.Param)
    optimizer.update(layer, grads.decoder.layers[new])
    assert not np.array_equal(
        np.asarray(grown(patches, keep)["recon"]), np.asarray(model(patches, keep)["recon"])
    )


def test_shrinking_is_refused(model, config):
    with pytest.raises(ValueError, match="cannot shrink"):
        grow_depth(model, config.encoder_layers - 1, config.decoder_layers)


@pytest.mark.parametrize("text", ["6", "6,6,6", "a,b", "0,4", "-1,4", ""])
def test_layer_counts_must_be_two_positive_integers(text):
    with pytest.raises(ValueError, match="ENCODER,DECODER"):
        parse_layers(text)


def test_layer_counts_parse():
    assert parse_layers("6,8") == (6, 8)
    assert parse_layers(" 2, 3") == (2, 3)


def test_mlp_stems_keep_the_reconstructions_and_learn_from_the_first_step(model, patches, keep):
    grown = add_mlp_stems(model, seed=1)
    assert (grown.config.patch_embed, grown.config.head) == ("linear+mlp", "linear+mlp")
    before, after = model(patches, keep), grown(patches, keep)
    np.testing.assert_array_equal(np.asarray(after["recon"]), np.asarray(before["recon"]))
    np.testing.assert_array_equal(np.asarray(after["codes"]), np.asarray(before["codes"]))

    def loss(m):
        return jnp.mean((m(patches, keep)["recon"] - patches) ** 2)

    grads = nnx.grad(loss)(grown)
    for branch in (grads.embed, grads.head):
        assert float(jnp.abs(branch.out.kernel[...]).max()) > 0
    # A step on the head's branch alone already changes the output.
    optimizer = nnx.Optimizer(grown.head, optax.sgd(1.0), wrt=nnx.Param)
    optimizer.update(grown.head, grads.head)
    assert not np.array_equal(
        np.asarray(grown(patches, keep)["recon"]), np.asarray(model(patches, keep)["recon"])
    )


def test_mlp_stems_need_linear_stems(model):
    with pytest.raises(ValueError, match="needs a linear patch embedding"):
        add_mlp_stems(add_mlp_stems(model))


@pytest.fixture(scope="module")
def settled(model):
    """The tiny model with its dropped-token vector at a trained model's size.

    At initialisation that vector is tiny (mean square 4e-4), so the RMS norms' epsilon
    (1e-6), which widening does not rescale, shows; the shipped model's is 0.017.
    """
    settled = nnx.clone(model)
    settled.dropped_embedding[...] = 10 * settled.dropped_embedding[...]
    return settled


def test_widened_decoder_keeps_the_reconstructions(settled, config, patches, keep):
    model = settled
    wide = widen_decoder(model, 2 * config.width, seed=1)
    assert (wide.config.dec_width, wide.config.dec_heads) == (2 * config.width, 2 * config.heads)
    assert wide.config.width == config.width
    before, after = model(patches, keep), wide(patches, keep)
    np.testing.assert_array_equal(np.asarray(after["codes"]), np.asarray(before["codes"]))
    # Equal up to rounding and the norms' epsilon: well under one 8-bit level (2 / 255).
    np.testing.assert_allclose(np.asarray(after["recon"]), np.asarray(before["recon"]), atol=1e-3)
    # The block-by-block codec path, whose decoder cache has the new head count, agrees.
    _, streamed = stream_through(wide, wide.config, patches, keep)
    np.testing.assert_allclose(np.asarray(streamed), np.asarray(before["recon"]), atol=1e-3)


def test_widened_decoder_learns_its_new_channels_from_the_first_step(model, config, patches, keep):
    narrow = config.width
    hidden = int(config.mlp_ratio * narrow)
    wide = widen_decoder(model, 2 * narrow, seed=1)

    def loss(m):
        return jnp.mean((m(patches, keep)["recon"] - patches) ** 2)

    grads = nnx.grad(loss)(wide).decoder.layers[0]
    # Writes into the new channels, and from the new heads and units into the old ones.
    for written in (
        grads.attn.out.kernel[...][:, narrow:],
        grads.attn.out.kernel[...][narrow:, :narrow],
        grads.mlp.down.kernel[...][:, narrow:],
        grads.mlp.down.kernel[...][hidden:, :narrow],
    ):
        assert float(jnp.abs(written).max()) > 0


def test_widening_is_refused_when_it_cannot_keep_the_outputs(model, config):
    with pytest.raises(ValueError, match="cannot widen"):
        widen_decoder(model, config.width)
    with pytest.raises(ValueError, match="multiple of the head size"):
        widen_decoder(model, config.width + 3)
    with pytest.raises(ValueError, match="needs a linear head"):
        widen_decoder(add_mlp_stems(model), 2 * config.width)
