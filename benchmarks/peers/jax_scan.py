"""The JAX peer: the spec's VAE in JAX, a whole epoch one `jax.jit` of `jax.lax.scan` over its steps.

The images stay resident on the device; each step gathers its batch x[index[i]] (index (steps, B)),
draws eps ~ N(0, I) (B, z_dim) from `fold_in(key, step)` and applies a hand-written Adam (Keras's
defaults: beta 0.9, 0.999, epsilon 1e-7). The parameters and Adam's moments are donated to each call.
"""
import math

import jax
import jax.numpy as jnp
import numpy as np

from benchmarks.peers import FILTERS, HIDDEN, LAYERS, LEARNING_RATE, SIGMA, SLOPE, Z_DIM

BETA1, BETA2, EPSILON = 0.9, 0.999, 1e-7
CONV = ('NHWC', 'HWIO', 'NHWC')


def _glorot(key, shape):
    """Keras's glorot_uniform for a dense (in, out) or convolution (h, w, in, out) kernel."""
    receptive = math.prod(shape[:-2])
    limit = math.sqrt(6.0 / (receptive * (shape[-2] + shape[-1])))
    return jax.random.uniform(key, shape, jnp.float32, -limit, limit)


def _layers(network, image_shape):
    """The kernel shapes, in order: encoder, the two heads (mean, variance), decoder."""
    dense = [(HIDDEN, HIDDEN)] * (LAYERS - 1)
    if network == 'dense':
        pixels = math.prod(image_shape)
        return [(pixels, HIDDEN), *dense, (HIDDEN, Z_DIM), (HIDDEN, Z_DIM), (Z_DIM, HIDDEN), *dense, (HIDDEN, pixels)]
    h, w, c = image_shape
    flat = (h // 4) * (w // 4) * FILTERS[1]
    return [(3, 3, 1, FILTERS[0]), (3, 3, FILTERS[0], FILTERS[1]), (flat, HIDDEN), *dense,
            (HIDDEN, Z_DIM), (HIDDEN, Z_DIM), (Z_DIM, HIDDEN), *dense, (HIDDEN, flat),
            (3, 3, FILTERS[1], FILTERS[1]), (3, 3, FILTERS[1], FILTERS[0]), (3, 3, FILTERS[0], c)]


def init(network, image_shape, seed=0):
    """[(kernel, bias)] of the network ('dense' or 'cnn'), glorot-uniform kernels and zero biases."""
    shapes = _layers(network, image_shape)
    keys = jax.random.split(jax.random.key(seed), len(shapes))
    return [(_glorot(k, s), jnp.zeros(s[-1], jnp.float32)) for k, s in zip(keys, shapes)]


def _act(h):
    return jax.nn.leaky_relu(h, SLOPE)


def _conv(h, layer, stride, transpose=False):
    kernel, bias = layer
    if transpose:
        out = jax.lax.conv_transpose(h, kernel, (stride, stride), 'SAME', dimension_numbers=CONV)
    else:
        out = jax.lax.conv_general_dilated(h, kernel, (stride, stride), 'SAME', dimension_numbers=CONV)
    return out + bias


def _dense_stack(h, layers):
    for kernel, bias in layers:
        h = _act(h @ kernel + bias)
    return h


def _loss(params, network, x, eps):
    """Batch mean of -ELBO: x (B, 28, 28, 1), eps (B, z_dim) -> scalar."""
    b = x.shape[0]
    if network == 'dense':
        h, rest = _dense_stack(x.reshape(b, -1), params[:LAYERS]), params[LAYERS:]
    else:
        h = _act(_conv(_act(_conv(x, params[0], 2)), params[1], 2))
        h, rest = _dense_stack(h.reshape(b, -1), params[2:2 + LAYERS]), params[2 + LAYERS:]
    (wm, bm), (wv, bv), rest = rest[0], rest[1], rest[2:]
    mean = h @ wm + bm
    log_var = jnp.log(jax.nn.softplus(h @ wv + bv) + 1e-6)
    z = mean + jnp.exp(0.5 * log_var) * eps
    h = _dense_stack(z, rest[:LAYERS])
    if network == 'dense':
        w, c = rest[LAYERS]
        logits = (h @ w + c).reshape(x.shape)
    else:
        h = _act(h @ rest[LAYERS][0] + rest[LAYERS][1]).reshape(b, x.shape[1] // 4, x.shape[2] // 4, FILTERS[1])
        h = _act(_conv(h, rest[LAYERS + 1], 2, transpose=True))
        h = _act(_conv(h, rest[LAYERS + 2], 2, transpose=True))
        logits = _conv(h, rest[LAYERS + 3], 1)
    pixels = math.prod(x.shape[1:])
    reconstruction = (0.5 * jnp.sum(jnp.square(x - jax.nn.sigmoid(logits)), axis=(1, 2, 3)) / SIGMA
                      + 0.5 * pixels * math.log(2 * math.pi * SIGMA))
    kl = 0.5 * jnp.sum(jnp.exp(log_var) + jnp.square(mean) - 1.0 - log_var, axis=-1)
    return jnp.mean(reconstruction + kl)


def _adam(params, m, v, grads, t):
    """One Adam update (t: the step number, from 1) of every array of the pytrees."""
    rate = LEARNING_RATE * jnp.sqrt(1 - BETA2 ** t) / (1 - BETA1 ** t)
    m = jax.tree.map(lambda a, g: BETA1 * a + (1 - BETA1) * g, m, grads)
    v = jax.tree.map(lambda a, g: BETA2 * a + (1 - BETA2) * g * g, v, grads)
    params = jax.tree.map(lambda p, a, b: p - rate * a / (jnp.sqrt(b) + EPSILON), params, m, v)
    return params, m, v


class JaxScan:
    """The JAX peer of the production loop for model_type 0 ('dense') or 1 ('cnn')."""

    def __init__(self, network, x, batch_size, seed=0):
        self.batch_size = batch_size
        self.n = len(x)
        self.x = jax.device_put(jnp.asarray(x))
        self.params = init(network, x.shape[1:], seed)
        self.m = jax.tree.map(jnp.zeros_like, self.params)
        self.v = jax.tree.map(jnp.zeros_like, self.params)
        self.t = jnp.zeros((), jnp.int32)
        self.key = jax.random.key(seed)
        self._epoch = jax.jit(self._scan, static_argnums=0, donate_argnums=(1, 2, 3, 4))
        self.network = network

    def _scan(self, network, params, m, v, t, key, x, index):
        def step(carry, rows):
            params, m, v, t = carry
            t = t + 1
            eps = jax.random.normal(jax.random.fold_in(key, t), (rows.shape[0], Z_DIM))
            loss, grads = jax.value_and_grad(_loss)(params, network, x[rows], eps)
            params, m, v = _adam(params, m, v, grads, t)
            return (params, m, v, t), loss
        (params, m, v, t), losses = jax.lax.scan(step, (params, m, v, t), index)
        return params, m, v, t, jnp.mean(losses)

    def train(self, epoch, steps):
        """`steps` Adam steps on the batches of a permutation seeded by epoch: -> mean loss (float)."""
        order = np.random.default_rng([0, epoch]).permutation(self.n)[:steps * self.batch_size]
        index = jnp.asarray(order.reshape(steps, self.batch_size).astype(np.int32))
        self.params, self.m, self.v, self.t, loss = self._epoch(
            self.network, self.params, self.m, self.v, self.t, self.key, self.x, index)
        return float(loss)
