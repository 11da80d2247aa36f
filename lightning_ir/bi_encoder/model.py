"""Bi-encoder models: queries and documents are embedded separately, then compared."""

from __future__ import annotations

import copy
import string
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import torch
from transformers import BatchEncoding, PreTrainedModel

from ..base.backbone import build_masked_lm, load_masked_lm
from ..base.layouts import ModelKind
from ..base.loading import check_model_path, read_json
from ..base.model import LightningIRModel
from ..base.outputs import LightningIROutput
from ..options import EncoderSide, PoolingStrategy
from ..precision import float32_scoring
from .config import BiEncoderConfig
from .embedding import BiEncoderEmbedding
from .scoring import ScoringFunction
from .sentence_transformers import find_sentence_transformers_dir, read_sentence_transformers
from .sentence_transformers_router import is_router_dir, load_router
from .untied import load_encoder_pair

__all__ = ["BiEncoderEmbedding", "BiEncoderModel", "BiEncoderOutput", "ScoringFunction"]


@dataclass
class BiEncoderOutput(LightningIROutput):
    """Output of a bi-encoder.

    Attributes:
        scores: ``(total_docs,)`` scores of each query's documents, flattened in query order (None when only one
            side was encoded).
        query_embeddings: The queries' embeddings.
        doc_embeddings: The documents' embeddings.
    """

    query_embeddings: BiEncoderEmbedding | None = None
    doc_embeddings: BiEncoderEmbedding | None = None


class BiEncoderModel(LightningIRModel):
    """A bi-encoder on top of any Hugging Face encoder backbone.

    :meth:`_encode` runs backbone -> ``projection`` -> ``_sparsification`` -> ``_pooling`` -> normalisation ->
    ``_scoring_mask``; :meth:`score` compares query and document embeddings with :class:`ScoringFunction`.

    Args:
        config: The bi-encoder's configuration (with its ``backbone_config`` set).
    """

    config_class: type[BiEncoderConfig] = BiEncoderConfig
    output_class: ClassVar[type[LightningIROutput]] = BiEncoderOutput
    checkpoint_kind: ClassVar[ModelKind | None] = "bi-encoder"
    config: BiEncoderConfig
    projection: torch.nn.Module | None
    doc_backbone: PreTrainedModel | None
    doc_projection: torch.nn.Module | None
    query_mask_scoring_input_ids: torch.Tensor | None
    doc_mask_scoring_input_ids: torch.Tensor | None

    def __init__(self, config: BiEncoderConfig, *args: Any, **kwargs: Any) -> None:
        super().__init__(config, *args, **kwargs)
        if config.projection != "mlm":
            self.projection = self._build_projection()
        self.doc_backbone, self.doc_projection = self._doc_encoder()
        self.scoring_function = ScoringFunction(config)
        self.register_buffer("query_mask_scoring_input_ids", None, persistent=False)
        self.register_buffer("doc_mask_scoring_input_ids", None, persistent=False)
        self.post_init()

    @classmethod
    def from_pretrained(  # type: ignore[override]
        cls,
        pretrained_model_name_or_path: str | Path,
        *args: Any,
        config: BiEncoderConfig | None = None,
        **kwargs: Any,
    ) -> BiEncoderModel:
        """Load a saved bi-encoder, a sentence-transformers model, or a plain backbone with fresh heads.

        A sentence-transformers directory (one with ``modules.json``) is read from its own files: pooling,
        normalisation, maximum length and Dense projection become the config, unless ``config`` is given; one that
        starts with a ``Router`` (query and document routes) loads with untied encoders. A ``config`` of a registered
        subclass (e.g. ``XTRConfig``) hands loading over to that subclass's model class.
        """
        path = check_model_path(
            pretrained_model_name_or_path, f"{cls.__name__}.from_pretrained", "pretrained_model_name_or_path"
        )
        hub_kwargs: dict[str, Any] = {
            k: kwargs[k] for k in ("revision", "cache_dir", "local_files_only", "token") if k in kwargs
        }
        detected = cls._detected_config(path, hub_kwargs) if config is None else None
        if isinstance(detected, BiEncoderConfig):
            return cls._model_class_for(detected).from_pretrained(path, *args, config=detected, **kwargs)
        if config is not None and (model_class := cls._model_class_for(config)) is not cls:
            return model_class.from_pretrained(path, *args, config=config, **kwargs)  # it may read its own files
        st_dir = find_sentence_transformers_dir(path, **hub_kwargs)
        if st_dir is not None and is_router_dir(st_dir):
            return load_router(cls, st_dir, config, **kwargs)
        if st_dir is None or not _is_plain_backbone(st_dir):
            return super().from_pretrained(path, *args, config=config, **kwargs)
        spec = read_sentence_transformers(st_dir)
        if config is None:
            config = cls.config_class(**spec.config_kwargs)
        model = super().from_pretrained(str(spec.backbone_path), *args, config=config, **kwargs)
        if spec.dense_weights is not None and model.projection is not None:
            model.projection.load_state_dict(spec.dense_weights)
            if model.doc_projection is not None:
                model.doc_projection.load_state_dict(spec.dense_weights)
        model.config.name_or_path = path
        return model

    @classmethod
    def from_pretrained_pair(
        cls, query_model_name_or_path: str | Path, doc_model_name_or_path: str | Path, **kwargs: Any
    ) -> BiEncoderModel:
        """A bi-encoder with untied encoders from two checkpoints: one for queries, one for documents.

        Each checkpoint is a DPR encoder (``DPRQuestionEncoder`` / ``DPRContextEncoder``) or anything
        :meth:`from_pretrained` loads with one encoder; both share one architecture and vocabulary. See
        :func:`~lightning_ir.bi_encoder.untied.load_encoder_pair` for the arguments.
        """
        return load_encoder_pair(cls, query_model_name_or_path, doc_model_name_or_path, **kwargs)

    def _build_backbone(self) -> PreTrainedModel:
        if self.config.projection != "mlm":
            return super()._build_backbone()
        backbone, self.projection = build_masked_lm(self.backbone_config)
        self.config.embedding_dim = self.backbone_config.vocab_size
        return backbone

    def _load_pretrained_backbone(self, model_name_or_path: str, **kwargs: Any) -> None:
        if self.config.projection != "mlm":
            super()._load_pretrained_backbone(model_name_or_path, **kwargs)
        else:
            self.backbone, self.projection = load_masked_lm(model_name_or_path, self.backbone_config, **kwargs)
            self.config.backbone_config = self.backbone.config
        self.doc_backbone, self.doc_projection = self._doc_encoder()

    def _doc_encoder(self) -> tuple[PreTrainedModel | None, torch.nn.Module | None]:
        """The documents' own backbone and projection (copies of the query side's); None for tied encoders."""
        if self.config.tie_encoders:
            return None, None
        return copy.deepcopy(self.backbone), copy.deepcopy(self.projection)

    def _build_projection(self) -> torch.nn.Module | None:
        hidden_size = self.backbone_config.hidden_size
        if self.config.projection is None:
            self.config.embedding_dim = hidden_size
            return None
        if self.config.embedding_dim is None:
            self.config.embedding_dim = hidden_size
        bias = self.config.projection == "linear"
        return torch.nn.Linear(hidden_size, self.config.embedding_dim, bias=bias)

    def set_mask_scoring_input_ids(self, tokenizer: Any) -> None:
        """Resolve ``query/doc_mask_scoring_tokens`` to token ids with ``tokenizer`` (called when it is loaded)."""
        for side in ("query", "doc"):
            tokens = getattr(self.config, f"{side}_mask_scoring_tokens")
            ids = None
            if tokens is not None:
                token_list = list(string.punctuation) if tokens == "punctuation" else list(tokens)
                vocab = tokenizer.get_vocab()
                found = sorted({vocab[token] for token in token_list if token in vocab})
                ids = torch.tensor(found, dtype=torch.long, device=self.device)
            setattr(self, f"{side}_mask_scoring_input_ids", ids)

    def forward(
        self,
        query_encoding: BatchEncoding | None,
        doc_encoding: BatchEncoding | None,
        num_docs: Sequence[int] | int | None = None,
    ) -> BiEncoderOutput:
        """Embed queries and/or documents and score each query against its documents.

        Args:
            query_encoding: Tokenised queries (or None).
            doc_encoding: Tokenised documents of all queries, flattened in query order (or None).
            num_docs: Documents per query; None splits the documents evenly.
        """
        query_embeddings = None if query_encoding is None else self.encode_query(query_encoding)
        doc_embeddings = None if doc_encoding is None else self.encode_doc(doc_encoding)
        scores = None
        if query_embeddings is not None and doc_embeddings is not None:
            scores = self.score(query_embeddings, doc_embeddings, num_docs)
        return BiEncoderOutput(scores=scores, query_embeddings=query_embeddings, doc_embeddings=doc_embeddings)

    def encode_query(self, encoding: BatchEncoding) -> BiEncoderEmbedding:
        """Embed tokenised queries."""
        return self._encode(
            encoding,
            expansion=self.config.query_expansion,
            pooling_strategy=self.config.query_pooling_strategy,
            mask_scoring_input_ids=self.query_mask_scoring_input_ids,
        )

    def encode_doc(self, encoding: BatchEncoding) -> BiEncoderEmbedding:
        """Embed tokenised documents (with the documents' own encoder when the encoders are untied)."""
        # ``side`` is passed only when untied, so that a subclass's ``_encode`` without it keeps working tied.
        untied: dict[str, Any] = {} if self.doc_backbone is None else {"side": "doc"}
        return self._encode(
            encoding,
            expansion=self.config.doc_expansion,
            pooling_strategy=self.config.doc_pooling_strategy,
            mask_scoring_input_ids=self.doc_mask_scoring_input_ids,
            **untied,
        )

    def _encode(
        self,
        encoding: BatchEncoding,
        expansion: bool = False,
        pooling_strategy: PoolingStrategy | None = None,
        mask_scoring_input_ids: torch.Tensor | None = None,
        side: EncoderSide = "query",
    ) -> BiEncoderEmbedding:
        """Embed a tokenised batch: backbone, projection, sparsification, pooling, normalisation, scoring mask.

        ``side="doc"`` runs the documents' own encoder when the encoders are untied.
        """
        embeddings, projection = self._encoder_forward(encoding, side)
        if projection is not None:
            embeddings = projection(embeddings)
        embeddings = self._sparsification(embeddings, self.config.sparsification)
        embeddings = self._pooling(embeddings, encoding["attention_mask"], pooling_strategy)
        if self.config.normalize:
            embeddings = torch.nn.functional.normalize(embeddings, dim=-1)
        scoring_mask = self._scoring_mask(
            encoding["input_ids"], encoding["attention_mask"], expansion, pooling_strategy, mask_scoring_input_ids
        )
        return BiEncoderEmbedding(embeddings, scoring_mask, encoding)

    def _encoder_forward(
        self, encoding: BatchEncoding, side: EncoderSide
    ) -> tuple[torch.Tensor, torch.nn.Module | None]:
        """The token embeddings ``(batch, seq, hidden)`` of ``side``'s backbone, and ``side``'s projection."""
        if side == "doc" and self.doc_backbone is not None:
            accepted = self._backbone_forward_arguments
            inputs = {key: value for key, value in encoding.items() if accepted is None or key in accepted}
            return self.doc_backbone(**inputs).last_hidden_state, self.doc_projection
        return self._backbone_forward(**encoding).last_hidden_state, self.projection

    def _scoring_mask(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor,
        expansion: bool,
        pooling_strategy: PoolingStrategy | None = None,
        mask_scoring_input_ids: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Which vectors take part in scoring: ``(batch, 1)`` when pooled, else ``(batch, seq)``.

        Padding is excluded unless the input was expanded (then every [MASK] token scores); tokens listed in
        ``mask_scoring_input_ids`` (e.g. punctuation) are excluded.
        """
        if pooling_strategy is not None:
            return torch.ones((input_ids.shape[0], 1), dtype=torch.bool, device=input_ids.device)
        mask = torch.ones_like(input_ids, dtype=torch.bool) if expansion else attention_mask.bool()
        if mask_scoring_input_ids is not None and mask_scoring_input_ids.numel():
            mask = mask & ~torch.isin(input_ids, mask_scoring_input_ids.to(input_ids.device))
        return mask

    def score(
        self,
        query_embeddings: BiEncoderEmbedding,
        doc_embeddings: BiEncoderEmbedding,
        num_docs: Sequence[int] | int | None = None,
    ) -> torch.Tensor:
        """Scores ``(total_docs,)`` of each query against its documents (see :class:`ScoringFunction`).

        Scores are computed in float32, also under autocast (bf16-mixed inference).
        """
        query, doc = query_embeddings.embeddings, doc_embeddings.embeddings
        query_embeddings = BiEncoderEmbedding(query.float(), query_embeddings.scoring_mask, query_embeddings.encoding)
        doc_embeddings = BiEncoderEmbedding(doc.float(), doc_embeddings.scoring_mask, doc_embeddings.encoding)
        with float32_scoring(query.device.type):
            return self.scoring_function(query_embeddings, doc_embeddings, num_docs)


def _is_plain_backbone(directory: Path) -> bool:
    """Whether the directory's config.json is a backbone's (not a saved Lightning IR model's)."""
    config_file = directory / "config.json"
    if not config_file.exists():
        return True
    return "backbone_config" not in read_json(config_file, "BiEncoderModel.from_pretrained")
