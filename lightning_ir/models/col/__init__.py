"""ColBERT-style multi-vector bi-encoders, and the published ColBERT checkpoints they load.

:class:`ColConfig` / :class:`ColModel` are the model. Published checkpoints are recognised from their files
(:data:`COLBERT_IR_LAYOUT` for colbert-ai's ``HF_ColBERT`` checkpoints such as ``colbert-ir/colbertv2.0``,
:data:`PYLATE_LAYOUT` for PyLate folders) and load, through ``BiEncoderModule(name_or_path)``, as a :class:`ColModel`
that encodes and scores as the family's own code does.
"""

from .colbert_ir import COLBERT_IR_LAYOUT
from .config import ColConfig
from .model import ColModel
from .pylate import PYLATE_LAYOUT

__all__ = ["COLBERT_IR_LAYOUT", "PYLATE_LAYOUT", "ColConfig", "ColModel"]
