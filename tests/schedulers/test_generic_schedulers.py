"""Generic value schedulers: dotted keys, and driving module attributes during a real Lightning fit."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import lightning
import pytest
import torch

from lightning_ir.loss import FLOPSRegularization, RankNet
from lightning_ir.schedulers import (
    GenericConstantSchedulerWithLinearWarmup,
    GenericConstantSchedulerWithQuadraticWarmup,
    GenericLinearSchedulerWithLinearWarmup,
)
from lightning_ir.schedulers.generic import get_value_by_key, set_value_by_key


def _ns(**fields: Any) -> Any:
    """A stand-in for model outputs and batches: any object with the fields a loss reads."""
    return SimpleNamespace(**fields)


def _root() -> Any:
    return _ns(
        loss_functions=[(RankNet(), 1.0), (FLOPSRegularization(query_weight=0.5), 2.0)],
        layers=torch.nn.ModuleList([torch.nn.Linear(1, 1)]),
        weights=[1.0, 2.0],
        scale=3.0,
    )


def test_keys_resolve_attributes_indexes_and_loss_weight_pairs() -> None:
    root = _root()
    assert get_value_by_key(root, "scale") == 3.0
    assert get_value_by_key(root, "weights.1") == 2.0
    assert get_value_by_key(root, "loss_functions.1.1") == 2.0  # the pair's weight
    assert get_value_by_key(root, "loss_functions.1.query_weight") == 0.5  # looked up on the pair's loss
    assert get_value_by_key(root, "layers.0.in_features") == 1
    set_value_by_key(root, "loss_functions.1.query_weight", 0.25)
    set_value_by_key(root, "weights.0", 5.0)
    set_value_by_key(root, "layers.0.in_features", 7)
    assert root.loss_functions[1][0].query_weight == 0.25
    assert root.weights == [5.0, 2.0]
    assert root.layers[0].in_features == 7


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("loss_functions.1.query_wieght", r"key 'loss_functions.1.query_wieght': FLOPSRegularization has no attribute"),
        ("loss_functions.5.query_weight", r"key 'loss_functions.5.query_weight': cannot index list with 5"),
        ("missing", r"key 'missing': SimpleNamespace has no attribute 'missing'"),
    ],
)
def test_bad_keys_name_the_key(key: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        get_value_by_key(_root(), key)
    with pytest.raises(ValueError, match=message):
        set_value_by_key(_root(), key, 1.0)


def test_setting_an_item_of_a_tuple_names_the_key() -> None:
    with pytest.raises(ValueError, match=r"key 'loss_functions.1.1': cannot set item 1 of tuple"):
        set_value_by_key(_root(), "loss_functions.1.1", 0.0)


class _TinyModule(lightning.LightningModule):
    def __init__(self) -> None:
        super().__init__()
        self.layer = torch.nn.Linear(2, 1)
        self.regularization = FLOPSRegularization(query_weight=0.2, doc_weight=0.4)
        self.loss_functions: list[tuple[Any, float]] = [(RankNet(), 1.0), (self.regularization, 1.0)]
        self.temperature = 2.0
        self.seen: list[tuple[float, float, float]] = []

    def training_step(self, batch: list[torch.Tensor], batch_idx: int) -> torch.Tensor:
        self.seen.append((self.regularization.query_weight, self.regularization.doc_weight, self.temperature))
        return self.layer(batch[0]).pow(2).mean()

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.SGD(self.parameters(), lr=0.01)


def _fit(module: lightning.LightningModule, callbacks: list[lightning.Callback], max_steps: int = 6) -> None:
    data = torch.utils.data.TensorDataset(torch.randn(8, 2))
    trainer = lightning.Trainer(
        max_steps=max_steps,
        accelerator="cpu",
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        callbacks=callbacks,
    )
    trainer.fit(module, torch.utils.data.DataLoader(data, batch_size=2))


def test_generic_schedulers_drive_module_attributes_during_fit() -> None:
    module = _TinyModule()
    quadratic = GenericConstantSchedulerWithQuadraticWarmup(
        keys=["loss_functions.1.query_weight", "loss_functions.1.doc_weight"], num_warmup_steps=4
    )
    linear = GenericLinearSchedulerWithLinearWarmup(keys="temperature", num_warmup_steps=0, final_value=0.5)
    _fit(module, [quadratic, linear])  # 6 steps; the linear one takes num_training_steps from max_steps
    warmup = [0.0, 1 / 16, 1 / 4, 9 / 16, 1.0, 1.0]
    decay = [1.0 - 0.5 * step / 6 for step in range(6)]
    assert [seen[0] for seen in module.seen] == pytest.approx([0.2 * f for f in warmup])
    assert [seen[1] for seen in module.seen] == pytest.approx([0.4 * f for f in warmup])
    assert [seen[2] for seen in module.seen] == pytest.approx([2.0 * f for f in decay])
    assert linear.num_training_steps == 6
    assert quadratic.state_dict() == {
        "initial_values": {"loss_functions.1.query_weight": 0.2, "loss_functions.1.doc_weight": 0.4}
    }


def test_bad_key_stops_fit_with_the_key_in_the_message() -> None:
    callback = GenericConstantSchedulerWithLinearWarmup(keys=["loss_functions.1.query_wieght"], num_warmup_steps=2)
    with pytest.raises(ValueError, match="loss_functions.1.query_wieght"):
        _fit(_TinyModule(), [callback], max_steps=1)


def test_resume_keeps_the_initial_values_from_the_checkpoint() -> None:
    callback = GenericConstantSchedulerWithLinearWarmup(keys="temperature", num_warmup_steps=4)
    module = _TinyModule()
    callback.on_train_start(None, module)  # type: ignore[arg-type]
    state = callback.state_dict()
    module.temperature = 0.5  # a scaled value, as a module restored mid-warmup could hold
    resumed = GenericConstantSchedulerWithLinearWarmup(keys="temperature", num_warmup_steps=4)
    resumed.load_state_dict(state)
    resumed.on_train_start(None, module)  # type: ignore[arg-type]
    resumed.on_train_batch_start(_ns(global_step=2), module, None, 0)  # type: ignore[arg-type]
    assert module.temperature == 1.0  # 2.0 * 2 / 4


def test_state_keys_differ_per_keys() -> None:
    first = GenericConstantSchedulerWithLinearWarmup(keys="a", num_warmup_steps=1)
    second = GenericConstantSchedulerWithLinearWarmup(keys="b", num_warmup_steps=1)
    assert first.state_key != second.state_key


def test_empty_keys_are_rejected() -> None:
    with pytest.raises(ValueError, match="keys must name at least one"):
        GenericConstantSchedulerWithLinearWarmup(keys=[], num_warmup_steps=1)


@pytest.mark.parametrize("module_name", ["generic", "lr_scheduler"])
def test_docstring_examples(module_name: str) -> None:
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(f"lightning_ir.schedulers.{module_name}"))
    assert result.attempted > 0
    assert result.failed == 0
