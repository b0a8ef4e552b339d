"""The Gaussian Mixture VAE (Dilokthanakul et al. 2016, arXiv 1611.02648) with dense networks (model_type 2).

    p(w) = N(0, I_w_dim),  p(y) = Uniform{1..K},
    p(z|w, y=j) = N(mu_j(w), diag sigma_j^2(w))   (one network of w gives all K components),
    p(x|z) Gaussian with variance sigma (or Bernoulli),
    q(z|x) = N(mu_z(x), diag sigma_z^2(x)),  q(w|x) = N(mu_w(x), diag sigma_w^2(x)),
    q(y|w, z) = p(y|w, z) = pi_j N(z | mu_j(w), sigma_j^2(w)) / sum_i pi_i N(z | mu_i(w), sigma_i^2(w))

    -ELBO(x) = reconstruction + kl_z + kl_w + kl_y
    reconstruction = -E_q(z|x)[log p(x|z)]                                 Monte Carlo over z
    kl_z = E_q(w|x)q(z|x)[sum_j p(y=j|w,z) KL(q(z|x) || p(z|w,y=j))]    KL analytic for the sampled w;
                                                                          MC over w and z
    kl_w = KL(q(w|x) || p(w))                                             analytic
    kl_y = E_q(w|x)q(z|x)[KL(p(y|w,z) || p(y))]                           exact for the sampled w, z; MC over them

Each Monte Carlo average takes M = --mc_samples joint draws of (w, z) per image (the paper's M; default 1).

The log importance weight of one joint sample h = (w, z) ~ q(w|x) q(z|x), with y marginalised exactly:

    log p(x|z) + log p(z|w) + log N(w|0,I) - log q(z|x) - log q(w|x),
    log p(z|w) = logsumexp_j log N(z | mu_j(w), sigma_j^2(w)) - log K

Its expectation is the ELBO with q(y|w,z) = p(y|w,z); kl_z below is the paper's estimator,
which is not unbiased for that term, so the reported loss can differ from the mean weight a little.

kl_z is the paper's estimator of the conditional prior term: the weights p(y=j|w,z) are taken at the
sampled z while the log-ratio log q(z|x) - log p(z|w,y=j) is integrated over z analytically.

The minimised objective replaces kl_y by max(kl_y, y_prior_threshold) on the batch mean (the paper's
free-bits bound against all points collapsing into one cluster); the reported loss stays -ELBO.
"""
import math

import keras
import tensorflow as tf

import networks
from base.base_graph import BaseGraph
from base.distributions import kl_normal, kl_standard_normal, log_normal, log_standard_normal, reparameterize
from networks import GaussianHead
from networks.gaussian_head import MIN_VARIANCE


class GMVAEGraph(BaseGraph):
    """GMVAE with a dense encoder body and decoder."""

    network = 'dense'
    term_names = ('reconstruction', 'kl_z', 'kl_w', 'kl_y')
    hyperparameters = BaseGraph.hyperparameters + ('w_dim', 'K_clusters', 'y_prior_threshold')

    def __init__(self, image_shape, *, w_dim, K_clusters, y_prior_threshold=0.0, **kwargs):
        super().__init__(image_shape, **kwargs)
        self.w_dim = w_dim
        self.K_clusters = K_clusters
        self.y_prior_threshold = float(y_prior_threshold)
        self.q_z = GaussianHead(self.z_dim, name='q_z')
        self.q_w = GaussianHead(w_dim, name='q_w')
        # p(z|w, y): one hidden layer of w, then the K means and K variances at once.
        self.prior_body = networks.dense_net(kwargs['hidden_dim'], 1, 0.0, name='p_z_body')
        self.prior_mean = keras.layers.Dense(K_clusters * self.z_dim, name='p_z_mean')
        self.prior_raw_variance = keras.layers.Dense(K_clusters * self.z_dim, name='p_z_variance')

    def place_components(self, means, variances):
        """Make p(z|w, y=j) = N(means[j], diag variances[j]) whatever w: means, variances (K, z_dim) arrays.

        The last layers of p(z|w,y) keep only their biases (kernels zero), so training starts from
        these components and learns again how they move with w.
        """
        excess = tf.maximum(tf.constant(variances, tf.float32) - MIN_VARIANCE, MIN_VARIANCE)
        raw = excess + tf.math.log(-tf.math.expm1(-excess))   # the inverse of softplus, finite above 88 too
        for layer, bias in ((self.prior_mean, tf.constant(means, tf.float32)), (self.prior_raw_variance, raw)):
            layer.kernel.assign(tf.zeros_like(layer.kernel))
            layer.bias.assign(tf.reshape(bias, (-1,)))

    def encode(self, x, training=False):
        """q(z|x) and q(w|x): (B, H, W, C) -> z_mean, z_log_var (B, z_dim), w_mean, w_log_var (B, w_dim)."""
        h = self.features(x, training=training)
        z_mean, z_log_var = self.q_z(h)
        w_mean, w_log_var = self.q_w(h)
        return z_mean, z_log_var, w_mean, w_log_var

    def prior_z(self, w, training=False):
        """p(z|w, y=j) for every j: (B, w_dim) -> means, log_vars, each (B, K, z_dim)."""
        h = self.prior_body(w, training=training)
        shape = (-1, self.K_clusters, self.z_dim)
        means = tf.reshape(self.prior_mean(h), shape)
        variances = tf.nn.softplus(tf.reshape(self.prior_raw_variance(h), shape)) + MIN_VARIANCE
        return means, tf.math.log(variances)

    @staticmethod
    def _log_components(z, means, log_vars):
        """log N(z | mu_j(w), sigma_j^2(w)) for every component j: z (..., B, z_dim), means and log_vars
        (..., B, K, z_dim) -> (..., B, K). With pi uniform these are the logits of p(y|w,z), up to one constant."""
        return log_normal(z[..., None, :], means, log_vars)

    @classmethod
    def _log_posterior_y(cls, z, means, log_vars):
        """log p(y|w,z) from z (..., B, z_dim) and the prior components (..., B, K, z_dim): -> (..., B, K).

        With pi uniform, log pi_j is the same for every j and cancels in the normalisation.
        """
        return tf.nn.log_softmax(cls._log_components(z, means, log_vars), axis=-1)

    def log_posterior_y(self, z, w, training=False):
        """log p(y=j|w,z), normalised over j: z (B, z_dim), w (B, w_dim) -> (B, K)."""
        means, log_vars = self.prior_z(w, training=training)
        return self._log_posterior_y(z, means, log_vars)

    def log_prior_z(self, z, w, training=False):
        """log p(z|w) = logsumexp_j log N(z | mu_j(w), sigma_j^2(w)) - log K: z (B, z_dim), w (B, w_dim) -> (B,)."""
        means, log_vars = self.prior_z(w, training=training)
        return tf.reduce_logsumexp(self._log_components(z, means, log_vars), axis=-1) - math.log(self.K_clusters)

    def log_weight_parts(self, x, samples, training=False):
        """log p(x|z) and log p(z|w) + log N(w|0,I) - log q(z|x) - log q(w|x) for `samples` draws of (w, z).

        x (B, H, W, C) -> two (samples, B) arrays, in nats; y is summed out inside log p(z|w).
        """
        z_mean, z_log_var, w_mean, w_log_var = self.encode(x, training=training)
        z = self.sample_posterior(z_mean, z_log_var, samples)                  # (S, B, z_dim)
        w = self.sample_posterior(w_mean, w_log_var, samples)                  # (S, B, w_dim)
        log_p_z = self.log_prior_z(tf.reshape(z, (-1, self.z_dim)), tf.reshape(w, (-1, self.w_dim)),
                                   training=training)
        log_ratio = (tf.reshape(log_p_z, tf.shape(z)[:2]) + log_standard_normal(w)
                     - log_normal(z, z_mean, z_log_var) - log_normal(w, w_mean, w_log_var))
        return self.log_likelihood(x, z, training=training), log_ratio

    def _prior_z_of_draws(self, w, training=False):
        """p(z|w, y=j) for every j at S draws of w per image: w (S, B, w_dim) -> means, log_vars (S, B, K, z_dim)."""
        means, log_vars = self.prior_z(tf.reshape(w, (-1, self.w_dim)), training=training)
        shape = tf.concat([tf.shape(w)[:2], [self.K_clusters, self.z_dim]], 0)
        return tf.reshape(means, shape), tf.reshape(log_vars, shape)

    def per_example_terms(self, x, training=False, y=None):
        """The four -ELBO terms of x (B, H, W, C), each (B,) in nats, averaged over M = mc_samples draws of (w, z).

        y (B,) int32, optional: a cluster given to each image (-1: none). A given cluster k replaces
        q(y|w,z) = p(y|w,z) by the one-hot q(y=k|x) = 1, so that kl_z = KL(q(z|x) || p(z|w,y=k)) and
        kl_y = KL(one-hot || U(K)) = log K: the ELBO of an image whose cluster is observed.
        """
        z_mean, z_log_var, w_mean, w_log_var = self.encode(x, training=training)
        z = self.sample_posterior(z_mean, z_log_var, self.mc_samples)                      # (M, B, z_dim)
        w = self.sample_posterior(w_mean, w_log_var, self.mc_samples)                      # (M, B, w_dim)
        means, log_vars = self._prior_z_of_draws(w, training=training)                     # (M, B, K, z_dim)
        log_p_y = self._log_posterior_y(z, means, log_vars)                                # (M, B, K)
        q_y = tf.exp(log_p_y)
        kl_y = tf.reduce_sum(q_y * log_p_y, axis=-1) + math.log(self.K_clusters)           # (M, B)
        if y is not None:
            given = y >= 0                                                                 # (B,)
            q_y = tf.where(given[:, None], tf.one_hot(y, self.K_clusters), q_y)
            kl_y = tf.where(given, math.log(self.K_clusters), kl_y)
        kl_components = kl_normal(z_mean[:, None, :], z_log_var[:, None, :], means, log_vars)  # (M, B, K)
        return {'reconstruction': self.reconstruction(x, z, training=training),
                'kl_z': tf.reduce_mean(tf.reduce_sum(q_y * kl_components, axis=-1), axis=0),
                'kl_w': kl_standard_normal(w_mean, w_log_var),
                'kl_y': tf.reduce_mean(kl_y, axis=0)}

    def objective(self, term_means, kl_weight=1.0):
        """BaseGraph.objective with kl_y replaced by max(kl_y, y_prior_threshold) (free bits; 0 = none)."""
        if self.y_prior_threshold <= 0:
            return super().objective(term_means, kl_weight)
        bounded = dict(term_means, kl_y=tf.maximum(term_means['kl_y'], self.y_prior_threshold))
        return super().objective(bounded, kl_weight)

    def cluster_probabilities(self, x):
        """p(y|w,z) at the posterior means of w and z (deterministic): (B, H, W, C) -> (B, K), rows sum to 1."""
        z_mean, _, w_mean, _ = self.encode(x)
        return tf.exp(self.log_posterior_y(z_mean, w_mean))

    def cluster_log_odds(self, x):
        """log p(y=k|w,z) - log p(y!=k|w,z) at the posterior means of w and z: (B, H, W, C) -> (B, K).

        The same ranking as `cluster_probabilities` (p = sigmoid of it), but it does not round to a
        tie for the confident points whose probability is 1.0 in float32.
        """
        z_mean, _, w_mean, _ = self.encode(x)
        means, log_vars = self.prior_z(w_mean)
        log_in, log_out = self._log_in_and_out(self._log_components(z_mean, means, log_vars))  # (B, K) each
        return log_in - log_out

    def posterior_cluster_log_odds(self, x, samples):
        """log q(y=k|x) - log q(y!=k|x) for the model's posterior of the cluster, (B, H, W, C) -> (B, K):

            q(y|x) = E_q(w|x)q(z|x)[p(y|w,z)],   a Monte Carlo mean over `samples` draws of (w, z).

        Unlike `cluster_log_odds` it counts the uncertainty of w and z, so it changes with the draws
        (benchmarks/paper_protocol_noise.py); the mean is taken in log space.
        """
        z_mean, z_log_var, w_mean, w_log_var = self.encode(x)
        z = self.sample_posterior(z_mean, z_log_var, samples)                      # (S, B, z_dim)
        means, log_vars = self._prior_z_of_draws(self.sample_posterior(w_mean, w_log_var, samples))
        log_in, log_out = self._log_in_and_out(self._log_components(z, means, log_vars))  # (S, B, K) each
        return tf.reduce_logsumexp(log_in, axis=0) - tf.reduce_logsumexp(log_out, axis=0)   # the 1/S cancels

    @staticmethod
    def _log_in_and_out(logits):
        """log p(y=k) and log p(y!=k) from the logits of p(y) over the last axis: (..., K) -> two (..., K)."""
        K = logits.shape[-1]
        others = tf.where(tf.eye(K, dtype=tf.bool), -math.inf, 0.0)                   # (K, K): row k masks k
        total = tf.reduce_logsumexp(logits, axis=-1, keepdims=True)
        return logits - total, tf.reduce_logsumexp(logits[..., None, :] + others, axis=-1) - total

    def latent_mean(self, x):
        """Mean of q(z|x): (B, H, W, C) -> (B, z_dim)."""
        return self.encode(x)[0]

    def reconstruct(self, x):
        """Decoded posterior means of z: (B, H, W, C) -> (B, H, W, C)."""
        return self.decode(self.latent_mean(x))

    def _sample_z(self, n, y):
        """z ~ p(z|w, y) with w ~ N(0, I): y (n,) int32 -> (n, z_dim)."""
        means, log_vars = self.prior_z(self.standard_normal((n, self.w_dim)))
        mean = tf.gather(means, y, axis=1, batch_dims=1)
        log_var = tf.gather(log_vars, y, axis=1, batch_dims=1)
        return reparameterize(mean, log_var, self.standard_normal(tf.shape(mean)))

    def sample(self, n):
        """n images (n, H, W, C): means of p(x|z), z ~ p(z|w,y), w ~ N(0, I), y ~ Uniform{1..K}."""
        y = self.noise.uniform((n,), minval=0, maxval=self.K_clusters, dtype=tf.int32)
        return self.decode(self._sample_z(n, y))

    def sample_cluster(self, n, k):
        """n images (n, H, W, C) of cluster k (0-based): means of p(x|z), z ~ p(z|w,y=k), w ~ N(0, I)."""
        return self.decode(self._sample_z(n, tf.fill((n,), tf.cast(k, tf.int32))))
