"""TensorBoard summaries of a run, in the layout of Keras' TensorBoard callback:

    SUMMARY_DIR/NAME/             the flags (HPARAMS tab), the result figures (IMAGES), the projector
    SUMMARY_DIR/NAME/train/       every -ELBO term per epoch, seconds per epoch, weight histograms, the graph
    SUMMARY_DIR/NAME/validation/  the same terms per epoch, histograms of a validation batch's latents
    SUMMARY_DIR/NAME/test/        the results' metrics, at the step of the epochs trained

The train, validation and test runs use the same tag for a term ('loss', 'kl_z', ...), so TensorBoard
draws their curves in one chart. `tensorboard --logdir SUMMARY_DIR` lists every run in the HPARAMS tab,
with its flags and its last train, validation and test metrics.
"""
import os

import tensorflow as tf
from tensorboard.plugins.hparams import api as hp

from base.evaluation import EVAL_BATCH
from utils.projector import write_projector

PROJECTOR_POINTS = 2000 # test images shown in the TensorBoard projector
SPLITS = ('train', 'validation', 'test')
TEST_SETTINGS = ('test/iw_samples', 'test/iw_images', 'test/iw_image_spacing')   # in metrics.json, not curves


class Summaries:
    """BaseModel's TensorBoard writing (only with --summary=1 on the chief: `self.writer` is None otherwise).

    `self.writer` writes in the run's summary folder, `self.writers[split]` in its train/, validation/
    and test/ sub-folders. Subclasses may extend `summarize_latents` and `summary_figures` (the figures
    also logged as images).
    """

    summary_figures = ('reconstructions', 'samples')

    def _open_writer(self):
        """The run's root writer; the split writers open on first use. None without summaries."""
        self.writers = {}
        self._hparams_written = False
        return (tf.summary.create_file_writer(self.paths.summary_dir)
                if self.config.summary and self.is_chief else None)

    def split_writer(self, split):
        """The writer of the run SUMMARY_DIR/NAME/`split` (one of SPLITS)."""
        if split not in self.writers:
            self.writers[split] = tf.summary.create_file_writer(os.path.join(self.paths.summary_dir, split))
        return self.writers[split]

    def flush_summaries(self):
        for writer in [self.writer, *self.writers.values()]:
            if writer is not None:
                writer.flush()

    def summarize_hparams(self):
        """The run's flags as an HPARAMS session named after the run (once per process)."""
        if self.writer is None or self._hparams_written:
            return
        flags = {k: v for k, v in sorted(vars(self.config).items()) if isinstance(v, (bool, int, float, str))}
        with self.writer.as_default():
            hp.hparams(flags, trial_id=self.paths.name)
        self.writer.flush()
        self._hparams_written = True

    def _trace_on(self, epoch):
        """Start tracing the graph of the first compiled call of a run; True when tracing."""
        if self.writer is None or epoch != 0:
            return False
        tf.summary.trace_on(graph=True)
        return True

    def _trace_export(self):
        with self.split_writer('train').as_default():
            tf.summary.trace_export('train_step', step=0)

    def summarize_epoch(self, epoch, train_terms, valid_terms, seconds):
        """Each term under the same tag in the train and validation runs, seconds and weight histograms
        (train), histograms of a validation batch's latents (validation), at step `epoch`."""
        if self.writer is None:
            return
        self.summarize_hparams()
        with self.split_writer('train').as_default(step=epoch):
            self._scalars(train_terms)
            tf.summary.scalar('seconds_per_epoch', seconds)
            for variable in self.graph.trainable_variables:
                tf.summary.histogram(f'weights/{variable.path}', variable)
        with self.split_writer('validation').as_default(step=epoch):
            self._scalars(valid_terms)
            sample = self.x_valid[:EVAL_BATCH]
            tf.summary.histogram('latent/z_mean', self.graph.latent_mean(tf.constant(sample)))
            self.summarize_latents(sample)
        self.flush_summaries()

    @staticmethod
    def _scalars(terms):
        for name, value in terms.items():
            tf.summary.scalar(name, value)

    def summarize_latents(self, x):
        """Extra TensorBoard histograms of a validation batch x (B, H, W, C); the GMVAE adds its own."""

    def summarize_test(self, metrics):
        """The results' metrics ('test/NAME' -> NAME, but the TEST_SETTINGS) in the test run, at the step of
        the epochs trained."""
        if self.writer is None:
            return
        self.summarize_hparams()
        with self.split_writer('test').as_default(step=int(self.epoch.numpy())):
            self._scalars({k[len('test/'):]: v for k, v in metrics.items()
                           if k.startswith('test/') and k not in TEST_SETTINGS})
        self.flush_summaries()

    def summarize_projector(self):
        """The latent means of the first PROJECTOR_POINTS test images, with their sprite and metadata."""
        if self.writer is None:
            return
        n = min(PROJECTOR_POINTS, len(self.x_test))
        write_projector(self.paths.summary_dir, self.test_z[:n], self.x_test[:n], self.projector_metadata(n))

    def summarize_figures(self, vis):
        """Log the saved `summary_figures` to TensorBoard as images 'figures/NAME', step = epochs trained."""
        if self.writer is None:
            return
        with self.writer.as_default(step=int(self.epoch.numpy())):
            for name in self.summary_figures:
                png = tf.io.read_file(vis.path(name))
                tf.summary.image(f'figures/{name}', tf.image.decode_png(png, channels=4)[None])
        self.writer.flush()
