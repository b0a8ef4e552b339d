"""Log-densities and KL divergences of diagonal Gaussians, in log space.

All functions reduce over the last axis (the event) and keep the leading (batch) axes.
"""
import math

import tensorflow as tf

LOG_2PI = math.log(2.0 * math.pi)


def reparameterize(mean, log_var, eps):
    """z = mean + sigma * eps, with eps ~ N(0, I) of the same shape."""
    return mean + tf.exp(0.5 * log_var) * eps


def log_normal(x, mean, log_var):
    """log N(x | mean, diag exp(log_var)), summed over the last axis: (..., D) -> (...)."""
    return -0.5 * tf.reduce_sum(LOG_2PI + log_var + tf.square(x - mean) * tf.exp(-log_var), axis=-1)


def log_standard_normal(x):
    """log N(x | 0, I), summed over the last axis: (..., D) -> (...)."""
    return -0.5 * tf.reduce_sum(LOG_2PI + tf.square(x), axis=-1)


def kl_normal(mean_q, log_var_q, mean_p, log_var_p):
    """KL(N(mean_q, exp(log_var_q)) || N(mean_p, exp(log_var_p))), analytic: (..., D) -> (...)."""
    return 0.5 * tf.reduce_sum(
        log_var_p - log_var_q + (tf.exp(log_var_q) + tf.square(mean_q - mean_p)) * tf.exp(-log_var_p) - 1.0,
        axis=-1)


def kl_standard_normal(mean, log_var):
    """KL(N(mean, exp(log_var)) || N(0, I)), analytic: (..., D) -> (...)."""
    return 0.5 * tf.reduce_sum(tf.exp(log_var) + tf.square(mean) - 1.0 - log_var, axis=-1)
