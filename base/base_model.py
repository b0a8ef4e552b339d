"""Training, checkpoints, evaluation, TensorBoard summaries and results, shared by VAE and GMVAE.

Training runs several optimisation steps inside one compiled `tf.function` call (the whole
training set stays resident as one tensor; each call gathers its batches by index), so the
Python loop only updates the progress bar and checks that every loss term is finite. For the
dense networks that call is compiled by XLA (see `BaseModel.uses_xla`).

Each step and each evaluation batch runs through a tf.distribute strategy (TensorFlow's default,
one device, unless --distribute names another): every replica takes a consecutive share of the
global batch and draws its noise from the batch's (networks/batch_noise.py), so the replica count
changes the numbers by float rounding only.
"""
import functools
import glob
import json
import os
import re
import shutil
import signal
import sys
import time
from dataclasses import dataclass

import keras
import numpy as np
import tensorflow as tf
from tqdm import tqdm

from base import iwae
from base.run_folder import remove_unfinished_save
from networks import batch_noise
from utils.early_stopping import EarlyStopping
from utils.files import atomic_write_json, read_json
from utils.interrupt import SIGNALS, StopRequest
from utils.projector import write_projector

STEPS_PER_CALL = 200    # optimisation steps per compiled call (progress bar and NaN check in between)
EVAL_BATCH = 1000       # images per evaluation call
PROJECTOR_POINTS = 2000 # test images shown in the TensorBoard projector
INTERPOLATION_PAIRS = 8 # pairs of test images (0 and 1, 2 and 3, ...) in the interpolation figure
INTERPOLATION_STEPS = 10

# Flags that define the model: a checkpoint only restores into the same values.
ARCHITECTURE_FLAGS = ('model_type', 'dataset_name', 'sigma', 'z_dim', 'w_dim', 'K_clusters',
                      'hidden_dim', 'num_layers', 'likelihood')
# Flags that define how it is trained: they must also match to continue training.
TRAINING_FLAGS = ('learning_rate', 'batch_size', 'drop_prob', 'dropout_on', 'beta', 'seed', 'y_prior_threshold')


class RunError(Exception):
    """A run cannot go on; the message is one sentence for the user."""


class NonFiniteLoss(RunError):
    """A loss term became NaN or Inf during training."""


class Interrupted(Exception):
    """SIGINT or SIGTERM stopped training after the checkpoint of epoch `epoch` (`finished`: no epoch left)."""

    def __init__(self, signal_name, epoch, finished):
        super().__init__(f'{signal_name} after epoch {epoch}')
        self.signal_name, self.epoch, self.finished = signal_name, epoch, finished


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


def differing_flags(saved, config, training):
    """'--flag (saved X, given Y)' for each flag of `config` that differs from `saved` (a run's config.json):
    the ARCHITECTURE_FLAGS, and also the TRAINING_FLAGS when `training`."""
    flags = ARCHITECTURE_FLAGS + (TRAINING_FLAGS if training else ())
    current = vars(config)
    return [f'--{k} (saved {saved[k]}, given {current[k]})'
            for k in flags if k in saved and k in current and saved[k] != current[k]]


def binarize(x, rng):
    """Bernoulli draw of each pixel with probability x: (N, H, W, C) in [0,1] -> {0., 1.}."""
    return (rng.uniform(size=x.shape) < x).astype(np.float32)


def first_line(err):
    """The first line of an exception's message (TensorFlow's run over many), or its type's name."""
    lines = str(err).strip().splitlines()
    return lines[0][:300] if lines else type(err).__name__


def unreadable_checkpoint(path):
    """Why the checkpoint `path` cannot be read, or None: every tensor is read, which checks its checksum."""
    try:
        reader = tf.train.load_checkpoint(path)
        for name in reader.get_variable_to_shape_map():
            reader.get_tensor(name)
    except Exception as err:  # damaged files raise many kinds: DataLossError, OpError, IndexError, ...
        return first_line(err)
    return None


class BaseModel:
    """Trains a graph (a `BaseGraph`) on a `utils.data.Dataset` and produces its results.

    Subclasses set `visualizer_class` and may extend `extra_metrics`, `projector_metadata`,
    `make_figures` and `summary_figures` (the figures also logged to TensorBoard as images).
    """

    visualizer_class = None
    summary_figures = ('reconstructions', 'samples')

    def __init__(self, graph, config, dataset, paths, logger, strategy=None):
        self.graph = graph
        self.config = config
        self.data = dataset
        self.paths = paths
        self.log = logger
        # TensorFlow's default strategy (one device) unless a tf.distribute strategy is given (utils/distribute.py).
        self.strategy = strategy or tf.distribute.get_strategy()
        self.distributed = strategy is not None
        self.is_chief = self.strategy.extended.should_checkpoint   # writes checkpoints, summaries and results
        self.names = ('loss',) + tuple(graph.term_names)
        self.bernoulli = config.likelihood == 'bernoulli'
        eval_rng = np.random.default_rng(config.seed)
        prepare = (lambda x: binarize(x, eval_rng)) if self.bernoulli else (lambda x: x)
        self.x_valid = prepare(dataset.valid.x)
        self.x_test = prepare(dataset.test.x)
        with self.strategy.scope():
            # Resident on every replica's device; not checkpointed.
            self.x_train = tf.Variable(dataset.train.x, trainable=False, name='x_train')
            graph.loss_terms(tf.zeros((1,) + graph.image_shape))   # creates the variables
            self.optimizer = keras.optimizers.Adam(config.learning_rate)
            self.optimizer.build(graph.trainable_variables)
            self.epoch = tf.Variable(0, dtype=tf.int64, trainable=False, name='epoch')
            # An exact resume also needs, for early stopping, the weights of the best validation loss so far
            # and their epoch (0: none yet). The training noise is keyed by the optimizer's step count.
            self.best_weights = [tf.Variable(tf.convert_to_tensor(w), trainable=False) for w in graph.weights]
            self.best_epoch = tf.Variable(0, dtype=tf.int64, trainable=False, name='best_epoch')
        core = dict(graph=graph, optimizer=self.optimizer, epoch=self.epoch, noise=graph.noise)
        resume = dict(best_weights=self.best_weights, best_epoch=self.best_epoch)
        self.checkpoint = tf.train.Checkpoint(**core, **resume)        # what is saved
        self.core_checkpoint = tf.train.Checkpoint(**core)             # restored: all of it must match
        self.resume_checkpoint = tf.train.Checkpoint(**resume)         # restored where present (see restore)
        self.manager = self._checkpoint_manager()
        self.history = {}
        self.stopper = EarlyStopping(config.patience)
        self.writer = (tf.summary.create_file_writer(paths.summary_dir)
                       if config.summary and self.is_chief else None)

    # ------------------------------------------------------------------ compiled steps
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

    def _replica_step(self, x, index):
        """This replica's part of a step: gradients of its rows, summed over replicas by `apply_gradients`."""
        gradients, shares = self._replica_gradients(x, index, tf.convert_to_tensor(self.optimizer.iterations))
        self.optimizer.apply_gradients(zip(gradients, self.graph.trainable_variables))
        return shares

    def _gradients(self, x, index, step):
        """Gradients and term means of this replica's rows of the batch x[index], weighted by their share.

        The replica's rows start:end (of B) give means m_r (binarised first for a Bernoulli p(x|z));
        weighting by (end - start) / B makes the sum over replicas the global batch mean, for the terms
        and the objective's gradients alike. Noise is keyed by (--seed, step), the optimizer's step count.
        """
        size = tf.shape(index)[0]
        seed = tf.stack([tf.constant(self.config.seed, tf.int64), tf.cast(step, tf.int64)])
        variables = self.graph.trainable_variables
        with batch_noise.batch_noise(seed, size) as noise:
            batch = tf.gather(x, index[noise.start:noise.end])
            weight = tf.cast(noise.end - noise.start, tf.float32) / tf.cast(size, tf.float32)
            if self.bernoulli:
                batch = tf.cast(noise.uniform(tf.shape(batch)) < batch, tf.float32)
            with tf.GradientTape() as tape:
                terms = self.graph.loss_terms(batch, training=True)
                objective = weight * terms['objective']
        gradients = tape.gradient(objective, variables)
        return gradients, weight * tf.stack([terms[name] for name in self.names])

    @tf.function(reduce_retracing=True)
    def _eval_sums(self, x, seed):
        """Sum over the batch x (B, H, W, C), split over the replicas, of each term and of the loss (-ELBO)."""
        return self._summed_over_replicas(self._replica_eval_sums, x, seed)

    def _replica_eval_sums(self, x, seed):
        """Sums over this replica's rows of x, in the order of `names` (noise keyed by `seed`): -> (names,)."""
        with batch_noise.batch_noise(seed, tf.shape(x)[0]) as noise:
            terms = self.graph.per_example_terms(x[noise.start:noise.end], training=False)
        sums = [tf.reduce_sum(terms[name]) for name in self.graph.term_names]
        return tf.stack([tf.add_n(sums)] + sums)

    # ------------------------------------------------------------------ evaluation
    def evaluate(self, x):
        """Mean of each term and of the loss (-ELBO) over images x (N, H, W, C), in nats.

        The noise of the images from `start` on is keyed by (--seed, -1 - start): the same images get
        the same noise every time, so successive validation losses differ by the weights only.
        """
        totals = np.zeros(len(self.names))
        for start in range(0, len(x), EVAL_BATCH):
            seed = tf.constant([self.config.seed, -1 - start], tf.int64)
            totals += self._eval_sums(tf.constant(x[start:start + EVAL_BATCH]), seed).numpy()
        return {name: float(total) / len(x) for name, total in zip(self.names, totals)}

    def predict(self, fn, x):
        """Apply a graph method batch-wise: fn((B, H, W, C)) -> (B, ...); returns a numpy array."""
        return np.concatenate([np.asarray(fn(tf.constant(x[s:s + EVAL_BATCH])))
                               for s in range(0, len(x), EVAL_BATCH)])

    # ------------------------------------------------------------------ checkpoints
    @property
    def _save_dir(self):
        """Where this process writes checkpoints: the run's folder, or a scratch folder for a multi-worker
        run's non-chief workers (they must save too, as the save is collective; the scratch is removed)."""
        if self.is_chief:
            return self.paths.checkpoint_dir
        return os.path.join(self.paths.checkpoint_dir, f'.worker{self.strategy.cluster_resolver.task_id}')

    def _checkpoint_manager(self):
        """The run's CheckpointManager; an unreadable index file 'checkpoint' is set aside (ckpt-N files stay)."""
        if not self.is_chief:
            return tf.train.CheckpointManager(self.checkpoint, self._save_dir, max_to_keep=1)
        try:
            return tf.train.CheckpointManager(self.checkpoint, self.paths.checkpoint_dir, max_to_keep=3)
        except (UnicodeDecodeError, ValueError, tf.errors.OpError) as err:
            state = os.path.join(self.paths.checkpoint_dir, 'checkpoint')
            self.log.warning(f"The checkpoint index '{state}' is unreadable ({first_line(err)}): "
                             f"it is renamed '{state}.damaged' and the ckpt-N files are used directly.")
            os.replace(state, state + '.damaged')
            return tf.train.CheckpointManager(self.checkpoint, self.paths.checkpoint_dir, max_to_keep=3)

    def checkpoint_paths(self):
        """Prefixes of the run's checkpoints on disk, newest first (whatever the index file 'checkpoint' says)."""
        found = []
        for index in glob.glob(os.path.join(glob.escape(self.paths.checkpoint_dir), 'ckpt-*.index')):
            match = re.fullmatch(r'ckpt-(\d+)\.index', os.path.basename(index))
            if match:
                found.append((int(match.group(1)), index[:-len('.index')]))
        return [path for _, path in sorted(found, reverse=True)]

    def restore(self, required):
        """Load the newest readable checkpoint of this run; False when there is none and it is not `required`.

        A damaged checkpoint (truncated, garbled or missing files) is reported in one sentence and the one
        before it is tried. The history is cut back to the restored epoch and early stopping replayed on it.
        """
        candidates = self.checkpoint_paths()
        if not candidates:
            if required:
                raise RunError(f"no checkpoint of run '{self.paths.name}' in '{self.paths.checkpoint_dir}': "
                               'train it first with --train=1')
            self.log.info(f'No checkpoint of {self.paths.name} yet: training from scratch.')
            return False
        self._check_config()
        for i, path in enumerate(candidates):
            problem = unreadable_checkpoint(path)
            if problem is None:
                break
            then = f"falling back to '{candidates[i + 1]}'" if i + 1 < len(candidates) else 'no other is left'
            self.log.warning(f"Checkpoint '{path}' is damaged ({problem}): {then}.")
        else:
            raise RunError(f"none of the {len(candidates)} checkpoints of run '{self.paths.name}' in "
                           f"'{self.paths.checkpoint_dir}' is readable (see the warnings above): move them away "
                           'to train from scratch')
        try:
            self.core_checkpoint.restore(path).assert_existing_objects_matched().expect_partial()
        except (ValueError, AssertionError, tf.errors.OpError) as err:
            raise RunError(f"checkpoint '{path}' does not fit this configuration ({first_line(err)})") from err
        # Partial: checkpoints of earlier versions also hold the Dropout layers' seeds, now unused.
        self.resume_checkpoint.restore(path).expect_partial()
        if 'best_epoch/.ATTRIBUTES/VARIABLE_VALUE' not in dict(tf.train.list_variables(path)):
            self.log.warning(f"Checkpoint '{path}' predates the saving of the best weights: "
                             'training goes on, but early stopping cannot return to weights before it.')
        self._restore_history()
        self.log.info(f'Restored {path} (epoch {int(self.epoch.numpy())}).')
        return True

    def _restore_history(self):
        """The history of the restored epochs (history.json may hold later ones) and early stopping's state."""
        epoch = int(self.epoch.numpy())
        try:
            saved = read_json(self.paths.history_file)['history'] if os.path.exists(self.paths.history_file) else {}
            self.history = {name: list(values[:epoch]) for name, values in saved.items()}
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as err:
            self.log.warning(f"'{self.paths.history_file}' is unreadable ({first_line(err)}): "
                             'the loss curves and early stopping start again from this epoch.')
            self.history = {}
        recorded = len(self.history.get('valid/loss', []))
        if recorded < epoch:
            self.log.warning(f"'{self.paths.history_file}' records {recorded} of the {epoch} restored epochs: "
                             'the loss curves and early stopping lack the others.')
        self.stopper.replay(self.history.get('valid/loss', []))

    def _check_config(self):
        if not os.path.exists(self.paths.config_file):
            return
        try:
            saved = read_json(self.paths.config_file)
            if not isinstance(saved, dict):
                raise ValueError('not a JSON object')
        except (OSError, ValueError) as err:
            self.log.warning(f"'{self.paths.config_file}' is unreadable ({first_line(err)}): the flags of the "
                             'saved run are not compared with these.')
            return
        differing = differing_flags(saved, self.config, training=self.config.train)
        if differing:
            raise RunError(f"run '{self.paths.name}' was made with other flags: {', '.join(differing)}; "
                           'give the saved values or a different --extra')

    def _save(self):
        """Checkpoint ckpt-EPOCH, after the history (restore cuts a longer history back to the checkpoint)."""
        epoch = int(self.epoch.numpy())
        try:
            if not self.is_chief:
                self.manager.save(checkpoint_number=epoch)
                shutil.rmtree(self._save_dir, ignore_errors=True)
                return None
            atomic_write_json(self.paths.history_file, {'history': self.history})
            return self.manager.save(checkpoint_number=epoch)
        except (OSError, tf.errors.OpError) as err:
            remove_unfinished_save(self._save_dir, epoch)
            raise RunError(f"cannot write the checkpoint of epoch {epoch} in '{self.paths.checkpoint_dir}' "
                           f'({first_line(err)}); the earlier checkpoints are kept') from err

    # ------------------------------------------------------------------ training
    def train(self):
        """Train up to --epochs epochs in total, validating, checkpointing and summarising each one.

        SIGINT (Ctrl-C) or SIGTERM stops it once the epoch in progress is saved, raising `Interrupted`:
        --restore=1 then goes on exactly as an uninterrupted run (same seed, same machine).
        """
        cfg = self.config
        n, batch = len(self.data.train.x), cfg.batch_size
        steps = n // batch
        if steps == 0:
            raise RunError(f'--batch_size={batch} is larger than the {n} training images')
        replicas = self.strategy.num_replicas_in_sync
        if batch < replicas:
            raise RunError(f'--batch_size={batch} is smaller than the {replicas} replicas that share each batch')
        if self.is_chief:
            atomic_write_json(self.paths.config_file,
                              {k: v for k, v in vars(cfg).items() if isinstance(v, (int, float, str))})
        first = int(self.epoch.numpy())
        if first >= cfg.epochs:
            self.log.info(f'{self.paths.name} has already trained {first} epochs (--epochs={cfg.epochs}).')
            return
        with StopRequest() as stop:
            for epoch in range(first, cfg.epochs):
                start = time.time()
                train_terms = self._train_epoch(epoch, steps)
                seconds = time.time() - start
                valid_terms = self.evaluate(self.x_valid)
                self.epoch.assign(epoch + 1)
                self._record(epoch + 1, train_terms, valid_terms, seconds)
                improved = self.stopper.update(valid_terms['loss'])
                if improved:
                    self._copy_weights(self.graph.weights, self.best_weights)
                    self.best_epoch.assign(epoch + 1)
                self._save()
                self.log.info(f'epoch {epoch + 1}/{cfg.epochs} ({seconds:.1f} s): '
                              f'train {self._format(train_terms)} | valid {self._format(valid_terms)}')
                if cfg.early_stopping and self.stopper.should_stop:
                    self.log.info(f'Early stopping: no improvement of the validation loss for {cfg.patience} epochs.')
                    break
                signum = self._agreed_signal(stop.signum)
                if signum and epoch + 1 < cfg.epochs:
                    raise Interrupted(signal.Signals(signum).name, epoch + 1, finished=False)
            best = int(self.best_epoch.numpy())
            if cfg.early_stopping and best and not improved:
                self._copy_weights(self.best_weights, self.graph.weights)
                self._save()
                self.log.info(f'Restored the weights of the best validation loss ({self.stopper.best:.2f}, '
                              f'epoch {best}).')
            signum = self._agreed_signal(stop.signum)
        if signum:
            raise Interrupted(signal.Signals(signum).name, int(self.epoch.numpy()), finished=True)

    def _agreed_signal(self, signum):
        """The signal that stops training after this epoch (None: go on), given this process's `signum`.

        Under a multi-worker strategy the workers agree on it, so that a signal to any one of them
        stops all after the same epoch: a worker alone could not take part in another collective step.
        """
        if not isinstance(self.strategy, tf.distribute.MultiWorkerMirroredStrategy):
            return signum
        flags = tf.constant([float(signum == s) for s in SIGNALS])
        per_replica = self.strategy.experimental_distribute_values_from_function(lambda _: flags)
        received = self.strategy.reduce(tf.distribute.ReduceOp.SUM, per_replica, axis=None).numpy()
        return next((s for s, count in zip(SIGNALS, received) if count > 0), None)

    @staticmethod
    def _copy_weights(source, target):
        for s, t in zip(source, target):
            t.assign(s)

    def _train_epoch(self, epoch, steps):
        """One pass over a permutation (seeded by --seed and the epoch) of the training set.

        The epoch's whole index goes in once, so every call has the same signature (one compilation per
        run); each call runs STEPS_PER_CALL steps of it and returns one vector of term means.
        """
        order = np.random.default_rng([self.config.seed, epoch]).permutation(len(self.data.train.x))
        index = order[:steps * self.config.batch_size].reshape(steps, self.config.batch_size).astype(np.int32)
        index = tf.constant(index)
        totals = dict.fromkeys(self.names, 0.0)
        trace = self.writer is not None and epoch == 0
        with tqdm(total=steps, desc=f'epoch {epoch + 1}/{self.config.epochs}', unit='step',
                  file=sys.stderr, leave=False, mininterval=1.0) as bar:
            for first in range(0, steps, STEPS_PER_CALL):
                last = min(first + STEPS_PER_CALL, steps)
                if trace:
                    tf.summary.trace_on(graph=True)
                means = self._train_steps(self.x_train, index, tf.constant(first, tf.int32),
                                          tf.constant(last, tf.int32)).numpy()
                terms = dict(zip(self.names, means.tolist()))
                if trace:
                    with self.writer.as_default():
                        tf.summary.trace_export('train_step', step=0)
                    trace = False
                self._check_finite(terms, epoch, first, last)
                for name in self.names:
                    totals[name] += terms[name] * (last - first)
                bar.update(last - first)
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

        Under a multi-worker strategy every worker evaluates the test set, and only the chief goes on.
        Besides the -ELBO terms: test/elbo (= -test/loss) and test/nll_iwae, minus the mean IWAE
        estimate of log p(x) with test/iw_samples (--iw_samples) importance samples per image.
        With summaries on, the `summary_figures` are also logged to TensorBoard as images.
        """
        metrics = {'test/' + k: v for k, v in self.evaluate(self.x_test).items()}
        if not self.is_chief:
            return metrics   # a multi-worker run's other workers only take their part in the evaluation
        self.test_z = self.predict(self.graph.latent_mean, self.x_test)
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
