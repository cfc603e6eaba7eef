"""What the pruner feeds the wrapped model: each step's fit parameters (with
metadata routing or without), and the held-out rows a tolerance is checked on."""

import numpy as np
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.utils.metadata_routing import process_routing
from sklearn.utils.validation import has_fit_parameter

from skprune.utils._compat import _check_method_params, _num_samples, _safe_indexing

# the step name of a model that is not a Pipeline
SINGLE = "__model__"


def step_fit_params(model, routed, sample_weight, fit_params):
    """The fit parameters of every step of ``model``, by step name.

    With metadata routing on, ``routed`` holds what the model requested (the
    pruner's router resolved it) and is routed on to the Pipeline's steps as
    ``Pipeline.fit`` would. Without routing, ``sample_weight`` goes to every step
    whose ``fit`` takes it (an error if the model's last step does not) and
    ``fit_params`` are the model's own (``step__param`` for a Pipeline).
    """
    if not isinstance(model, Pipeline):
        if routed is not None:
            return {SINGLE: dict(routed)}
        params = dict(fit_params)
        if sample_weight is not None:
            if not has_fit_parameter(model, "sample_weight"):
                raise TypeError(
                    f"{type(model).__name__}.fit does not take sample_weight."
                )
            params["sample_weight"] = sample_weight
        return {SINGLE: params}
    if routed is not None:
        per_step = process_routing(model, "fit", **routed)
        names = [name for name, _ in model.steps]
        return {
            name: dict(
                per_step[name].fit
                if name == names[-1]
                else per_step[name].fit_transform
            )
            for name in names
        }
    params = {name: {} for name, _ in model.steps}
    for key, value in fit_params.items():
        name, _, param = key.partition("__")
        if name not in params or not param:
            raise ValueError(
                f"Fit parameter {key!r}: a Pipeline's fit parameters are named "
                f"step__parameter, with step one of {list(params)}."
            )
        params[name][param] = value
    if sample_weight is not None:
        final = model.steps[-1][1]
        if not has_fit_parameter(final, "sample_weight"):
            raise TypeError(f"{type(final).__name__}.fit does not take sample_weight.")
        for name, step in model.steps:
            if step not in (None, "passthrough") and has_fit_parameter(
                step, "sample_weight"
            ):
                params[name]["sample_weight"] = sample_weight
    return params


def holdout(X, y, step_params, fraction, stratify, rng):
    """``(train, valid)``: ``train`` as ``(X, y, step_params)`` for
    :class:`Problem`, ``valid`` as ``(X, y, sample_weight)`` of the held-out
    ``fraction`` of the rows (stratified on ``y`` if ``stratify``)."""
    train, valid = train_test_split(
        np.arange(_num_samples(X)),
        test_size=fraction,
        stratify=y if stratify else None,
        random_state=rng.randint(np.iinfo(np.int32).max),
    )

    def part(rows):
        params = {
            name: _check_method_params(X, params, rows)
            for name, params in step_params.items()
        }
        return _safe_indexing(X, rows), _safe_indexing(y, rows), params

    X_valid, y_valid, valid_params = part(valid)
    last = list(valid_params.values())[-1]
    return part(train), (X_valid, y_valid, last.get("sample_weight"))
