"""The ElasticTok model: an encoder and a decoder over block-causal, tail-dropped tokens."""

from __future__ import annotations

import jax
import jax.numpy as jnp
from flax import nnx

from elastictok_cli.model import bottleneck
from elastictok_cli.model.config import ModelConfig
from elastictok_cli.model.stems import make_embed, make_head
from elastictok_cli.model.transformer import Transformer, block_causal_mask


def kept_mask(keep_counts: jnp.ndarray, tokens_per_block: int) -> jnp.ndarray:
    """(..., T) booleans: exactly the first k positions of each block are kept."""
    return jnp.arange(tokens_per_block) < keep_counts[..., None]


class ElasticTok(nnx.Module):
    """Encoder, bottleneck and decoder; every pass takes its mask, positions and cache prefix."""

    def __init__(self, config: ModelConfig, *, rngs: nnx.Rngs):
        self.config = config
        c = config
        init = nnx.initializers.normal(0.02)
        self.embed = make_embed(c.patch_embed, c.patch_dim, c.width, rngs)
        # Tell the encoder how many slots it may fill, so it can route information into them.
        self.kept_embedding = nnx.Param(init(rngs.params(), (c.width,)))
        self.masked_embedding = nnx.Param(init(rngs.params(), (c.width,)))
        self.encoder = Transformer(
            c.width, c.encoder_layers, c.heads, c.mlp_ratio, c.rope_base, rngs=rngs
        )
        moments = c.latent_dim if c.bottleneck == "fsq" else 2 * c.latent_dim
        self.to_latent = nnx.Linear(c.width, moments, rngs=rngs)
        self.from_latent = nnx.Linear(c.latent_dim, c.dec_width, rngs=rngs)
        # Dropped tail positions enter the decoder as one learned vector instead of a zero
        # latent: zero is itself a valid FSQ code, the learned vector is unambiguous.
        self.dropped_embedding = nnx.Param(init(rngs.params(), (c.dec_width,)))
        self.decoder = Transformer(
            c.dec_width, c.decoder_layers, c.dec_heads, c.mlp_ratio, c.rope_base, rngs=rngs
        )
        self.head = make_head(c.head, c.dec_width, c.patch_dim, rngs)

    def encoder_pass(self, patches, kept, mask, positions, prefix=None):
        """Patches (B, n, P) and kept flags (B, n) -> pre-bottleneck latents and new kv."""
        x = self.embed(patches)
        x = x + jnp.where(kept[..., None], self.kept_embedding[...], self.masked_embedding[...])
        features, new_kv = self.encoder(x, mask, positions, prefix)
        return self.to_latent(features), new_kv

    def quantize(self, latents, key=None):
        """Bottleneck: FSQ codes (straight-through) or VAE samples, and the KL term."""
        c = self.config
        if c.bottleneck == "fsq":
            return bottleneck.fsq_quantize(latents, c.fsq_levels), jnp.zeros(latents.shape[:-1])
        return bottleneck.vae_sample(latents, key), bottleneck.vae_kl(latents)

    def decoder_pass(self, codes, kept, mask, positions, prefix=None):
        """Codes (B, n, d) and kept flags (B, n) -> pixel patches in [-1, 1] and new kv."""
        x = jnp.where(kept[..., None], self.from_latent(codes), self.dropped_embedding[...])
        features, new_kv = self.decoder(x, mask, positions, prefix)
        return self.head(features), new_kv

    def __call__(self, patches, keep_counts, key=None):
        """Full pass over (B, blocks, T, P) patches with (B, blocks) kept counts.

        Returns a dict with `recon` (B, blocks, T, P), `codes`, and `kl` (B, blocks, T).
        """
        batch, blocks, tokens, patch_dim = patches.shape
        kept = kept_mask(keep_counts, tokens).reshape(batch, blocks * tokens)
        mask = block_causal_mask(blocks, tokens, self.config.context_blocks)
        positions = jnp.arange(blocks * tokens)
        latents, _ = self.encoder_pass(
            patches.reshape(batch, blocks * tokens, patch_dim), kept, mask, positions
        )
        codes, kl = self.quantize(latents, key)
        recon, _ = self.decoder_pass(codes, kept, mask, positions)
        return {
            "recon": recon.reshape(batch, blocks, tokens, patch_dim),
            "codes": codes.reshape(batch, blocks, tokens, -1),
            "kl": kl.reshape(batch, blocks, tokens),
        }


def count_params(model: nnx.Module) -> int:
    """Number of trainable parameters."""
    return sum(x.size for x in jax.tree.leaves(nnx.state(model, nnx.Param)))
