"""Results of a trained run: the test-set metrics (metrics.json), the projector and the figures."""
import json
import os
import time

import numpy as np

from base import iwae
from base.base_visualize import show_figures
from utils.files import atomic_write_json

RECONSTRUCTION_IMAGES = 20   # test images in the reconstructions figure
SAMPLE_IMAGES = 64           # images drawn from the prior in the samples figure
INTERPOLATION_PAIRS = 8 # pairs of test images (0 and 1, 2 and 3, ...) in the interpolation figure
INTERPOLATION_STEPS = 10
# Test images in a CNN's IWAE estimate by default: 1000 samples of each keep a results run under a minute
# on 2 CPU cores (docs/evaluation.md); --iw_images=0 takes the whole test set.
CNN_IW_IMAGES = 100


class Results:
    """BaseModel's results. Subclasses set `visualizer_class` and may extend `extra_metrics`,
    `projector_metadata` and `make_figures`."""

    visualizer_class = None

    def extra_metrics(self, metrics):
        """Model-specific metrics of the test set (dict of floats), given its `metrics` so far ('test/kl_z', ...);
        `self.test_z` holds its latent means."""
        return {}

    def projector_metadata(self, n):
        """Columns shown in the TensorBoard projector for the first n test images."""
        y = self.data.test.y
        return {'label': [int(v) for v in y[:n]]} if y is not None else {'index': list(range(n))}

    def results(self, plot):
        """Test-set metrics (printed and written to metrics.json), the table of every image (base/assignments.py),
        projector and every figure (PNG files);
        `plot` also shows the figures on screen, or says in one line why it cannot (no display).

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
        metrics.update(self.extra_metrics(metrics))
        metrics['epochs_trained'] = int(self.epoch.numpy())
        path = os.path.join(self.paths.result_dir, 'metrics.json')
        atomic_write_json(path, metrics)
        self.log.info('Test metrics: ' + json.dumps(metrics, indent=1, sort_keys=True))
        self.log.info(f'Wrote {path}')
        self.log.info(f'Wrote {self.write_table()}')
        self.summarize_test(metrics)
        self.summarize_projector()
        vis = self.visualizer_class(self.paths.result_dir, self.paths.name)
        figures = self.make_figures(vis)
        for figure in figures:
            self.log.info(f'Saved {figure}')
        self.summarize_figures(vis)
        if plot:
            problem = show_figures(figures)
            if problem:
                self.log.info(f"--plot=1: the figures cannot be shown here ({problem}); they are saved in "
                              f"'{self.paths.result_dir}'.")
        return metrics

    def iwae_images(self):
        """How many test images the IWAE estimate uses: --iw_images, 0 meaning all; by default all for the
        dense networks and CNN_IW_IMAGES for the CNNs, whose decoder is ~100x slower per sample."""
        n = self.config.iw_images
        if n is None:
            n = CNN_IW_IMAGES if self.graph.network == 'cnn' else 0
        return len(self.x_test) if n == 0 else min(n, len(self.x_test))

    def iwae_indices(self):
        """The test images of the IWAE estimate, (iwae_images,) indices spread evenly over the test set.

        Not the first ones: MNIST's test set is ordered, its first 5,000 images the cleaner, easier half,
        so a prefix would flatter the likelihood.
        """
        return np.round(np.linspace(0, len(self.x_test) - 1, self.iwae_images())).astype(int)

    def iwae_metrics(self):
        """test/nll_iwae: -mean over test/iw_images test images (every test/iw_image_spacing-th, about) of
        the IWAE estimate of log p(x) (base/iwae.py) with test/iw_samples samples each, in nats;
        test/nll_iwae_stderr: the standard error of that mean over the images (std / sqrt(n), from two
        images on), which says how far a subset's mean may be from the whole set's."""
        k = self.config.iw_samples
        if k == 0:
            return {}
        x = self.x_test[self.iwae_indices()]
        start = time.time()
        log_px = iwae.log_likelihood(self.graph.log_importance_weights, x, k, progress=True)
        subset = ('' if len(x) == len(self.x_test) else
                  f' ({len(x)} spread over the {len(self.x_test)}; --iw_images=0 takes all)')
        self.log.info(f'IWAE estimate of log p(x) with {k} samples for {len(log_px)} test images{subset}: '
                      f'{time.time() - start:.1f} s')
        metrics = {'test/nll_iwae': float(-log_px.mean()), 'test/iw_samples': k, 'test/iw_images': len(x),
                   'test/iw_image_spacing': len(self.x_test) / len(x)}
        if len(log_px) > 1:
            metrics['test/nll_iwae_stderr'] = float(log_px.std(ddof=1) / np.sqrt(len(log_px)))
        return metrics

    def interpolations(self, z, steps=INTERPOLATION_STEPS):
        """Decoded linear paths from z[2i] to z[2i + 1], latent codes (2P, D) -> images (P, steps, H, W, C)."""
        pairs = len(z) // 2
        t = np.linspace(0.0, 1.0, steps, dtype=np.float32)[None, :, None]
        path = (1 - t) * z[0:2 * pairs:2, None] + t * z[1:2 * pairs:2, None]      # (P, steps, D)
        images = self.predict(self.graph.decode, path.reshape(pairs * steps, -1))
        return images.reshape((pairs, steps) + images.shape[1:])

    def scatter_colours(self):
        """Colours of the scatter plot of z and their name: the true labels (None without)."""
        return self.data.test.y, 'label'

    def make_figures(self, vis):
        """Figures common to both models; returns the saved paths.

        Reconstructions, samples, the latent space (t-SNE beyond 2-D), the original's 'Scatter Plot of z'
        (raw in 2-D, else PCA), the loss curves (after training) and, with two test images or more,
        interpolations between the latent means of pairs of test images.
        """
        x = self.x_test[:RECONSTRUCTION_IMAGES]
        paths = [vis.reconstructions(x, self.predict(self.graph.reconstruct, x)),
                 vis.samples(np.asarray(self.graph.sample(SAMPLE_IMAGES))),
                 vis.latent_space(self.test_z, self.data.test.y, seed=self.config.seed),
                 vis.scatter(self.test_z, *self.scatter_colours(), symbol='z', seed=self.config.seed)]
        if len(self.test_z) >= 2:
            paths.append(vis.interpolations(self.interpolations(self.test_z[:2 * INTERPOLATION_PAIRS])))
        curves = {name: values for name, values in self.history.items() if '/' in name}
        if curves:
            paths.append(vis.losses(curves))
        return paths
