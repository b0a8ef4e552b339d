"""Command line: the spec's flags, their validation (exit 2, one sentence) and the run names."""
import pytest

from utils.args import parse_args, run_name

SPEC_VAE = ('--model_type=0 --dataset_name=MNIST --sigma=0.001 --z_dim=8 --hidden_dim=64 --num_layers=2 '
            '--epochs=20 --batch_size=32 --drop_prob=0.3 --l_rate=0.01 --train=1 --results=1 --plot=1 '
            '--restore=1 --early_stopping=1').split()
SPEC_GMVAE = ('--model_type=3 --dataset_name=FREY --sigma=0.001 --z_dim=8 --w_dim=2 --K_clusters=8 '
              '--hidden_dim=64 --num_layers=2 --epochs=20 --batch_size=32 --drop_prob=0.3 --l_rate=0.01 '
              '--train=0 --results=1 --plot=1 --restore=1 --early_stopping=1').split()


def test_spec_examples_parse():
    args = parse_args('VAE', SPEC_VAE)
    assert (args.model_type, args.learning_rate, args.drop_prob, args.restore) == (0, 0.01, 0.3, 1)
    args = parse_args('GMVAE', SPEC_GMVAE)
    assert (args.model_type, args.dataset_name, args.K_clusters, args.w_dim, args.train) == (3, 'FREY', 8, 2, 0)


def test_learning_rate_and_l_rate_are_the_same_flag():
    assert parse_args('VAE', ['--learning_rate=0.5']).learning_rate == 0.5
    assert parse_args('VAE', ['--l_rate=0.25']).learning_rate == 0.25


def test_run_names_follow_the_spec():
    assert run_name(parse_args('VAE', SPEC_VAE)) == 'V_MNIST_0001_8_64_2'
    assert run_name(parse_args('VAE', SPEC_VAE[1:] + ['--model_type=1', '--extra=try2'])) == 'VC_MNIST_0001_8_64_2_try2'
    assert run_name(parse_args('GMVAE', SPEC_GMVAE)) == 'GMVC_FREY_0001_8_2_64_2_8'
    assert run_name(parse_args('VAE', ['--likelihood=bernoulli'])) == 'V_MNIST_01_3_50_2_bernoulli'   # the defaults


@pytest.mark.parametrize('family, argv, words', [
    ('VAE', ['--model_type=2'], 'GMVAE_main.py'),
    ('VAE', ['--model_type=7'], 'model_type'),
    ('GMVAE', ['--model_type=0'], 'VAE_main.py'),
    ('VAE', ['--dataset_name=../CIFAR'], 'name of a folder or .npz file'),
    ('VAE', ['--dataset_name=.hidden'], 'name of a folder or .npz file'),
    ('VAE', ['--image_size=32'], 'expected HxW'),
    ('VAE', ['--image_size=4x32'], 'image sides must be 8 to 4096'),
    ('VAE', ['--channels=2'], 'invalid choice'),
    ('VAE', ['--predict='], '--predict needs a folder'),
    ('VAE', ['--sigma=0'], 'sigma'),
    ('VAE', ['--sigma=-1'], 'sigma'),
    ('VAE', ['--sigma=nan'], 'finite'),
    ('VAE', ['--drop_prob=1'], 'drop_prob'),
    ('VAE', ['--drop_prob=-0.1'], 'drop_prob'),
    ('VAE', ['--batch_size=0'], 'batch_size'),
    ('VAE', ['--z_dim=-3'], 'z_dim'),
    ('VAE', ['--epochs=0'], 'epochs'),
    ('VAE', ['--hidden_dim=abc'], 'hidden_dim'),
    ('VAE', ['--train=2'], '0 or 1'),
    ('VAE', ['--l_rate=0'], 'learning_rate'),
    ('VAE', ['--train=0', '--results=0'], 'Nothing to do'),
    ('VAE', ['--extra=a/b'], 'extra'),
    ('VAE', ['--K_clusters=4'], 'Unrecognized'),
    ('GMVAE', ['--K_clusters=1'], 'K_clusters'),
    ('GMVAE', ['--w_dim=0'], 'w_dim'),
    ('VAE', ['--batch_size=--'], 'needs a value'),
    ('VAE', ['--extra=--'], 'needs a value'),
])
def test_bad_values_exit_2_with_one_sentence(family, argv, words, capsys):
    with pytest.raises(SystemExit) as exit_info:
        parse_args(family, argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1, err
    assert words in err
    assert 'Traceback' not in err
