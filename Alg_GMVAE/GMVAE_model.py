"""Training and evaluation of the GMVAE: the shared loop of BaseModel plus its clustering of the test set.

Each image is assigned to its most probable cluster, argmax_k p(y=k|w,z) at the posterior means of
w and z (GMVAEGraph.cluster_probabilities); cluster indices are 0-based. The paper's protocol is also
scored on the model's posterior of the cluster, q(y|x) = E_q(w,z|x)[p(y|w,z)], estimated with
POSTERIOR_SAMPLES draws per image (GMVAEGraph.posterior_cluster_log_odds).
"""
import numpy as np
import tensorflow as tf
from scipy.special import expit

from Alg_GMVAE.GMVAE_visualize import GMVAEVisualize
from base.base_model import BaseModel
from base.evaluation import EVAL_BATCH
from utils.clusterers import kmeans, tsne_kmeans
from utils.args import PLACEMENT_FLAGS, tsne_placement_epochs
from utils.metrics import clustering_scores, paper_accuracy

SAMPLES_PER_CLUSTER = 25  # generated images in each cluster's figure
RECONSTRUCTION_ROWS = 6   # test images in the reconstructions with p(y|x)
# Draws of (w, z) per image in q(y|x). The paper's protocol on it moves with the draws: by up to 4.7 points
# at 32, by 0.2 or less at 256 on four of seven checkpoints and 1.1-1.8 on the others
# (benchmarks/paper_protocol_noise.py); each result is keyed by --seed.
POSTERIOR_SAMPLES = 256
TSNE_PLACEMENT_IMAGES = 10000  # t-SNE's cost grows faster than N: enough images to place each component
POSTERIOR_BYTES = 2 ** 28  # the largest float32 array that one call of posterior_log_odds makes
# A collapsed mixture: kl_y below this share of its largest value, log K (p(y|w,z) near uniform: every
# component the same Gaussian), or fewer than this share of the clusters in use on the test set.
COLLAPSED_KL_Y_SHARE = 0.1
COLLAPSED_IN_USE_SHARE = 0.5
COLLAPSE_FIX = ('the free-bits bound --y_prior_threshold (about half of log K nats), components placed on k-means '
                'with --kmeans_init_epoch=10 (both the defaults for your own images) or a KL warm-up '
                '--warmup_epochs=10 usually keeps the clusters apart')


def collapse(kl_y, clusters_in_use, K):
    """One sentence when the mixture has collapsed (see COLLAPSED_KL_Y_SHARE), else None."""
    if kl_y < COLLAPSED_KL_Y_SHARE * np.log(K):
        return (f'The mixture has collapsed: kl_y is {kl_y:.3f} nats of at most log K = {np.log(K):.2f}, so '
                f'p(y|w,z) is nearly uniform and the clusters mean little; {COLLAPSE_FIX}.')
    if clusters_in_use < COLLAPSED_IN_USE_SHARE * K:
        return (f'The mixture has collapsed: {clusters_in_use} of the {K} clusters are in use on the test set; '
                f'{COLLAPSE_FIX}.')
    return None


def placement_never_happens(epochs, **placements):
    """One sentence when a placement flag (name=epoch, such as kmeans_init_epoch=10) asks for an epoch that a run of
    --epochs never reaches, else None."""
    late = [f'--{name}={epoch}' for name, epoch in placements.items() if 0 < epochs <= epoch]
    if late:
        return (f'{" and ".join(late)} not below --epochs={epochs}: that placement of the components of p(z|w,y) '
                'never happens; give more epochs or a smaller value.')
    return None


class GMVAEModel(BaseModel):
    """GMVAE training; its results add cluster assignments, clustering scores and cluster figures."""

    visualizer_class = GMVAEVisualize
    table_name = 'assignments.csv'
    summary_figures = BaseModel.summary_figures + ('generated_clusters',)

    def results(self, plot):
        """As BaseModel.results, with p(y|w,z) of the test set computed once for metrics, projector and figures."""
        self.test_log_odds = self.predict(self.graph.cluster_log_odds, self.x_test).astype(np.float64)  # (N, K)
        self.test_probabilities = expit(self.test_log_odds)                                            # (N, K)
        self.test_clusters = self.test_log_odds.argmax(axis=1)                                         # (N,)
        self.test_posterior_log_odds = self.posterior_log_odds(self.x_test)                            # (N, K)
        return super().results(plot)

    def before_epoch(self, epoch):
        """Place the K components of p(z|w,y) on a clustering of the training images (0: never for each flag):

        - after --kmeans_init_epoch epochs, on k-means of their pixels, so that the mixture starts from the
          pixels' clusters, laid out where the encoder puts them;
        - after --tsne_init_epoch epochs, and again every --tsne_repeat_epochs, on t-SNE + k-means of their
          posterior means of z (of at most TSNE_PLACEMENT_IMAGES of them), whose neighbourhoods hold the classes
          better than any Gaussian clustering of z does (docs/clustering.md).

        Training then refines them (`place`). For --tsne_label_epochs epochs after the first t-SNE placement, its
        images train with their latest t-SNE cluster as y given (`give_clusters`), which is then taken back."""
        cfg = self.config
        if epoch == 0:   # a run from scratch: say at its start when a placement will never come
            never = placement_never_happens(cfg.epochs, **self.placements())
            if never:
                self.log.warning(never)
            return
        K, x = self.graph.K_clusters, self.data.train.x
        if epoch == cfg.kmeans_init_epoch:
            members = kmeans(x, K, cfg.seed).labels_
            self.place(epoch, *self.posterior_z(x), members, 'k-means of the training images')
        elif epoch in tsne_placement_epochs(cfg):
            rng = np.random.default_rng(cfg.seed)
            chosen = np.sort(rng.choice(len(x), min(len(x), TSNE_PLACEMENT_IMAGES), replace=False))
            z_mean, z_log_var = self.posterior_z(x[chosen])
            members = tsne_kmeans(z_mean, K, cfg.seed)
            self.place(epoch, z_mean, z_log_var, members,
                       f't-SNE + k-means of the posterior means of z of {len(chosen)} training images')
            if epoch < self.release_epoch:
                self.give_clusters(chosen, members)
                last = min(self.release_epoch, cfg.epochs)
                self.log.info(f'Epochs {epoch + 1}-{last}: these {len(chosen)} images '
                              f'train with their t-SNE cluster as y given (--tsne_label_epochs).')
        if epoch == self.release_epoch:
            self.give_clusters([], [])
            self.log.info(f'Epoch {epoch}: the given clusters released; p(y|w,z) assigns every image again.')

    @property
    def release_epoch(self):
        """The epoch (0-based) before which the clusters given at the t-SNE placement are taken back (0: none)."""
        cfg = self.config
        return cfg.tsne_init_epoch + cfg.tsne_label_epochs if cfg.tsne_init_epoch and cfg.tsne_label_epochs else 0

    def training_state(self):
        """given_y (N_train,) int32: the cluster given to each training image in the steps to come (-1: none)."""
        return {'given_y': tf.Variable(tf.fill([len(self.data.train.x)], -1), trainable=False, name='given_y')}

    def give_clusters(self, rows, clusters):
        """Give training images `rows` the `clusters` (both (n,) ints) as observed y, and no other image one."""
        given = np.full(len(self.data.train.x), -1, np.int32)
        given[np.asarray(rows, np.int64)] = clusters
        self.train_state['given_y'].assign(given)

    def given_latents(self, rows):
        """The given clusters y of training images `rows` (B,) int32 (-1: none) for graph.loss_terms, in a run
        that gives them (--tsne_label_epochs after a --tsne_init_epoch placement)."""
        if not self.release_epoch:
            return {}
        return {'y': tf.gather(self.train_state['given_y'], rows)}

    def placements(self):
        """{flag: epoch} of the placements of before_epoch (PLACEMENT_FLAGS; 0: never)."""
        return {name: getattr(self.config, name) for name in PLACEMENT_FLAGS}

    def reshape_epochs(self):
        """The placements of before_epoch, and the release of the clusters it gives, that a run of --epochs
        reaches."""
        cfg = self.config
        epochs = (cfg.kmeans_init_epoch,) + tsne_placement_epochs(cfg) + (self.release_epoch,)
        return tuple(e for e in epochs if 0 < e < cfg.epochs)

    def posterior_z(self, x):
        """The mean and log-variance of q(z|x) of images x (N, H, W, C): two (N, z_dim) float32 arrays."""
        encoded = self.predict(lambda images: tf.concat(self.graph.encode(images)[:2], axis=1), x)
        return np.split(encoded, 2, axis=1)

    def place(self, epoch, z_mean, z_log_var, members, source):
        """Place component k on the images whose `members` (N,) entry is k, from their posterior z_mean and
        z_log_var (N, z_dim): the mean of their means, and a spread of the variance of those means plus their
        mean posterior variance (both (K, z_dim))."""
        K = self.graph.K_clusters
        z_mean, z_log_var = z_mean.astype(np.float64), z_log_var.astype(np.float64)
        means = np.stack([z_mean[members == k].mean(axis=0) for k in range(K)])
        variances = np.stack([z_mean[members == k].var(axis=0) + np.exp(z_log_var[members == k]).mean(axis=0)
                              for k in range(K)])
        self.graph.place_components(means, variances)
        self.log.info(f'Epoch {epoch}: the {K} components of p(z|w,y) placed on {source} '
                      f'(sizes {np.bincount(members, minlength=K).tolist()}).')

    def image_columns(self, x, split):
        """The cluster of each image, argmax_k q(y=k|x), and its probability q(y=cluster|x)."""
        log_odds = self.test_posterior_log_odds if split == 'test' else self.posterior_log_odds(x)
        return {'cluster': log_odds.argmax(axis=1), 'probability': expit(log_odds.max(axis=1))}

    def extra_metrics(self, metrics):
        """clusters_in_use, the mean probability of the assigned cluster and `collapsed` (1 when `collapse` finds the
        mixture collapsed, which the log then says in one line); with labels, the clustering scores:
        accuracy_paper (the GMVAE paper's protocol, utils.metrics.paper_accuracy, on p(y|w,z) at the posterior
        means), accuracy_paper_posterior (the same protocol on q(y|x), which also assigns the images),
        accuracy_many_to_one (majority vote), accuracy_hungarian (one-to-one), nmi, ari."""
        found = {'test/clusters_in_use': int(len(np.unique(self.test_clusters))),
                 'test/cluster_confidence': float(self.test_probabilities.max(axis=1).mean())}
        warning = collapse(metrics['test/kl_y'], found['test/clusters_in_use'], self.graph.K_clusters)
        found['test/collapsed'] = int(warning is not None)
        if warning:
            self.log.warning(warning)
        y = self.data.test.y
        if y is not None:
            found.update({f'test/{name}': value for name, value in clustering_scores(y, self.test_clusters).items()})
            found['test/accuracy_paper'] = paper_accuracy(y, self.test_log_odds)
            found['test/accuracy_paper_posterior'] = paper_accuracy(y, self.test_posterior_log_odds)
        return found

    def posterior_log_odds(self, x, samples=POSTERIOR_SAMPLES, key=None):
        """log q(y=k|x) - log q(y!=k|x) for images x (N, H, W, C) -> (N, K), from `samples` draws of (w, z) each.

        The draws are keyed by `key` (default --seed) and the image offset (`predict`), so the same
        weights give the same numbers. Each call takes as many images as keep its largest arrays,
        (samples, B, K, z_dim) for p(z|w,y) and (samples, B, K, K) for the masked sums of p(y|w,z),
        within POSTERIOR_BYTES.
        """
        K = self.graph.K_clusters
        batch = max(1, min(EVAL_BATCH, POSTERIOR_BYTES // (4 * samples * K * max(self.graph.z_dim, K))))
        key = self.config.seed if key is None else key
        return self.predict(lambda images: self.graph.posterior_cluster_log_odds(images, samples), x,
                            batch=batch, key=key).astype(np.float64)

    def projector_metadata(self, n):
        """The base column (true label, or index without labels) and the assigned cluster."""
        return {**super().projector_metadata(n), 'cluster': [int(k) for k in self.test_clusters[:n]]}

    def summarize_latents(self, x):
        """Histograms of p(y|w,z) and of the assigned clusters of a validation batch x (B, H, W, C)."""
        probabilities = self.graph.cluster_probabilities(tf.constant(x))
        clusters = tf.argmax(probabilities, axis=1)
        tf.summary.histogram('latent/cluster_probabilities', probabilities)
        tf.summary.histogram('latent/cluster_assignment', clusters, buckets=self.graph.K_clusters)
        tf.summary.scalar('latent/clusters_in_use', tf.size(tf.unique(clusters).y))

    def make_figures(self, vis):
        """The base figures plus generated images per cluster, test images and latent space by cluster, usage,
        and with labels the confusion matrix of clusters against labels."""
        paths = super().make_figures(vis)
        K = self.graph.K_clusters
        generated = np.stack([np.asarray(self.graph.sample_cluster(SAMPLES_PER_CLUSTER, k)) for k in range(K)])
        paths += vis.cluster_samples(generated)
        paths.append(vis.clusters_overview(generated))
        confident = np.argsort(-self.test_probabilities.max(axis=1), kind='stable')   # most confident members first
        paths.append(vis.test_images_by_cluster(self.x_test[confident], self.test_clusters[confident], K))
        paths.append(vis.latent_space_by_cluster(self.test_z, self.test_clusters, seed=self.config.seed))
        paths.append(vis.cluster_usage(self.test_clusters, K))
        if self.data.test.y is not None:
            paths.append(vis.cluster_confusion(self.test_clusters, self.data.test.y, K))
        # The original's figures: reconstructions with p(y|x), and the scatter plots of w (z is in the base's).
        x = self.x_test[:RECONSTRUCTION_ROWS]
        paths.append(vis.reconstructions_with_clusters(x, self.predict(self.graph.reconstruct, x),
                                                       self.test_probabilities[:RECONSTRUCTION_ROWS]))
        test_w = self.predict(lambda x: self.graph.encode(x)[2], self.x_test)
        paths.append(vis.scatter(test_w, *self.scatter_colours(), symbol='w', seed=self.config.seed))
        return paths

    def scatter_colours(self):
        """Colours of the scatter plots of z and w: the true labels, or without labels the assigned clusters."""
        if self.data.test.y is not None:
            return self.data.test.y, 'label'
        return self.test_clusters, 'cluster'
