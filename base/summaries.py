"""TensorBoard summaries of a run: the graph of the training step, the per-epoch scalars and
histograms, the projector of the test set's latent means and the result figures as images."""
import tensorflow as tf

from base.evaluation import EVAL_BATCH
from utils.projector import write_projector

PROJECTOR_POINTS = 2000 # test images shown in the TensorBoard projector


class Summaries:
    """BaseModel's TensorBoard writing (only with --summary=1 on the chief: `self.writer` is None otherwise).

    Subclasses may extend `summarize_latents` and `summary_figures` (the figures also logged as images).
    """

    summary_figures = ('reconstructions', 'samples')

    def _open_writer(self):
        return (tf.summary.create_file_writer(self.paths.summary_dir)
                if self.config.summary and self.is_chief else None)

    def _trace_on(self, epoch):
        """Start tracing the graph of the first compiled call of a run; True when tracing."""
        if self.writer is None or epoch != 0:
            return False
        tf.summary.trace_on(graph=True)
        return True

    def _trace_export(self):
        with self.writer.as_default():
            tf.summary.trace_export('train_step', step=0)

    def summarize_epoch(self, epoch, train_terms, valid_terms, seconds):
        """Scalars of every term for train and validation, seconds, weight and latent histograms at step `epoch`."""
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
