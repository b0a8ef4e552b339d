"""The VAE (Kingma & Welling 2014; Doersch 2016) with dense networks (model_type 0).

    p(z) = N(0, I),  p(x|z) Gaussian with variance sigma (or Bernoulli),
    q(z|x) = N(mu(x), diag sigma^2(x))

    -ELBO(x) = reconstruction + kl_z
    reconstruction = -E_q(z|x)[log p(x|z)]   Monte Carlo, --mc_samples reparameterised samples (default 1)
    kl_z          = KL(q(z|x) || p(z))       analytic

    log importance weight (h = z ~ q(z|x)) = log p(x|z) + log N(z|0,I) - log q(z|x)
"""
from base.base_graph import BaseGraph
from base.distributions import kl_standard_normal, log_normal, log_standard_normal
from networks import GaussianHead


class VAEGraph(BaseGraph):
    """VAE with a dense encoder and decoder."""

    network = 'dense'
    term_names = ('reconstruction', 'kl_z')

    def __init__(self, image_shape, **kwargs):
        super().__init__(image_shape, **kwargs)
        self.q_z = GaussianHead(self.z_dim, name='q_z')

    def encode(self, x, training=False):
        """q(z|x): (B, H, W, C) -> mean, log_var, each (B, z_dim)."""
        return self.q_z(self.features(x, training=training))

    def per_example_terms(self, x, training=False):
        mean, log_var = self.encode(x, training=training)
        z = self.sample_posterior(mean, log_var, self.mc_samples)                # (M, B, z_dim)
        return {'reconstruction': self.reconstruction(x, z, training=training),
                'kl_z': kl_standard_normal(mean, log_var)}

    def log_weight_parts(self, x, samples, training=False):
        """log p(x|z) and log N(z|0,I) - log q(z|x) for `samples` draws z ~ q(z|x): (B, ...) -> 2 x (samples, B)."""
        mean, log_var = self.encode(x, training=training)
        z = self.sample_posterior(mean, log_var, samples)
        return self.log_likelihood(x, z, training=training), log_standard_normal(z) - log_normal(z, mean, log_var)

    def latent_mean(self, x):
        return self.encode(x)[0]

    def reconstruct(self, x):
        """Decoded posterior means: (B, H, W, C) -> (B, H, W, C)."""
        return self.decode(self.latent_mean(x))

    def sample(self, n):
        return self.decode(self.standard_normal((n, self.z_dim)))
