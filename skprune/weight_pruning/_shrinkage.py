"""The repair's shrinkage: which penalty a linear model's refit can take, how strong.

On real wide tables an L1 penalty tuned to k nonzeros beats pruning + an
unpenalised-looking refit at the same k, and the gap lies in the kept weights'
values, not in the chosen columns: L1 shrinks them. :class:`Shrinkage` names the
wrapped model's own regularisation parameter (``C`` or ``alpha``), the settings
that give it an L1 or L2 penalty, and a grid of strengths on the model's scale, so
:class:`~skprune.WeightPrunerCV` can repair with each and keep the best.
"""

import copy

import numpy as np

from skprune.weight_pruning._models import MODELS, known, model_kind


class Shrinkage:
    """How the repair of ``model`` is regularised.

    Parameters
    ----------
    model : estimator
        The wrapped linear model (the last step of a Pipeline).
    penalty : {"auto", "l1", "l2"}
        ``"auto"``: L1 where the repair can take it, else L2.
    n_classes : int
        Classes of the target (0 for regressors).
    coupled : bool
        True when the outputs are repaired jointly (the multinomial
        LogisticRegression with per-output masks), which takes L2 only.
    seed : int or None
        ``random_state`` of the repair where the model's own is None (liblinear,
        saga and SGD shuffle), so the pruner's ``random_state`` makes it
        reproducible.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression, Ridge
    >>> from skprune.weight_pruning._shrinkage import Shrinkage
    >>> s = Shrinkage(LogisticRegression(C=0.5), "auto", 2, False)
    >>> s.penalty, s.param, s.settings["l1_ratio"], s.settings["solver"]
    ('l1', 'C', 1.0, 'liblinear')
    >>> s.grid(3).round(3)
    array([5.e-03, 5.e-01, 5.e+01])
    >>> Shrinkage(Ridge(alpha=2.0), "auto", 0, False).grid([1.0, 10.0])
    array([10.,  1.])
    """

    def __init__(self, model, penalty, n_classes, coupled, seed=None):
        name = model_kind(model)
        params = model.get_params()
        self.param = "C" if "C" in params else "alpha" if "alpha" in params else None
        if self.param == "C" and not np.isfinite(float(params["C"])):
            self.param = None  # C=inf: no penalty, and no scale to tune one on
        info = known(model)
        l1 = None if coupled or info.l1 is None else info.l1(model, n_classes)
        l2 = None if info.l2 is None else info.l2(model, n_classes)
        if penalty == "auto":
            penalty = "l1" if l1 is not None else "l2"
        settings = l1 if penalty == "l1" else l2
        if settings is None and self.param is not None:
            supported = sorted(
                kind
                for kind, info in MODELS.items()
                if (info.l1 if penalty == "l1" else info.l2) is not None
            )
            why = (
                " (the multinomial repair of per-class masks is L2 only: use "
                'structure="feature" for L1)'
                if coupled and info.l1 is not None
                else ""
            )
            raise ValueError(
                f"strengths={{{penalty!r}: ...}}: {name}'s repair cannot take "
                f"an {penalty.upper()} penalty{why}. Models that can: "
                f"{', '.join(supported)}; or give strengths as an int or "
                "values (the penalties the model takes)."
            )
        self.penalty = penalty if self.param is not None else None
        self.settings = dict(settings or {})
        # liblinear and saga shuffle: seeded from the pruner unless the model is
        if seed is not None and params.get("random_state", 0) is None:
            self.settings["random_state"] = seed
        self.base = None if self.param is None else float(params[self.param])
        unknown = set(self.settings) - set(params)
        if unknown:  # a subclass without the parameters the tables name
            raise ValueError(
                f"{name} has no parameter {sorted(unknown)} for its "
                f"{penalty.upper()} repair."
            )

    @classmethod
    def candidates(cls, model, strengths, n_classes, coupled, seed=None):
        """The (Shrinkage, strength) pairs a CV tries for ``model``'s repair:
        per penalty, its strengths from the strongest shrinkage to the
        weakest; L2 last where both are tried.

        ``strengths`` an int or values: L1 and L2 where the repair takes both,
        else the one it takes; a dict: the penalties it names, each over its
        own int or values.

        Examples
        --------
        >>> from sklearn.linear_model import Lasso, LogisticRegression, Ridge
        >>> from skprune.weight_pruning._shrinkage import Shrinkage
        >>> def tried(model, strengths=2, n_classes=2):
        ...     found = Shrinkage.candidates(model, strengths, n_classes, False)
        ...     return [(s.penalty, float(v)) for s, v in found]
        >>> tried(LogisticRegression())
        [('l1', 0.01), ('l1', 100.0), ('l2', 0.01), ('l2', 100.0)]
        >>> tried(Ridge(), [1.0], 0), tried(Lasso(), [1.0], 0)
        ([('l2', 1.0)], [('l1', 1.0)])
        >>> tried(LogisticRegression(), {"l2": [0.5, 2.0]})
        [('l2', 0.5), ('l2', 2.0)]
        """
        if isinstance(strengths, dict):
            unknown = set(strengths) - {"l1", "l2"}
            if unknown or not strengths:
                raise ValueError(
                    "strengths as a dict maps a penalty, 'l1' or 'l2', to an "
                    f"int or values; got keys {sorted(map(str, strengths))}."
                )
            grids = {p: strengths[p] for p in ("l1", "l2") if p in strengths}
            shrinkages = [cls(model, p, n_classes, coupled, seed) for p in grids]
            values = list(grids.values())
        else:
            first = cls(model, "auto", n_classes, coupled, seed)
            shrinkages = [first]
            if first.penalty == "l1":
                try:
                    shrinkages.append(cls(model, "l2", n_classes, coupled, seed))
                except ValueError:  # L1 only (Lasso, ElasticNet)
                    pass
            values = [strengths] * len(shrinkages)
        return [
            (shrinkage, value)
            for shrinkage, grid in zip(shrinkages, values, strict=True)
            for value in shrinkage.grid(grid)
        ]

    def grid(self, strengths):
        """Values of ``param``, from the strongest shrinkage to the weakest.

        An int ``n``: ``n`` values spread log-evenly over 1/100 to 100 times the
        model's own value. Without a regularisation parameter: ``[None]``.
        """
        if self.param is None:
            return np.array([None], dtype=object)
        if np.ndim(strengths) == 0:
            values = self.base * np.logspace(-2, 2, int(strengths))
        else:
            values = np.asarray(strengths, dtype=np.float64)
        # C: a small C shrinks most; alpha: a large alpha does
        return np.sort(values) if self.param == "C" else np.sort(values)[::-1]

    def selection_value(self, multiplier):
        """The value of ``param`` of the model whose weights are ranked: the
        model's own shrinkage ``multiplier`` times stronger (``C / m`` or
        ``alpha * m``)."""
        return self.base / multiplier if self.param == "C" else self.base * multiplier

    def model(self, fitted, strength):
        """A copy of fitted ``fitted`` repairing with this penalty at ``strength``
        (shallow: the repairs read its fitted arrays, never write them, and a
        deep copy per candidate dominates a small table's CV)."""
        model = copy.copy(fitted)
        if self.param is not None:
            # the model's own parameters, checked once in __init__: set_params
            # would check them again (an inspect.signature per candidate)
            for name, value in {**self.settings, self.param: float(strength)}.items():
                setattr(model, name, value)
        return model
