"""The part of the computation graph shared by the VAE and the GMVAE: encoder body and p(x|z).

A graph maps a batch of images x (B, H, W, C) to the terms of its negative ELBO, each a
per-example cost in nats whose sum over terms is -ELBO(x):

    -ELBO(x) = reconstruction + (the KL terms of the subclass)
    reconstruction = -E_q[log p(x|z)]

The expectations over q are Monte Carlo averages over M = --mc_samples reparameterised draws of the
latents per image (the paper's M; 1 by default, as in the original), all from one pass of the encoder.

Training minimises reconstruction + lambda * (the KL terms), lambda = beta * warm-up: beta = 1 is the
ELBO, other values the beta-VAE of Higgins et al. (2017); the warm-up weight (Sonderby et al. 2016,
--warmup_epochs) rises linearly from 0 to 1 and is passed in by the training loop. With
--iw_train_samples k > 1 it minimises instead the negative importance-weighted bound of Burda et
al. (2016) on k joint samples h ~ q(h|x) per image,

    -L_k(x) = -log (1/k) sum_i exp(log p(x|h_i) + lambda * (log p(h_i) - log q(h_i|x))),

which at lambda = 1 is -ELBO for k = 1 (in expectation) and tightens towards -log p(x) as k grows.
The reported loss is always the one-sample -ELBO.

Dropout (--drop_prob) acts where --dropout_on says: 'none' (the default: the original passed
drop_prob to dropout layers that were never switched on), 'hidden' (after every hidden dense
layer of the encoder and decoder) or 'input' (on the encoder's input pixels: a denoising VAE).

For the importance-weighted bound of log p(x) (Burda et al. 2016; the estimator is base/iwae.py)
a graph also gives log importance weights log p(x, h) - log q(h|x) of joint samples h ~ q(h|x).
"""
import math

import keras
import tensorflow as tf

import networks
from base.distributions import reparameterize
from networks import batch_noise
from networks.dropout import Dropout
from utils.constants import DROPOUT_PLACES


class BaseGraph(keras.Model):
    """Encoder body (B, H, W, C) -> (B, hidden_dim), decoder z -> p(x|z), and a seeded noise source.

    Subclasses set `term_names` and `network` ('dense' or 'cnn') and implement
    `per_example_terms(x, training)` -> dict term name -> (B,) costs whose sum is -ELBO, each averaged
    over `mc_samples` draws of the latents (`sample_posterior`),
    `latent_mean(x)` -> (B, D) posterior mean used for plots and the projector,
    `reconstruct(x)` -> (B, H, W, C) and `sample(n)` -> (n, H, W, C) means of p(x|z),
    and `log_weight_parts(x, samples, training)` -> two (samples, B) arrays, log p(x|h) and
    log p(h) - log q(h|x), for `samples` independent joint samples h ~ q(h|x) of each image, encoded
    once (their sum is the log importance weight: see `log_importance_weights`).
    """

    network = 'dense'
    term_names = ('reconstruction',)
    hyperparameters = ('sigma', 'z_dim', 'hidden_dim', 'num_layers', 'drop_prob', 'dropout_on', 'beta',
                       'iw_train_samples', 'mc_samples', 'likelihood', 'seed')

    def __init__(self, image_shape, *, sigma, z_dim, hidden_dim, num_layers, drop_prob=0.0, dropout_on='none',
                 beta=1.0, iw_train_samples=1, mc_samples=1, likelihood='gaussian', seed=0, **kwargs):
        super().__init__(**kwargs)
        if dropout_on not in DROPOUT_PLACES:
            raise ValueError(f'dropout_on must be one of {DROPOUT_PLACES}, got {dropout_on!r}')
        if iw_train_samples < 1:
            raise ValueError(f'iw_train_samples must be at least 1, got {iw_train_samples}')
        if mc_samples < 1:
            raise ValueError(f'mc_samples must be at least 1, got {mc_samples}')
        self.image_shape = tuple(image_shape)
        self.sigma = float(sigma)
        self.z_dim = z_dim
        self.beta = float(beta)
        self.iw_train_samples = int(iw_train_samples)
        self.mc_samples = int(mc_samples)
        self.likelihood = likelihood
        hidden_drop = drop_prob if dropout_on == 'hidden' else 0.0
        self.input_dropout = Dropout(drop_prob if dropout_on == 'input' else 0.0, name='input_dropout')
        self.encoder = networks.encoder_body(self.network, hidden_dim, num_layers, hidden_drop, name='encoder')
        self.decoder = networks.decoder(self.network, self.image_shape, hidden_dim, num_layers,
                                        hidden_drop, name='decoder')
        self.noise = tf.random.Generator.from_seed(seed)

    @classmethod
    def from_args(cls, args, image_shape):
        """Build from parsed command-line arguments (the names in `hyperparameters`)."""
        return cls(image_shape, **{name: getattr(args, name) for name in cls.hyperparameters})

    def features(self, x, training=False):
        """The encoder body on x, after the input dropout ('input' only): (B, H, W, C) -> (B, hidden_dim)."""
        return self.encoder(self.input_dropout(x, training=training), training=training)

    def standard_normal(self, shape):
        """eps ~ N(0, I) of `shape`: from the step's batch noise in a training or evaluation step, else
        from the graph's own (checkpointed) generator."""
        noise = batch_noise.active()
        return noise.normal(shape) if noise is not None else self.noise.normal(shape)

    def decode(self, z, training=False):
        """Mean image of p(x|z): (B, z_dim) -> (B, H, W, C) in [0, 1]."""
        return tf.sigmoid(self.decoder(z, training=training))

    def reconstruction(self, x, z, training=False):
        """-log p(x|z) in nats, summed over pixels and averaged over S samples of z per image:
        x (B, H, W, C), z (S, B, z_dim) -> (B,).

        Gaussian: N(x | decode(z), sigma I), normalised. Bernoulli: x in {0, 1}, decoder logits.
        """
        return -tf.reduce_mean(self.log_likelihood(x, z, training=training), axis=0)

    def _negative_log_likelihood(self, x, logits):
        """-log p(x|z) from the decoder output, summed over the last three (pixel) axes; x broadcasts."""
        if self.likelihood == 'bernoulli':
            x = tf.broadcast_to(x, tf.shape(logits))
            nll = tf.nn.sigmoid_cross_entropy_with_logits(labels=x, logits=logits)
            return tf.reduce_sum(nll, axis=[-3, -2, -1])
        squared_error = tf.reduce_sum(tf.square(x - tf.sigmoid(logits)), axis=[-3, -2, -1])
        pixels = math.prod(self.image_shape)
        return 0.5 * squared_error / self.sigma + 0.5 * pixels * math.log(2.0 * math.pi * self.sigma)

    # ------------------------------------------------------------------ importance weights
    def sample_posterior(self, mean, log_var, samples):
        """`samples` reparameterised draws of N(mean, exp(log_var)), (B, D) each -> (samples, B, D).

        The noise is drawn batch-major, (B, samples, D), so that under a batch noise each image keeps
        its own rows whatever the replica split (networks/batch_noise.py).
        """
        shape = tf.shape(mean)
        eps = self.standard_normal(tf.stack([shape[0], samples, shape[1]]))
        return reparameterize(mean, log_var, tf.transpose(eps, [1, 0, 2]))

    def log_likelihood(self, x, z, training=False):
        """log p(x|z) for several z per image: x (B, H, W, C), z (S, B, z_dim) -> (S, B), in nats."""
        shape = tf.shape(z)
        logits = self.decoder(tf.reshape(z, (-1, self.z_dim)), training=training)
        logits = tf.reshape(logits, tf.concat([shape[:2], self.image_shape], 0))
        return -self._negative_log_likelihood(x, logits)

    def log_importance_weights(self, x, samples, scale=1.0, training=False):
        """log p(x|h) + scale * (log p(h) - log q(h|x)) for `samples` joint samples h ~ q(h|x).

        x (B, H, W, C) -> (samples, B), in nats; scale is lambda of the module docstring. At scale 1
        this is log p(x, h) - log q(h|x), the log importance weight of Burda et al.: its mean over h
        is the ELBO, the log-mean-exp over k of them the IWAE bound (base/iwae.py).
        """
        log_px, log_ratio = self.log_weight_parts(x, samples, training=training)
        return log_px + scale * log_ratio

    def log_importance_weight(self, x):
        """log p(x, h) - log q(h|x) for ONE joint sample h ~ q(h|x): (B, H, W, C) -> (B,), in nats."""
        return self.log_importance_weights(x, 1)[0]

    def kl_scale(self, kl_weight):
        """lambda = beta * kl_weight, the factor of the KL terms in the objective (a scalar tensor)."""
        return self.beta * tf.cast(kl_weight, tf.float32)

    def objective(self, term_means, kl_weight=1.0):
        """reconstruction + beta * kl_weight * (sum of the KL terms), from the batch means: a scalar."""
        scale = self.kl_scale(kl_weight)
        return tf.add_n([term_means[name] * (1.0 if name == 'reconstruction' else scale)
                         for name in self.term_names])

    def iwae_objective(self, x, kl_weight=1.0, training=False):
        """-L_k averaged over the batch x (B, H, W, C), k = iw_train_samples (see the module docstring): a scalar."""
        k = self.iw_train_samples
        log_weights = self.log_importance_weights(x, k, self.kl_scale(kl_weight), training=training)   # (k, B)
        return -tf.reduce_mean(tf.reduce_logsumexp(log_weights, axis=0) - math.log(k))

    def loss_terms(self, x, training=False, kl_weight=1.0, **given):
        """Batch means of each term, 'loss' (= -ELBO) and 'objective' (what is minimised, at this warm-up
        weight kl_weight in [0, 1]: the weighted -ELBO, or -L_k for iw_train_samples k > 1).

        `given`: latent variables observed for the batch's images, passed on to per_example_terms (the
        GMVAE's clusters y)."""
        terms = self.per_example_terms(x, training=training, **given)
        means = {name: tf.reduce_mean(terms[name]) for name in self.term_names}
        means['loss'] = tf.add_n([means[name] for name in self.term_names])
        if self.iw_train_samples > 1:
            means['objective'] = self.iwae_objective(x, kl_weight, training=training)
        else:
            means['objective'] = self.objective(means, kl_weight)
        return means

    def call(self, x, training=False):
        return self.loss_terms(x, training=training)
