"""The part of the computation graph shared by the VAE and the GMVAE: encoder body and p(x|z).

A graph maps a batch of images x (B, H, W, C) to the terms of its negative ELBO, each a
per-example cost in nats whose sum over terms is -ELBO(x):

    -ELBO(x) = reconstruction + (the KL terms of the subclass)
    reconstruction = -E_q[log p(x|z)]   (one Monte Carlo sample of z)

Training minimises reconstruction + beta * (the KL terms): beta = 1 is the ELBO, other values the
beta-VAE of Higgins et al. (2017). The reported loss is always -ELBO.

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
    `per_example_terms(x, training)` -> dict term name -> (B,) costs whose sum is -ELBO,
    `latent_mean(x)` -> (B, D) posterior mean used for plots and the projector,
    `reconstruct(x)` -> (B, H, W, C) and `sample(n)` -> (n, H, W, C) means of p(x|z),
    and `log_importance_weights(x, samples)` -> (samples, B): log p(x, h) - log q(h|x) for `samples`
    independent joint samples h ~ q(h|x) of each image, encoded once (see `log_importance_weight`).
    """

    network = 'dense'
    term_names = ('reconstruction',)
    hyperparameters = ('sigma', 'z_dim', 'hidden_dim', 'num_layers', 'drop_prob', 'dropout_on', 'beta',
                       'likelihood', 'seed')

    def __init__(self, image_shape, *, sigma, z_dim, hidden_dim, num_layers, drop_prob=0.0, dropout_on='none',
                 beta=1.0, likelihood='gaussian', seed=0, **kwargs):
        super().__init__(**kwargs)
        if dropout_on not in DROPOUT_PLACES:
            raise ValueError(f'dropout_on must be one of {DROPOUT_PLACES}, got {dropout_on!r}')
        self.image_shape = tuple(image_shape)
        self.sigma = float(sigma)
        self.z_dim = z_dim
        self.beta = float(beta)
        self.likelihood = likelihood
        hidden_drop = drop_prob if dropout_on == 'hidden' else 0.0
        self.input_dropout = Dropout(drop_prob if dropout_on == 'input' else 0.0, name='input_dropout')
        self.encoder = networks.encoder_body(self.network, self.image_shape, hidden_dim, num_layers,
                                             hidden_drop, name='encoder')
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
        """-log p(x|z) in nats, summed over pixels: (B, H, W, C), (B, z_dim) -> (B,).

        Gaussian: N(x | decode(z), sigma I), normalised. Bernoulli: x in {0, 1}, decoder logits.
        """
        return self._negative_log_likelihood(x, self.decoder(z, training=training))

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
        """`samples` reparameterised draws of N(mean, exp(log_var)), (B, D) each -> (samples, B, D)."""
        return reparameterize(mean, log_var, self.standard_normal(tf.concat([[samples], tf.shape(mean)], 0)))

    def log_likelihood(self, x, z):
        """log p(x|z) for several z per image: x (B, H, W, C), z (S, B, z_dim) -> (S, B), in nats."""
        shape = tf.shape(z)
        logits = self.decoder(tf.reshape(z, (-1, self.z_dim)))
        logits = tf.reshape(logits, tf.concat([shape[:2], self.image_shape], 0))
        return -self._negative_log_likelihood(x, logits)

    def log_importance_weight(self, x):
        """log p(x, h) - log q(h|x) for ONE joint sample h ~ q(h|x): (B, H, W, C) -> (B,), in nats.

        Its mean over h is the ELBO; log-mean-exp over k samples is the IWAE bound (base/iwae.py).
        """
        return self.log_importance_weights(x, 1)[0]

    def objective(self, term_means):
        """Scalar minimised in training: reconstruction + beta * (sum of the KL terms), from the batch means."""
        return tf.add_n([term_means[name] * (1.0 if name == 'reconstruction' else self.beta)
                         for name in self.term_names])

    def loss_terms(self, x, training=False):
        """Batch means of each term, 'loss' (= -ELBO) and 'objective' (what is minimised)."""
        terms = self.per_example_terms(x, training=training)
        means = {name: tf.reduce_mean(terms[name]) for name in self.term_names}
        means['loss'] = tf.add_n([means[name] for name in self.term_names])
        means['objective'] = self.objective(means)
        return means

    def call(self, x, training=False):
        return self.loss_terms(x, training=training)
