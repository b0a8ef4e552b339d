"""Peers of the production training loop for benchmarks/throughput.py --peers: the same VAE written
the ways a user would otherwise write it, each trained on the same resident MNIST images.

- keras_fit.py: the keras.io VAE pattern, a `keras.Model` with its own `train_step`, run by `model.fit`;
- jax_scan.py: the model in JAX, one `jax.jit` of `jax.lax.scan` over an epoch's steps
  (needs `pip install -r benchmarks/requirements-peers.txt`; nothing else in the project imports JAX).

Both train the spec's VAE (model_type 0: dense, hidden 64, two layers, z_dim 8; model_type 1: the
CNN of networks/conv_net.py) with a Gaussian p(x|z) of variance SIGMA and Adam at LEARNING_RATE.
Like the production loop at the spec's flags (--drop_prob 0.3 with the default --dropout_on none)
they apply no dropout. Each peer is built from the images x (N, 28, 28, 1) float32 and a batch
size, and has `train(epoch, steps) -> loss`: `steps` Adam steps on batches of a permutation.
"""
HIDDEN, LAYERS, Z_DIM, SIGMA, LEARNING_RATE = 64, 2, 8, 0.001, 0.01
SLOPE = 0.2     # leaky ReLU below zero: Keras's 'leaky_relu', which networks/ uses
FILTERS = (32, 64)   # networks/conv_net.py's, here so that the JAX peer runs without TensorFlow (a test checks)
