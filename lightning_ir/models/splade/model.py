"""SPLADE-style learned sparse bi-encoder (Formal et al., SIGIR 2021)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file
from transformers import BatchEncoding
from transformers import initialization as init

from ...base.layouts import CheckpointFiles
from ...base.loading import WEIGHT_FILES, check_model_path, naming_damaged_files
from ...bi_encoder.embedding import BiEncoderEmbedding
from ...bi_encoder.model import BiEncoderModel
from ...options import EncoderSide, PoolingStrategy
from .config import SpladeConfig
from .pooling import pool_vocabulary
from .sparse_encoder import local_subfolder, read_sparse_encoder

_HUB_KEYS = ("revision", "cache_dir", "local_files_only", "token")


class SpladeModel(BiEncoderModel):
    """The learned sparse bi-encoder configured by :class:`SpladeConfig`.

    Pooled vectors are computed without materialising a batch's vocabulary logits (see
    :func:`~lightning_ir.models.splade.pooling.pool_vocabulary`); they are returned dense, ``(batch, 1, vocab)``,
    one row per text. With ``static_query_weights``, :attr:`query_weights` ``(vocab,)`` encodes the queries.

    Args:
        config: The model's configuration (with its ``backbone_config`` set).
    """

    config_class = SpladeConfig
    config: SpladeConfig
    query_weights: torch.nn.Parameter | None
    added_input_ids: torch.Tensor | None

    def __init__(self, config: SpladeConfig, *args: Any, **kwargs: Any) -> None:
        super().__init__(config, *args, **kwargs)
        self.query_weights = None
        if config.static_query_weights:
            weights = torch.ones(self.backbone_config.vocab_size, device=self.device)
            self.query_weights = torch.nn.Parameter(weights, requires_grad=not config.freeze_query_weights)
        self.register_buffer("added_input_ids", None, persistent=False)

    def _init_weights(self, module: torch.nn.Module) -> None:
        """Initialise the static query weights to one (as ``SparseStaticEmbedding`` does) when not loaded."""
        super()._init_weights(module)
        query_weights = getattr(self, "query_weights", None)
        if module is self and query_weights is not None:
            init.ones_(query_weights)

    @classmethod
    def from_pretrained(  # type: ignore[override]
        cls,
        pretrained_model_name_or_path: str | Path,
        *args: Any,
        config: SpladeConfig | None = None,
        **kwargs: Any,
    ) -> SpladeModel:
        """Load a saved SPLADE model, a sentence-transformers ``SparseEncoder`` folder, or a masked-LM checkpoint.

        A ``SparseEncoder`` folder (see :mod:`lightning_ir.models.splade.sparse_encoder`) is read from its own files:
        its transformer (and static query weights) are loaded and its modules' settings become the config, unless
        ``config`` is given. Anything else loads as :meth:`LightningIRModel.from_pretrained
        <lightning_ir.base.model.LightningIRModel.from_pretrained>` does; a bare masked-LM checkpoint (a naver SPLADE
        without ``modules.json``) keeps its trained MLM head.
        """
        path = check_model_path(
            pretrained_model_name_or_path, f"{cls.__name__}.from_pretrained", "pretrained_model_name_or_path"
        )
        files = CheckpointFiles(path, {key: kwargs[key] for key in _HUB_KEYS if key in kwargs})
        folder = None if "backbone_config" in files.config else read_sparse_encoder(files)
        if folder is None:
            return super(BiEncoderModel, cls).from_pretrained(path, *args, config=config, **kwargs)
        backbone_path = local_subfolder(files, folder.backbone_subfolder)
        model = super(BiEncoderModel, cls).from_pretrained(
            backbone_path, *args, config=config if config is not None else folder.config(), **kwargs
        )
        if folder.query_subfolder is not None and model.query_weights is not None:
            model.load_query_weights(local_subfolder(files, folder.query_subfolder))
        model.config.name_or_path = path
        return model

    def load_query_weights(self, directory: str | Path) -> None:
        """Copy the weights of a sentence-transformers ``SparseStaticEmbedding`` folder into :attr:`query_weights`.

        Raises:
            ValueError: If the model has no static query weights, the folder has no weight file, or its ``weight``
                does not have one value per vocabulary token (naming the folder).
        """
        directory = Path(directory)
        if self.query_weights is None:
            raise ValueError(f"{type(self).__name__}: the config does not set static_query_weights=True")
        with naming_damaged_files(str(directory), f"{type(self).__name__}.load_query_weights", WEIGHT_FILES):
            if (directory / "model.safetensors").is_file():
                state = load_file(str(directory / "model.safetensors"))
            elif (directory / "pytorch_model.bin").is_file():
                state = torch.load(directory / "pytorch_model.bin", map_location="cpu", weights_only=True)
            else:
                raise ValueError(
                    f"{directory}: no model.safetensors or pytorch_model.bin with the static query weights"
                )
        weight = state.get("weight")
        if not isinstance(weight, torch.Tensor) or tuple(weight.shape) != tuple(self.query_weights.shape):
            found = None if not isinstance(weight, torch.Tensor) else tuple(weight.shape)
            raise ValueError(
                f"{directory}: expected a 'weight' tensor of shape {tuple(self.query_weights.shape)} (one value per "
                f"vocabulary token of the document transformer), found {found}"
            )
        with torch.no_grad():
            self.query_weights.copy_(weight.to(self.query_weights.dtype))

    def set_mask_scoring_input_ids(self, tokenizer: Any) -> None:
        """Resolve the scoring-mask tokens, and note the tokens the tokenizer adds around a text.

        Static query weights are not looked up for those (``[CLS]``, ``[SEP]``, marker tokens): sentence-transformers'
        ``SparseStaticEmbedding`` tokenises queries without special tokens.
        """
        super().set_mask_scoring_input_ids(tokenizer)
        backbone_tokenizer = getattr(tokenizer, "tokenizer", tokenizer)
        added = set(backbone_tokenizer("", add_special_tokens=True)["input_ids"])
        if getattr(tokenizer, "add_marker_tokens", False):
            added |= set(backbone_tokenizer.convert_tokens_to_ids([tokenizer.query_token, tokenizer.doc_token]))
        self.added_input_ids = torch.tensor(sorted(added), dtype=torch.long, device=self.device)

    def encode_query(self, encoding: BatchEncoding) -> BiEncoderEmbedding:
        """Embed tokenised queries (by static weight lookup with ``static_query_weights``)."""
        if self.query_weights is None:
            return super().encode_query(encoding)
        return self._vocabulary_embedding(self._static_query_vectors(encoding, self.query_weights), encoding)

    def _static_query_vectors(self, encoding: BatchEncoding, weights: torch.Tensor) -> torch.Tensor:
        """``(queries, vocab)``: each distinct query token's static weight; added special tokens are skipped."""
        input_ids = encoding["input_ids"]
        keep = encoding["attention_mask"].bool()
        if self.added_input_ids is not None:
            keep = keep & ~torch.isin(input_ids, self.added_input_ids.to(input_ids.device))
        vocab_size = weights.shape[0]
        if input_ids.numel() and int(input_ids.max()) >= vocab_size:
            raise ValueError(
                f"{type(self).__name__}: token id {int(input_ids.max())} has no static query weight (the weights "
                f"cover {vocab_size} tokens)"
            )
        present = weights.new_zeros(input_ids.shape[0], vocab_size)
        present = present.scatter_reduce(1, input_ids, keep.to(present.dtype), "amax")
        return present * weights

    def _encode(
        self,
        encoding: BatchEncoding,
        expansion: bool = False,
        pooling_strategy: PoolingStrategy | None = None,
        mask_scoring_input_ids: torch.Tensor | None = None,
        side: EncoderSide = "query",
    ) -> BiEncoderEmbedding:
        """Embed a tokenised batch; pooled masked-LM vectors are computed chunk by chunk (see the class docstring)."""
        if self.config.projection != "mlm" or pooling_strategy is None:
            return super()._encode(encoding, expansion, pooling_strategy, mask_scoring_input_ids, side)
        hidden_states, head = self._encoder_forward(encoding, side)
        if head is None:
            raise ValueError(f"{type(self).__name__}: projection='mlm' but the model has no masked-LM head")

        def vocabulary_vectors(states: torch.Tensor) -> torch.Tensor:
            """``(tokens, vocab)`` sparsified masked-LM logits of token embeddings ``(tokens, hidden)``."""
            logits = head(states.unsqueeze(0)).squeeze(0)
            return self._sparsification(logits, self.config.sparsification)

        chunk_size = self.config.logits_chunk_size
        attention_mask = encoding["attention_mask"]
        vectors = pool_vocabulary(hidden_states, attention_mask, vocabulary_vectors, pooling_strategy, chunk_size)
        return self._vocabulary_embedding(vectors, encoding)

    def _vocabulary_embedding(self, vectors: torch.Tensor, encoding: BatchEncoding) -> BiEncoderEmbedding:
        """The embedding of pooled ``(batch, vocab)`` vectors: top ``max_active_dims`` at inference, normalised."""
        if self.config.max_active_dims is not None and not self.training:
            vectors = _keep_largest(vectors, self.config.max_active_dims)
        if self.config.normalize:
            vectors = torch.nn.functional.normalize(vectors, dim=-1)
        scoring_mask = torch.ones((vectors.shape[0], 1), dtype=torch.bool, device=vectors.device)
        return BiEncoderEmbedding(vectors.unsqueeze(1), scoring_mask, encoding)


def _keep_largest(vectors: torch.Tensor, k: int) -> torch.Tensor:
    """``vectors`` ``(batch, dim)`` with all but the ``k`` entries of largest magnitude per row set to zero."""
    if k >= vectors.shape[-1]:
        return vectors
    indices = vectors.abs().topk(k, dim=-1).indices
    return torch.zeros_like(vectors).scatter(-1, indices, vectors.gather(-1, indices))
