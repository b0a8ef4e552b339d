"""The compiled training loop: several Adam steps inside one `tf.function` call.

The whole training set stays resident as one tensor (uint8 codes where exact, base/resident_images.py);
each call gathers its batches by index, so the Python loop only updates the progress bar and checks
that every loss term is finite. For the dense networks that call is compiled by XLA (see
`CompiledSteps.uses_xla`).

Each step runs through a tf.distribute strategy (TensorFlow's default, one device, unless
--distribute names another): every replica takes a consecutive share of the global batch and draws
its noise from the batch's (networks/batch_noise.py), so the replica count changes the numbers by
float rounding only.
"""
import functools

import keras
import tensorflow as tf

from base import resident_images
from networks import batch_noise

STEPS_PER_CALL = 200    # optimisation steps per compiled call (progress bar and NaN check in between)


class CompiledSteps:
    """BaseModel's compiled optimisation steps: uses self.graph, self.optimizer, self.strategy, self.config."""

    @property
    def uses_xla(self):
        """Whether the training steps are compiled by XLA (`jit_compile`): for the dense networks only.

        A dense step is a few hundred small ops; XLA fuses them into ~170 kernels, which takes most of
        the per-op cost of TensorFlow's graph runtime away (the spec VAE trains 1.6x faster on 2 CPU
        cores: benchmarks/throughput.py). The CNNs stay in the graph runtime: on CPU, XLA's
        convolutions are ~25x slower than TensorFlow's oneDNN ones. Under a tf.distribute strategy
        only each replica's forward and backward pass is compiled (`_replica_gradients`): XLA does
        not take the strategy's cross-device steps.
        """
        return self.graph.network == 'dense'

    @functools.cached_property
    def _train_steps(self):
        """`_steps` compiled once for the run; called with tensors only."""
        return tf.function(self._steps, jit_compile=self.uses_xla and not self.distributed)

    @functools.cached_property
    def _replica_gradients(self):
        """`_gradients` compiled (with XLA when `uses_xla`), so its noise is drawn alike with any strategy."""
        return tf.function(self._gradients, jit_compile=self.uses_xla)

    def _steps(self, x, index, first, last):
        """Adam steps first..last-1 of an epoch, step i on the global batch x[index[i]]; index (steps, B) int32.

        Returns the mean of each term over these steps, in the order of `names`, as one vector.
        """
        total = tf.zeros(len(self.names))
        i = first
        while i < last:   # not tf.range(first, last): XLA would make its bounds constants, compiling each chunk
            total += self._step(x, index[i])
            i += 1
        return total / tf.cast(last - first, tf.float32)

    def _summed_over_replicas(self, fn, *args):
        """fn(*args) run on every replica (each takes its share of the batch), its results summed."""
        return self.strategy.reduce(tf.distribute.ReduceOp.SUM, self.strategy.run(fn, args=args), axis=None)

    def _step(self, x, index):
        """One Adam step on the global batch x[index], index (B,), split over the replicas: -> term means (names,)."""
        return self._summed_over_replicas(self._replica_step, x, index)

    @functools.cached_property
    def _apply_gradients(self):
        """Adam's update of every variable from its gradient, compiled by XLA unless under a strategy.

        In TensorFlow's graph runtime (the CNNs' steps) the update is some 30 small ops per variable;
        XLA fuses them into a few kernels (a CNN step 5-10% faster on 2 cores). A strategy's
        cross-replica sum of the gradients is not XLA's, so a distributed run keeps the graph runtime.
        """
        def apply(gradients):
            self.optimizer.apply_gradients(zip(gradients, self.graph.trainable_variables))
        return tf.function(apply, jit_compile=True) if not self.distributed else apply

    def _replica_step(self, x, index):
        """This replica's part of a step: gradients of its rows, summed over replicas by `apply_gradients`."""
        gradients, shares = self._replica_gradients(x, index, tf.convert_to_tensor(self.optimizer.iterations))
        self._apply_gradients(gradients)
        return shares

    def training_state(self):
        """Variables, beyond the graph's, that training steps read and a resumed run needs ({name: tf.Variable})."""
        return {}

    def given_latents(self, rows):
        """Latent variables observed for the training images `rows` (B,) int32, as keyword arguments of
        `graph.loss_terms`: none here (the GMVAE may give clusters)."""
        return {}

    @property
    def steps_per_epoch(self):
        """Adam steps in one pass over the training set: whole global batches only."""
        return len(self.data.train.x) // self.config.batch_size

    def learning_rate(self):
        """Adam's learning rate: --learning_rate, or for --lr_schedule=cosine a schedule of the optimizer's
        step t that anneals it to 0 over the run's T = --epochs * steps per epoch steps,
        lr * (1 + cos(pi * min(t, T) / T)) / 2 (Loshchilov & Hutter 2017, without restarts).

        A restored run keeps its step count, so its schedule goes on over the --epochs it is given now.
        """
        if self.config.lr_schedule == 'constant':
            return self.config.learning_rate
        return keras.optimizers.schedules.CosineDecay(self.config.learning_rate,
                                                      self.config.epochs * self.steps_per_epoch)

    def kl_weight(self, step):
        """The warm-up weight of the KL terms at Adam step `step` (0-based): a float32 scalar tensor.

        It rises linearly, (step + 1) / (--warmup_epochs * steps per epoch), and stays at 1 from the
        last step of the warm-up on (Sonderby et al. 2016); 1 throughout for --warmup_epochs=0.
        """
        warmup_steps = self.config.warmup_epochs * self.steps_per_epoch
        if warmup_steps <= 0:
            return tf.constant(1.0)
        return tf.minimum(1.0, tf.cast(step + 1, tf.float32) / float(warmup_steps))

    def _gradients(self, x, index, step):
        """Gradients and term means of this replica's rows of the batch x[index], weighted by their share.

        The replica's rows start:end (of B) give means m_r (binarised first for a Bernoulli p(x|z));
        weighting by (end - start) / B makes the sum over replicas the global batch mean, for the terms
        and the objective's gradients alike. Noise is keyed by (--seed, step), the optimizer's step count,
        and the KL terms are weighted by the warm-up at that step (`kl_weight`).
        """
        size = tf.shape(index)[0]
        seed = tf.stack([tf.constant(self.config.seed, tf.int64), tf.cast(step, tf.int64)])
        kl_weight = self.kl_weight(step)
        variables = self.graph.trainable_variables
        with batch_noise.batch_noise(seed, size) as noise:
            batch = resident_images.decode(tf.gather(x, index[noise.start:noise.end]))
            weight = tf.cast(noise.end - noise.start, tf.float32) / tf.cast(size, tf.float32)
            if self.bernoulli:
                batch = tf.cast(noise.uniform(tf.shape(batch)) < batch, tf.float32)
            given = self.given_latents(index[noise.start:noise.end])
            with tf.GradientTape() as tape:
                terms = self.graph.loss_terms(batch, training=True, kl_weight=kl_weight, **given)
                objective = weight * terms['objective']
        gradients = tape.gradient(objective, variables)
        return gradients, weight * tf.stack([terms[name] for name in self.names])

