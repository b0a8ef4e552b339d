"""Command line of VAE_main.py and GMVAE_main.py (the flags of the spec, plus a few).

Flags take 0/1 as in the spec's examples. Any invalid value ends the program with
exit status 2 and one sentence on stderr: never a traceback.
"""
import argparse
import math
import re
import sys

from utils.constants import DROPOUT_PLACES, MODEL_TYPES, model_types_of
from utils.distribute import CHOICES as DISTRIBUTE_CHOICES
from utils.early_stopping import MIN_GAIN

DATASETS = ('MNIST', 'FREY')
LIKELIHOODS = ('gaussian', 'bernoulli')
LR_SCHEDULES = ('constant', 'cosine')
MAX_SIZE = 2 ** 31 - 1      # sizes become int32 tensor dimensions
DIRECTORIES = ('checkpoint_dir', 'result_dir', 'log_dir', 'data_dir')
MIN_SIDE, MAX_SIDE = 8, 4096   # image sides the networks take (utils/images.py MIN_SIDE)


class ArgumentParser(argparse.ArgumentParser):
    """argparse that reports an error as one line, `prog: error: sentence`, and exits 2."""

    def error(self, message):
        # Control characters (a newline in a value) would break the one line: show them escaped.
        message = ''.join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in message)
        sentence = message[0].upper() + message[1:]
        if not sentence.endswith('.'):
            sentence += '.'
        self.exit(2, f'{self.prog}: error: {sentence} See --help.\n')


def _flag(text):
    value = text.strip().lower()
    if value in ('1', 'true', 'yes'):
        return 1
    if value in ('0', 'false', 'no'):
        return 0
    raise argparse.ArgumentTypeError(f"expected 0 or 1, got '{text}'")


def _finite_float(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got '{text}'") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number, got '{text}'")
    return value


def _image_size(text):
    match = re.fullmatch(r'\s*(\d+)\s*[xX]\s*(\d+)\s*', text)
    if not match:
        raise argparse.ArgumentTypeError(f"expected HxW, such as 32x32, got '{text}'")
    height, width = int(match.group(1)), int(match.group(2))
    if not MIN_SIDE <= min(height, width) or max(height, width) > MAX_SIDE:
        raise argparse.ArgumentTypeError(f'image sides must be {MIN_SIDE} to {MAX_SIDE} pixels, got {text}')
    return f'{height}x{width}'


# The original's defaults, which MNIST and FREY keep, and those of a GMVAE on your own images, chosen on
# benchmarks/clustering_suite.py (docs/clustering.md): the flags the user does not give take them.
ORIGINAL_DEFAULTS = {'epochs': 20, 'sigma': 0.1, 'z_dim': 3, 'w_dim': 3, 'hidden_dim': 50, 'y_prior_threshold': 0.0,
                     'kmeans_init_epoch': 0, 'tsne_init_epoch': 0, 'tsne_repeat_epochs': 0, 'tsne_label_epochs': 0}
OWN_IMAGES_DEFAULTS = {'epochs': 100, 'sigma': 0.01, 'z_dim': 10, 'w_dim': 4, 'hidden_dim': 256,
                       'kmeans_init_epoch': 10, 'tsne_init_epoch': 30, 'tsne_repeat_epochs': 15,
                       'tsne_label_epochs': 70}
FREE_BITS_SHARE = 0.5   # own images: --y_prior_threshold = this x log K nats
PLACEMENT_FLAGS = ('kmeans_init_epoch', 'tsne_init_epoch')   # a GMVAE's placements of its mixture (epochs; 0: never)
# A GMVAE's flags that act on the ELBO's KL terms, which the IWAE objective of --iw_train_samples > 1 has not:
# refused with it, and 0 by default under it. Each says what it does.
ELBO_KL_FLAGS = {'y_prior_threshold': "bounds the ELBO's kl_y",
                 'tsne_label_epochs': "gives clusters to the ELBO's kl_z and kl_y"}


def tsne_placement_epochs(cfg):
    """The epochs (0-based, below --epochs) before which a GMVAE places its mixture on t-SNE + k-means of z:
    --tsne_init_epoch (0: never) and every --tsne_repeat_epochs after it (0: once)."""
    if not cfg.tsne_init_epoch:
        return ()
    return tuple(range(cfg.tsne_init_epoch, cfg.epochs, cfg.tsne_repeat_epochs or cfg.epochs))   # --epochs >= 1


def original_flags(*leave_out):
    """The original's defaults as flags, '--z_dim=3' ..., but those named in leave_out: they give a GMVAE on your
    own images the settings it would have on MNIST (benchmarks that compare the two routes)."""
    return [f'--{name}={value}' for name, value in ORIGINAL_DEFAULTS.items() if name not in leave_out]


def _default(flag, family):
    """The help text's default of a flag, from ORIGINAL_DEFAULTS and (a GMVAE's) OWN_IMAGES_DEFAULTS:
    'default 3; 10 for your own images'."""
    text = f'default {ORIGINAL_DEFAULTS[flag]:g}'
    if family == 'GMVAE' and flag in OWN_IMAGES_DEFAULTS:
        text += f'; {OWN_IMAGES_DEFAULTS[flag]:g} for your own images'
    return text


def fill_defaults(args, family):
    """Give the flags left unset (None) their default: the original's, or for a GMVAE on a dataset other than
    MNIST and FREY the clustering defaults of OWN_IMAGES_DEFAULTS and FREE_BITS_SHARE (but the original's for
    the ELBO_KL_FLAGS under the IWAE objective)."""
    own = family == 'GMVAE' and args.dataset_name not in DATASETS
    iwae = args.iw_train_samples > 1
    for name, value in ORIGINAL_DEFAULTS.items():
        if getattr(args, name, value) is not None:
            continue
        if own and not (iwae and name in ELBO_KL_FLAGS):
            value = (round(FREE_BITS_SHARE * math.log(max(args.K_clusters, 1)), 4) if name == 'y_prior_threshold'
                     else OWN_IMAGES_DEFAULTS.get(name, value))
        setattr(args, name, value)


def build_parser(family):
    """Parser for the `family` main ('VAE' or 'GMVAE')."""
    default_type = model_types_of(family)[0]
    p = ArgumentParser(
        prog=f'{family}_main.py',
        description=f'Train, restore, evaluate and visualise a {family} (TensorFlow 2).',
        epilog='Defaults are those of the original TF1 code (psanch21/VAE-GMVAE) wherever its README is silent; '
               'docs/defaults.md gives the reason for each.')
    model = p.add_argument_group('model and training')
    model.add_argument('--model_type', type=int, default=default_type,
                       help=f'architecture: {", ".join(f"{k}={v.family} {v.network}" for k, v in MODEL_TYPES.items() if v.family == family)} (default {default_type})')
    model.add_argument('--dataset_name', default='MNIST',
                       help='MNIST, FREY (any case), or NAME for your own images: the folder DATA_DIR/NAME (one '
                            'subfolder per class, or none) or the array file DATA_DIR/NAME.npz (default MNIST)')
    model.add_argument('--image_size', type=_image_size, default=None,
                       help='HxW (e.g. 32x32): resize every image to H x W pixels (default: their own size, '
                            'which must then be the same for all)')
    model.add_argument('--channels', type=int, choices=(1, 3), default=None,
                       help='1 (grayscale) or 3 (colour) channels (default: 1 if every image is grayscale, else 3)')
    # Defaults: the original code's wherever its README is silent (docs/defaults.md).
    model.add_argument('--epochs', type=int, default=None,
                       help='number of training epochs in total; a restored run continues up to it '
                            f'({_default("epochs", family)})')
    model.add_argument('--batch_size', type=int, default=64, help='images per training step (default 64)')
    model.add_argument('--sigma', type=_finite_float, default=None,
                       help=f'variance of the Gaussian p(x|z) ({_default("sigma", family)}; the spec examples '
                            'give 0.001)')
    model.add_argument('--learning_rate', '--l_rate', dest='learning_rate', type=_finite_float,
                       default=0.001, help='Adam learning rate; --l_rate is an alias (default 0.001)')
    model.add_argument('--z_dim', type=int, default=None,
                       help=f'dimension of the latent variable z ({_default("z_dim", family)})')
    if family == 'GMVAE':
        model.add_argument('--w_dim', type=int, default=None,
                           help=f'dimension of the latent variable w ({_default("w_dim", family)})')
        model.add_argument('--K_clusters', type=int, default=10,
                           help='number of mixture components of p(z|w,y) (default 10)')
        model.add_argument('--y_prior_threshold', type=_finite_float, default=None,
                           help='free-bits lower bound (nats) on the y-prior term KL(p(y|w,z)||U(K)); 0 = off '
                                f'({_default("y_prior_threshold", family)}; {FREE_BITS_SHARE:g} x log K for your own '
                                'images)')
        model.add_argument('--kmeans_init_epoch', type=int, default=None,
                           help='after this many epochs, place the K components of p(z|w,y) on k-means of the '
                                f'training images (each at its members\' z) and train on (0: never; '
                                f'{_default("kmeans_init_epoch", family)})')
        model.add_argument('--tsne_init_epoch', type=int, default=None,
                           help='after this many epochs, place them again, on t-SNE + k-means of the training '
                                f'images\' posterior means of z (0: never; {_default("tsne_init_epoch", family)})')
        model.add_argument('--tsne_repeat_epochs', type=int, default=None,
                           help='place them so again every this many epochs after the first t-SNE placement, each '
                                'time from the z of then (0: once; '
                                f'{_default("tsne_repeat_epochs", family)})')
        model.add_argument('--tsne_label_epochs', type=int, default=None,
                           help='for this many epochs after the first t-SNE placement, train each placed image with '
                                'its latest t-SNE cluster as y given, so that the encoder makes those clusters '
                                f'Gaussian (0: never; {_default("tsne_label_epochs", family)})')
    model.add_argument('--hidden_dim', type=int, default=None,
                       help=f'units of each dense layer ({_default("hidden_dim", family)})')
    model.add_argument('--num_layers', type=int, default=2, help='hidden dense layers in each network (default 2)')
    model.add_argument('--likelihood', choices=LIKELIHOODS, default='gaussian',
                       help='p(x|z): gaussian with variance --sigma (the spec), or bernoulli on '
                            'dynamically binarised images (the setting of published MNIST likelihoods)')
    model.add_argument('--drop_prob', type=_finite_float, default=0.0,
                       help='dropout probability in [0, 1), applied where --dropout_on says (default 0)')
    model.add_argument('--dropout_on', choices=DROPOUT_PLACES, default='none',
                       help='where --drop_prob acts: none (default, as in the original, whose dropout was never '
                            'switched on; the spec examples train well only so), hidden (after every hidden dense '
                            'layer) or input (the encoder input pixels: a denoising VAE)')
    model.add_argument('--beta', type=_finite_float, default=1.0,
                       help='weight of the KL terms in the training objective (beta-VAE); 1 = the ELBO (default 1)')
    model.add_argument('--warmup_epochs', type=int, default=0,
                       help='KL warm-up: the weight of the KL terms rises linearly from 0 to --beta over this many '
                            'epochs (Sonderby et al. 2016); early stopping waits for its end (default 0: none)')
    model.add_argument('--lr_schedule', choices=LR_SCHEDULES, default='constant',
                       help='Adam learning rate over the run: constant (default, as in the original) or cosine '
                            '(annealed from --learning_rate to 0 over --epochs, Loshchilov & Hutter 2017)')
    model.add_argument('--iw_train_samples', type=int, default=1,
                       help='importance samples per image in the training objective: 1 = the ELBO (default), '
                            'k > 1 = the IWAE bound of Burda et al. (2016), about k times the cost per step')
    model.add_argument('--mc_samples', type=int, default=1,
                       help='Monte Carlo samples of the latents per image in the -ELBO (the GMVAE paper\'s M; '
                            'default 1, as in the original): M decoder passes per image, one encoder pass')
    model.add_argument('--seed', type=int, default=0, help='random seed: same seed, same machine, same run (default 0)')

    dirs = p.add_argument_group('directories')
    dirs.add_argument('--checkpoint_dir', default='experiments/checkpoint', help='root of the checkpoints')
    dirs.add_argument('--result_dir', default='experiments/results', help='root of the figures and metrics')
    dirs.add_argument('--log_dir', default='experiments/summary', help='root of the TensorBoard summaries and log files')
    dirs.add_argument('--data_dir', default='data', help='folder holding (or receiving) the dataset files')

    flags = p.add_argument_group('what to do (0 or 1)')
    flags.add_argument('--train', type=_flag, default=1, help='train the model')
    flags.add_argument('--summary', type=_flag, default=1, help='write TensorBoard summaries')
    flags.add_argument('--restore', type=_flag, default=0,
                       help='continue from the newest checkpoint of this run (a results-only run, --train=0, '
                            'loads it whatever this says)')
    flags.add_argument('--overwrite', type=_flag, default=0,
                       help='start this run over although its folders hold an earlier one: that one is set aside '
                            'in NAME.set-aside-DATE folders, not deleted (for --train=0, only its results)')
    flags.add_argument('--plot', type=_flag, default=0,
                       help='with --results=1, also show the figures on screen, one window each (without a '
                            'display it says so in one line)')
    flags.add_argument('--results', type=_flag, default=0,
                       help='evaluate on the test set: write metrics.json and save every figure as PNG')
    flags.add_argument('--skip_bad_images', type=_flag, default=0,
                       help='leave out the files of your image folder that cannot be decoded (listed in the log '
                            'and in the run folder) instead of refusing the folder')
    flags.add_argument('--early_stopping', type=_flag, default=1,
                       help='stop when the validation loss stops improving (the rule: --patience and --min_delta); '
                            'training then ends on the weights of its best epoch')
    flags.add_argument('--patience', type=int, default=15,
                       help='epochs without an improvement of more than --min_delta before early stopping (default 15)')
    flags.add_argument('--min_delta', type=_finite_float, default=MIN_GAIN,
                       help=f'smallest fall of the validation loss, in nats, that counts as an improvement '
                            f'(default {MIN_GAIN}, the original\'s)')
    flags.add_argument('--iw_samples', type=int, default=1000,
                       help='importance samples per test image for the IWAE estimate of log p(x) '
                            'in the results (test/nll_iwae; default 1000; 0 skips it)')
    flags.add_argument('--iw_images', type=int, default=None,
                       help='test images in the IWAE estimate, N spread evenly over the test set (default: all '
                            'for the dense models, 100 for the CNNs, so that a results run takes under a minute '
                            'on 2 CPU cores; 0: all, the estimate of the literature)')
    p.add_argument('--predict', default=None, metavar='PATH',
                   help='restore the run and write predictions_<name>.csv for the images of the folder or .npz '
                        'file PATH (their cluster, or latent mean); nothing else of the run changes')
    p.add_argument('--distribute', choices=DISTRIBUTE_CHOICES, default='none',
                   help='tf.distribute strategy: none (one device), mirrored (all GPUs, or all logical CPUs, of '
                        'this machine) or multiworker (machines listed in TF_CONFIG); --batch_size is the '
                        'global batch, split over the replicas')
    p.add_argument('--verbose', type=_flag, default=0,
                   help="show TensorFlow's own start-up and log lines (hidden by default, whatever "
                        'TF_CPP_MIN_LOG_LEVEL says, unless it is 0)')
    p.add_argument('--extra', default='', help='extra text appended to the run name')
    return p


def _check(args, family):
    """Return the first problem with `args` as a sentence, or None."""
    allowed = model_types_of(family)
    if args.model_type not in MODEL_TYPES:
        return f'--model_type must be one of {allowed} for {family}_main.py, got {args.model_type}'
    if args.model_type not in allowed:
        other = MODEL_TYPES[args.model_type].family
        return (f'--model_type={args.model_type} is a {other} model: run it with {other}_main.py '
                f'({family}_main.py takes {allowed})')
    if args.dataset_name.upper() in DATASETS:
        args.dataset_name = args.dataset_name.upper()
    elif not re.fullmatch(r'[^\W][\w.-]*', args.dataset_name):
        return (f'--dataset_name must be MNIST, FREY or the name of a folder or .npz file in --data_dir (letters, '
                f'digits, ".", "_" and "-"), got {args.dataset_name!r}')
    fill_defaults(args, family)
    sizes = ['epochs', 'batch_size', 'z_dim', 'hidden_dim', 'num_layers', 'patience', 'iw_train_samples',
             'mc_samples']
    if family == 'GMVAE':
        sizes += ['w_dim', 'K_clusters']
    for name in sizes:
        if getattr(args, name) < 1:
            return f'--{name} must be a positive integer, got {getattr(args, name)}'
    for name in sizes + ['iw_samples'] + (['iw_images'] if args.iw_images is not None else []):
        if getattr(args, name) > MAX_SIZE:
            return f'--{name} must be at most {MAX_SIZE}, got {getattr(args, name)}'
    if family == 'GMVAE' and args.K_clusters < 2:
        return f'--K_clusters must be at least 2 for a mixture, got {args.K_clusters}'
    if family == 'GMVAE' and args.y_prior_threshold < 0:
        return f'--y_prior_threshold must be >= 0 nats, got {args.y_prior_threshold}'
    if family == 'GMVAE' and args.iw_train_samples > 1:
        for name, action in ELBO_KL_FLAGS.items():
            if getattr(args, name) > 0:
                return (f'--{name} {action}, which the IWAE objective of --iw_train_samples > 1 does not have: '
                        'give one of them')
    if args.mc_samples > 1 and args.iw_train_samples > 1:
        return ('--mc_samples averages the ELBO, which the IWAE objective of --iw_train_samples > 1 replaces '
                '(with its own samples): give one of them')
    if family == 'GMVAE':
        for name in PLACEMENT_FLAGS + ('tsne_repeat_epochs', 'tsne_label_epochs'):
            if getattr(args, name) < 0:
                return f'--{name} must be >= 0 (0: never), got {getattr(args, name)}'
        if args.kmeans_init_epoch and args.kmeans_init_epoch in tsne_placement_epochs(args):
            return (f'--kmeans_init_epoch and the t-SNE placements (--tsne_init_epoch, --tsne_repeat_epochs) both '
                    f'place the mixture at epoch {args.kmeans_init_epoch}: give them different epochs, or 0 to one '
                    'of them')
    if args.warmup_epochs < 0:
        return f'--warmup_epochs must be >= 0 (0: no warm-up), got {args.warmup_epochs}'
    if args.iw_samples < 0:
        return f'--iw_samples must be >= 0 (0 skips the log-likelihood estimate), got {args.iw_samples}'
    if args.iw_images is not None and args.iw_images < 0:
        return f'--iw_images must be >= 0 (0: the whole test set), got {args.iw_images}'
    if args.sigma <= 0:
        return f'--sigma is a variance and must be > 0, got {args.sigma}'
    if args.min_delta < 0:
        return f'--min_delta must be >= 0 nats, got {args.min_delta}'
    if args.beta < 0:
        return f'--beta weights the KL terms and must be >= 0, got {args.beta}'
    if args.learning_rate <= 0:
        return f'--learning_rate must be > 0, got {args.learning_rate}'
    if not 0 <= args.drop_prob < 1:
        return f'--drop_prob must be in [0, 1), got {args.drop_prob}'
    if not 0 <= args.seed < 2 ** 32:
        return f'--seed must be in 0..{2 ** 32 - 1}, got {args.seed}'
    for name in DIRECTORIES:
        folder = getattr(args, name)
        if not folder or not folder.isprintable():
            return f'--{name} must be a non-empty path without control or undecodable characters, got {folder!r}'
    if not re.fullmatch(r'[A-Za-z0-9_.-]*', args.extra):
        return f'--extra may hold only letters, digits, ".", "_" and "-", got {args.extra!r}'
    if args.predict is not None and not args.predict:
        return '--predict needs a folder or .npz file'
    if args.predict:
        args.train, args.results = 0, 0   # a prediction restores the run and changes nothing of it
    elif not (args.train or args.results):
        return 'nothing to do: give --train=1, --results=1 or --predict=PATH'
    if args.train and args.restore and args.overwrite:
        return '--overwrite=1 starts the run over and --restore=1 continues it: give only one of them'
    return None


def parse_args(family, argv=None):
    """Parse and validate `argv` (default sys.argv[1:]); exits with status 2 on bad input."""
    parser = build_parser(family)
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    # argparse turns a value of '--' (as in --batch_size=--) into an empty list instead of refusing it.
    empty = [name for name, value in vars(args).items() if isinstance(value, list)]
    problem = f"--{empty[0]} needs a value, got '--'" if empty else _check(args, family)
    if problem:
        parser.error(problem)
    args.family = family
    return args


def run_name(args):
    """Run name of the spec: e.g. V_MNIST_0001_8_64_2 (VAE) or GMV_MNIST_0001_8_2_64_2_10 (GMVAE)."""
    fields = [MODEL_TYPES[args.model_type].prefix, args.dataset_name,
              str(args.sigma).replace('.', ''), str(args.z_dim)]
    if args.family == 'GMVAE':
        fields.append(str(args.w_dim))
    fields += [str(args.hidden_dim), str(args.num_layers)]
    if args.family == 'GMVAE':
        fields.append(str(args.K_clusters))
    if args.likelihood != 'gaussian':
        fields.append(args.likelihood)
    if args.extra:
        fields.append(args.extra)
    return '_'.join(fields)
