"""Base classes of every Lightning IR model."""

from .adapters import LoraAdapterConfig
from .config import LightningIRConfig
from .model import LightningIRModel
from .module import LightningIRModule
from .outputs import LightningIROutput
from .tokenizer import LightningIRTokenizer

__all__ = [
    "LightningIRConfig",
    "LightningIRModel",
    "LightningIRModule",
    "LightningIROutput",
    "LightningIRTokenizer",
    "LoraAdapterConfig",
]
