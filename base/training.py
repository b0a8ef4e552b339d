"""The epoch loop: train, validate, record the history and the summaries, checkpoint, stop early or on a signal."""
import signal
import sys
import time

import numpy as np
import tensorflow as tf
from tqdm import tqdm

from base.compiled_steps import STEPS_PER_CALL
from base.errors import Diverged, Interrupted, NonFiniteLoss, RunError
from utils.files import atomic_write_json
from utils.interrupt import SIGNALS, StopRequest

RETRIES = 2   # a diverged epoch (`_train_guarded`) is trained again on another order of the images this many times


class Training:
    """BaseModel's epoch loop: uses the compiled steps, evaluation, checkpoints and summaries of BaseModel."""

    def train(self):
        """Train up to --epochs epochs in total, validating, checkpointing and summarising each one.

        SIGINT (Ctrl-C) or SIGTERM stops it once the epoch in progress is saved, raising `Interrupted`:
        --restore=1 then goes on exactly as an uninterrupted run (same seed, same machine).
        """
        cfg = self.config
        n, batch, steps = len(self.data.train.x), cfg.batch_size, self.steps_per_epoch
        if steps == 0:
            raise RunError(f'--batch_size={batch} is larger than the {n} training images: give --batch_size={n} or less')
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
                self.before_epoch(epoch)
                if epoch in self.reshape_epochs():   # a new model: its best validation loss is still to come
                    self.stopper.replay([])
                start = time.time()
                train_terms = self._train_guarded(epoch, steps)
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
                if (cfg.early_stopping and self.stopper.should_stop and epoch + 1 >= cfg.warmup_epochs
                        and epoch >= max(self.reshape_epochs(), default=0)):
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

    def before_epoch(self, epoch):
        """Called before each epoch (0-based) is trained; the GMVAE may reshape its mixture here."""

    def reshape_epochs(self):
        """The epochs (0-based) before which `before_epoch` reshapes the model: early stopping waits for the
        last of them and, at each, forgets the best validation loss, which was of another model."""
        return ()

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

    def _train_guarded(self, epoch, steps):
        """`_train_epoch`, undone and trained again on another order of the images when it diverges.

        An epoch diverges when its mean training loss ends above the first epoch's: one bad stretch of steps
        can throw the weights that far (in the clustering suite, one GMVAE epoch's kl_z rose to 311,802 nats),
        and the later epochs would start from there. The first epoch itself diverges when its loss ends above
        the untrained model's validation loss by more than that loss's size plus one nat per pixel value: a
        margin that one epoch's noise on a handful of images does not cross, and that a learning rate far too
        high does (the colour gradients of docs/clustering.md at --l_rate=0.05: 1.4e11 nats after one epoch,
        against 1,888 before it). The weights and Adam's state go back to the epoch's start, RETRIES times at
        most; then the run stops with one sentence, keeping the checkpoint before the epoch.
        """
        self._copy_weights(self.epoch_state, self.epoch_start)
        if self.history.get('train/loss'):
            bound = self.history['train/loss'][0]
            yardstick = f"the first epoch's {bound:.1f}"
        else:
            start = self.evaluate(self.x_valid)['loss']   # of the untrained model (or of one without history.json)
            margin = abs(start) + float(np.prod(self.x_valid.shape[1:]))
            bound = start + margin
            yardstick = f'the validation loss of the weights it started from, {start:.1f}, by more than {margin:.1f}'
        for attempt in range(RETRIES + 1):
            terms = self._train_epoch(epoch, steps, attempt)
            if terms['loss'] <= bound:
                return terms
            what = f'diverged: its training loss, {terms["loss"]:.1f} nats, ended above {yardstick}'
            self._copy_weights(self.epoch_start, self.epoch_state)
            if attempt < RETRIES:
                self.log.warning(f'Epoch {epoch + 1} {what}. It is undone and trained again on another order of '
                                 f'the images ({attempt + 2} of {RETRIES + 1} tries).')
        kept = f'the checkpoint of epoch {epoch} is kept' if epoch else 'no checkpoint is saved'
        raise Diverged(f'epoch {epoch + 1} {what} on each of {RETRIES + 1} orders of the images; {kept}. '
                       f'Likely fix: a smaller --learning_rate (now {self.config.learning_rate})')

    def _train_epoch(self, epoch, steps, attempt=0):
        """One pass over a permutation (seeded by --seed, the epoch and, after the first, the attempt) of the
        training set.

        The epoch's whole index goes in once, so every call has the same signature (one compilation per
        run); each call runs STEPS_PER_CALL steps of it and returns one vector of term means.
        """
        key = [self.config.seed, epoch] + ([attempt] if attempt else [])
        order = np.random.default_rng(key).permutation(len(self.data.train.x))
        index = order[:steps * self.config.batch_size].reshape(steps, self.config.batch_size).astype(np.int32)
        index = tf.constant(index)
        totals = dict.fromkeys(self.names, 0.0)
        trace = self._trace_on(epoch)
        tries = f' (try {attempt + 1})' if attempt else ''
        with tqdm(total=steps, desc=f'epoch {epoch + 1}/{self.config.epochs}{tries}', unit='step',
                  file=sys.stderr, leave=False, mininterval=1.0) as bar:
            for first in range(0, steps, STEPS_PER_CALL):
                last = min(first + STEPS_PER_CALL, steps)
                means = self._train_steps(self.x_train, index, tf.constant(first, tf.int32),
                                          tf.constant(last, tf.int32)).numpy()
                terms = dict(zip(self.names, means.tolist()))
                if trace:
                    self._trace_export()
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
        self.summarize_epoch(epoch, train_terms, valid_terms, seconds)

    @staticmethod
    def _format(terms):
        return ', '.join(f'{name} {value:.2f}' for name, value in terms.items())

