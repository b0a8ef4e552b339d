"""The four model types of the spec and what each one is made of."""
from typing import NamedTuple


class ModelType(NamedTuple):
    family: str    # 'VAE' or 'GMVAE': which main trains it
    prefix: str    # first field of the run name
    network: str   # 'dense' or 'cnn'


MODEL_TYPES = {
    0: ModelType('VAE', 'V', 'dense'),
    1: ModelType('VAE', 'VC', 'cnn'),
    2: ModelType('GMVAE', 'GMV', 'dense'),
    3: ModelType('GMVAE', 'GMVC', 'cnn'),
}


def model_types_of(family):
    """Model-type numbers trained by `family` ('VAE' or 'GMVAE')."""
    return sorted(k for k, v in MODEL_TYPES.items() if v.family == family)


# Where --drop_prob acts (base/base_graph.py): nowhere, after the hidden dense layers, or on the input pixels.
DROPOUT_PLACES = ('none', 'hidden', 'input')
