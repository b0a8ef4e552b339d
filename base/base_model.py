"""Training, checkpoints, evaluation, TensorBoard summaries and results, shared by VAE and GMVAE.

Training runs several optimisation steps inside one compiled `tf.function` call (the whole
training set stays resident as one tensor; each call gathers its batches by index), so the
Python loop only updates the progress bar and checks that every loss term is finite.
"""
import json
import os
import sys
import time
from dataclasses import dataclass

import keras
import numpy as np
import tensorflow as tf
from tqdm import tqdm

from base import iwae
from utils.early_stopping import EarlyStopping
from utils.files import atomic_write_json, read_json
from utils.projector import write_projector

STEPS_PER_CALL = 100    # optimisation steps per compiled call
EVAL_BATCH = 1000       # images per evaluation call
PROJECTOR_POINTS = 2000 # test images shown in the TensorBoard projector
INTERPOLATION_PAIRS = 8 # pairs of test images (0 and 1, 2 and 3, ...) in the interpolation figure
INTERPOLATION_STEPS = 10

# Flags that define the model: a checkpoint only restores into the same values.
ARCHITECTURE_FLAGS = ('model_type', 'dataset_name', 'sigma', 'z_dim', 'w_dim', 'K_clusters',
                      'hidden_dim', 'num_layers', 'likelihood')
# Flags that define how it is trained: they must also match to continue training.
TRAINING_FLAGS = ('learning_rate', 'batch_size', 'drop_prob', 'seed', 'y_prior_threshold')


class RunError(Exception):
    """A run cannot go on; the message is one sentence for the user."""


class NonFiniteLoss(RunError):
    """A loss term became NaN or Inf during training."""


@dataclass(frozen=True)
class RunPaths:
    """Where one run (named by the spec's scheme) keeps its files."""
    name: str
    checkpoint_dir: str
    summary_dir: str
    result_dir: str

    @classmethod
    def from_args(cls, name, args):
        return cls(name, os.path.join(args.checkpoint_dir, name), os.path.join(args.log_dir, name),
                   os.path.join(args.result_dir, name))

    @property
    def config_file(self):
        return os.path.join(self.checkpoint_dir, 'config.json')

    @property
    def history_file(self):
        return os.path.join(self.checkpoint_dir, 'history.json')

    @property
    def log_file(self):
        return os.path.join(self.summary_dir, 'train.log')


def binarize(x, rng):
    """Bernoulli draw of each pixel with probability x: (N, H, W, C) in [0,1] -> {0., 1.}."""
    return (rng.uniform(size=x.shape) < x).astype(np.float32)


class BaseModel:
    """Trains a graph (a `BaseGraph`) on a `utils.data.Dataset` and produces its results.

    Subclasses set `visualizer_class` and may extend `extra_metrics`, `projector_metadata`,
    `make_figures` and `summary_figures` (the figures also logged to TensorBoard as images).
    """

    visualizer_class = None
    summary_figures = ('reconstructions', 'samples')

    def __init__(self, graph, config, dataset, paths, logger):
        self.graph = graph
        self.config = config
        self.data = dataset
        self.paths = paths
        self.log = logger
        self.names = ('loss',) + tuple(graph.term_names)
        self.bernoulli = config.likelihood == 'bernoulli'
        eval_rng = np.random.default_rng(config.seed)
        prepare = (lambda x: binarize(x, eval_rng)) if self.bernoulli else (lambda x: x)
        self.x_valid = prepare(dataset.valid.x)
        self.x_test = prepare(dataset.test.x)
        self.x_train = tf.constant(dataset.train.x)

        graph.loss_terms(tf.zeros((1,) + graph.image_shape))   # creates the variables
        self.optimizer = keras.optimizers.Adam(config.learning_rate)
        self.optimizer.build(graph.trainable_variables)
        self.epoch = tf.Variable(0, dtype=tf.int64, trainable=False, name='epoch')
        self.checkpoint = tf.train.Checkpoint(graph=graph, optimizer=self.optimizer,
                                              epoch=self.epoch, noise=graph.noise)
        self.manager = tf.train.CheckpointManager(self.checkpoint, paths.checkpoint_dir, max_to_keep=3)
        self.history = {}
        self.stopper = EarlyStopping(config.patience)
        self.writer = tf.summary.create_file_writer(paths.summary_dir) if config.summary else None

    # ------------------------------------------------------------------ compiled steps
    @tf.function(reduce_retracing=True)
    def _train_steps(self, x, index):
        """Adam steps on the batches x[index[i]], index (S, B): returns the mean of each term over them."""
        variables = self.graph.trainable_variables
        totals = {name: tf.constant(0.0) for name in self.names}
        steps = tf.shape(index)[0]
        for i in tf.range(steps):
            batch = tf.gather(x, index[i])
            if self.bernoulli:
                batch = tf.cast(self.graph.noise.uniform(tf.shape(batch)) < batch, tf.float32)
            with tf.GradientTape() as tape:
                terms = self.graph.loss_terms(batch, training=True)
            gradients = tape.gradient(terms['objective'], variables)
            self.optimizer.apply_gradients(zip(gradients, variables))
            totals = {name: totals[name] + terms[name] for name in self.names}
        return {name: totals[name] / tf.cast(steps, tf.float32) for name in self.names}

    @tf.function(reduce_retracing=True)
    def _eval_sums(self, x):
        """Sum over the batch x (B, H, W, C) of each per-example term and of the loss (-ELBO)."""
        terms = self.graph.per_example_terms(x, training=False)
        sums = {name: tf.reduce_sum(terms[name]) for name in self.graph.term_names}
        sums['loss'] = tf.add_n(list(sums.values()))
        return sums

    # ------------------------------------------------------------------ evaluation
    def evaluate(self, x):
        """Mean of each term and of the loss (-ELBO) over images x (N, H, W, C), in nats."""
        totals = dict.fromkeys(self.names, 0.0)
        for start in range(0, len(x), EVAL_BATCH):
            sums = self._eval_sums(tf.constant(x[start:start + EVAL_BATCH]))
            for name in self.names:
                totals[name] += float(sums[name])
        return {name: totals[name] / len(x) for name in self.names}

    def predict(self, fn, x):
        """Apply a graph method batch-wise: fn((B, H, W, C)) -> (B, ...); returns a numpy array."""
        return np.concatenate([np.asarray(fn(tf.constant(x[s:s + EVAL_BATCH])))
                               for s in range(0, len(x), EVAL_BATCH)])

    # ------------------------------------------------------------------ checkpoints
    def restore(self, required):
        """Load the newest checkpoint of this run; False when there is none and it is not `required`."""
        path = self.manager.latest_checkpoint
        if path is None:
            if required:
                raise RunError(f"no checkpoint of run '{self.paths.name}' in '{self.paths.checkpoint_dir}': "
                               'train it first with --train=1')
            self.log.info(f'No checkpoint of {self.paths.name} yet: training from scratch.')
            return False
        self._check_config()
        try:
            self.checkpoint.restore(path).assert_existing_objects_matched()
        except (ValueError, AssertionError, tf.errors.OpError) as err:
            raise RunError(f"checkpoint '{path}' does not fit this configuration ({str(err).splitlines()[0]})") from err
        if os.path.exists(self.paths.history_file):
            saved = read_json(self.paths.history_file)
            self.history = saved['history']
            self.stopper.load_state(saved['early_stopping'])
        self.log.info(f'Restored {path} (epoch {int(self.epoch.numpy())}).')
        return True

    def _check_config(self):
        if not os.path.exists(self.paths.config_file):
            return
        saved = read_json(self.paths.config_file)
        flags = ARCHITECTURE_FLAGS + (TRAINING_FLAGS if self.config.train else ())
        current = vars(self.config)
        differing = [f'--{k} (saved {saved[k]}, given {current[k]})'
                     for k in flags if k in saved and k in current and saved[k] != current[k]]
        if differing:
            raise RunError(f"run '{self.paths.name}' was made with other flags: {', '.join(differing)}; "
                           'give the saved values or a different --extra')

    def _save(self):
        path = self.manager.save(checkpoint_number=int(self.epoch.numpy()))
        atomic_write_json(self.paths.history_file,
                          {'history': self.history, 'early_stopping': self.stopper.state()})
        return path

    # ------------------------------------------------------------------ training
    def train(self):
        """Train up to --epochs epochs in total, validating, checkpointing and summarising each one."""
        cfg = self.config
        n, batch = len(self.data.train.x), cfg.batch_size
        steps = n // batch
        if steps == 0:
            raise RunError(f'--batch_size={batch} is larger than the {n} training images')
        atomic_write_json(self.paths.config_file,
                          {k: v for k, v in vars(cfg).items() if isinstance(v, (int, float, str))})
        first = int(self.epoch.numpy())
        if first >= cfg.epochs:
            self.log.info(f'{self.paths.name} has already trained {first} epochs (--epochs={cfg.epochs}).')
            return
        best_weights = None
        for epoch in range(first, cfg.epochs):
            start = time.time()
            train_terms = self._train_epoch(epoch, steps)
            seconds = time.time() - start
            valid_terms = self.evaluate(self.x_valid)
            self.epoch.assign(epoch + 1)
            self._record(epoch + 1, train_terms, valid_terms, seconds)
            improved = self.stopper.update(valid_terms['loss'])
            if improved:
                best_weights = self.graph.get_weights()
            self._save()
            self.log.info(f'epoch {epoch + 1}/{cfg.epochs} ({seconds:.1f} s): '
                          f'train {self._format(train_terms)} | valid {self._format(valid_terms)}')
            if cfg.early_stopping and self.stopper.should_stop:
                self.log.info(f'Early stopping: no improvement of the validation loss for {cfg.patience} epochs.')
                break
        if cfg.early_stopping and best_weights is not None and not improved:
            self.graph.set_weights(best_weights)
            self._save()
            self.log.info(f'Restored the weights of the best validation loss ({self.stopper.best:.2f}).')

    def _train_epoch(self, epoch, steps):
        """One pass over a permutation (seeded by --seed and the epoch) of the training set."""
        order = np.random.default_rng([self.config.seed, epoch]).permutation(len(self.data.train.x))
        index = order[:steps * self.config.batch_size].reshape(steps, self.config.batch_size).astype(np.int32)
        totals = dict.fromkeys(self.names, 0.0)
        trace = self.writer is not None and epoch == 0
        with tqdm(total=steps, desc=f'epoch {epoch + 1}/{self.config.epochs}', unit='step',
                  file=sys.stderr, leave=False, mininterval=1.0) as bar:
            for first in range(0, steps, STEPS_PER_CALL):
                chunk = index[first:first + STEPS_PER_CALL]
                if trace:
                    tf.summary.trace_on(graph=True)
                terms = {k: float(v) for k, v in self._train_steps(self.x_train, tf.constant(chunk)).items()}
                if trace:
                    with self.writer.as_default():
                        tf.summary.trace_export('train_step', step=0)
                    trace = False
                self._check_finite(terms, epoch, first, first + len(chunk))
                for name in self.names:
                    totals[name] += terms[name] * len(chunk)
                bar.update(len(chunk))
                bar.set_postfix({name: f'{terms[name]:.1f}' for name in self.names})
        return {name: totals[name] / steps for name in self.names}

    def _check_finite(self, terms, epoch, first, last):
        bad = [name for name in self.names if not np.isfinite(terms[name])]
        if bad:
            raise NonFiniteLoss(
                f'{", ".join(bad)} became {terms[bad[0]]} in epoch {epoch + 1}, steps {first + 1}-{last}; '
                f'the last good checkpoint (epoch {epoch}) is kept. Likely causes: --sigma too small '
                f'(now {self.config.sigma}) or --learning_rate too high (now {self.config.learning_rate})')

    def _record(self, epoch, train_terms, valid_terms, seconds):
        for split, terms in (('train', train_terms), ('valid', valid_terms)):
            for name, value in terms.items():
                self.history.setdefault(f'{split}/{name}', []).append(value)
        self.history.setdefault('seconds', []).append(seconds)
        if self.writer is None:
            return
        with self.writer.as_default(step=epoch):
            for split, terms in (('train', train_terms), ('valid', valid_terms)):
                for name, value in terms.items():
                    tf.summary.scalar(f'{name}/{split}', value)
            tf.summary.scalar('seconds_per_epoch', seconds)
            for variable in self.graph.trainable_variables:
                tf.summary.histogram(f'weights/{variable.path}', variable)
            sample = self.x_valid[:EVAL_BATCH]
            tf.summary.histogram('latent/z_mean', self.graph.latent_mean(tf.constant(sample)))
            self.summarize_latents(sample)
        self.writer.flush()

    def summarize_latents(self, x):
        """Extra TensorBoard histograms of a validation batch x (B, H, W, C); the GMVAE adds its own."""

    @staticmethod
    def _format(terms):
        return ', '.join(f'{name} {value:.2f}' for name, value in terms.items())

    # ------------------------------------------------------------------ results
    def extra_metrics(self):
        """Model-specific metrics of the test set (dict of floats); `self.test_z` holds its latent means."""
        return {}

    def projector_metadata(self, n):
        """Columns shown in the TensorBoard projector for the first n test images."""
        y = self.data.test.y
        return {'label': [int(v) for v in y[:n]]} if y is not None else {'index': list(range(n))}

    def results(self, plot):
        """Test-set metrics (printed and written to metrics.json), projector, and figures when `plot`.

        Besides the -ELBO terms: test/elbo (= -test/loss) and test/nll_iwae, minus the mean IWAE
        estimate of log p(x) with test/iw_samples (--iw_samples) importance samples per image.
        With summaries on, the `summary_figures` are also logged to TensorBoard as images.
        """
        self.test_z = self.predict(self.graph.latent_mean, self.x_test)
        metrics = {'test/' + k: v for k, v in self.evaluate(self.x_test).items()}
        metrics['test/elbo'] = -metrics['test/loss']
        metrics.update(self.iwae_metrics())
        metrics.update(self.extra_metrics())
        metrics['epochs_trained'] = int(self.epoch.numpy())
        path = os.path.join(self.paths.result_dir, 'metrics.json')
        atomic_write_json(path, metrics)
        self.log.info('Test metrics: ' + json.dumps(metrics, indent=1, sort_keys=True))
        self.log.info(f'Wrote {path}')
        if self.writer is not None:
            n = min(PROJECTOR_POINTS, len(self.x_test))
            write_projector(self.paths.summary_dir, self.test_z[:n], self.x_test[:n], self.projector_metadata(n))
        if plot:
            vis = self.visualizer_class(self.paths.result_dir, self.paths.name)
            for figure in self.make_figures(vis):
                self.log.info(f'Saved {figure}')
            if self.writer is not None:
                self.summarize_figures(vis)
        return metrics

    def iwae_metrics(self):
        """test/nll_iwae: -mean over the test set of the IWAE estimate of log p(x) (base/iwae.py), in nats."""
        k = self.config.iw_samples
        if k == 0:
            return {}
        start = time.time()
        log_px = iwae.log_likelihood(self.graph.log_importance_weights, self.x_test, k, progress=True)
        self.log.info(f'IWAE estimate of log p(x) with {k} samples for {len(log_px)} test images: '
                      f'{time.time() - start:.1f} s')
        return {'test/nll_iwae': float(-log_px.mean()), 'test/iw_samples': k}

    def summarize_figures(self, vis):
        """Log the saved `summary_figures` to TensorBoard as images 'figures/NAME', step = epochs trained."""
        with self.writer.as_default(step=int(self.epoch.numpy())):
            for name in self.summary_figures:
                png = tf.io.read_file(vis.path(name))
                tf.summary.image(f'figures/{name}', tf.image.decode_png(png, channels=4)[None])
        self.writer.flush()

    def interpolations(self, z, steps=INTERPOLATION_STEPS):
        """Decoded linear paths from z[2i] to z[2i + 1], latent codes (2P, D) -> images (P, steps, H, W, C)."""
        pairs = len(z) // 2
        t = np.linspace(0.0, 1.0, steps, dtype=np.float32)[None, :, None]
        path = (1 - t) * z[0:2 * pairs:2, None] + t * z[1:2 * pairs:2, None]      # (P, steps, D)
        images = self.predict(self.graph.decode, path.reshape(pairs * steps, -1))
        return images.reshape((pairs, steps) + images.shape[1:])

    def make_figures(self, vis):
        """Figures common to both models; returns the saved paths.

        Reconstructions, samples, the latent space, the loss curves (after training) and, with two
        test images or more, interpolations between the latent means of pairs of test images.
        """
        x = self.x_test[:20]
        paths = [vis.reconstructions(x, self.predict(self.graph.reconstruct, x)),
                 vis.samples(np.asarray(self.graph.sample(64))),
                 vis.latent_space(self.test_z, self.data.test.y, seed=self.config.seed)]
        if len(self.test_z) >= 2:
            paths.append(vis.interpolations(self.interpolations(self.test_z[:2 * INTERPOLATION_PAIRS])))
        curves = {name: values for name, values in self.history.items() if '/' in name}
        if curves:
            paths.append(vis.losses(curves))
        return paths
