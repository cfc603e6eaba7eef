"""LayerPruner: remove the least important layers of a skorch net, then heal it."""

import copy
import copyreg
import fnmatch
import io
import time
import warnings
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import BaseEstimator, MetaEstimatorMixin, clone, is_classifier
from sklearn.metrics import accuracy_score, r2_score
from sklearn.utils import check_random_state, get_tags
from sklearn.utils.validation import check_is_fitted, validate_data
from skorch import NeuralNet

from skprune.layer_pruning._cost import Budget, n_flops, n_parameters, units_to_remove
from skprune.layer_pruning._data import (
    as_dtype,
    as_tensor,
    check_fit_data,
    check_outputs,
    class_probabilities,
    split,
)
from skprune.layer_pruning._evaluation import Validation, step_summary
from skprune.layer_pruning._folding import fold_batchnorms
from skprune.layer_pruning._healing import heal, reset_optimizer
from skprune.layer_pruning._importance import forward, score_units
from skprune.layer_pruning._splice import make_self_contained, remove_unit
from skprune.layer_pruning._units import Unit, find_units
from skprune.layer_pruning._width import (
    OUTPUT,
    balanced,
    channel_scores,
    channel_spaces,
    width_units,
)
from skprune.utils._compat import Interval, RealNotInt, StrOptions, _fit_context
from skprune.utils._doc_link import DocLinkMixin
from skprune.utils._loop import beyond_tolerance
from skprune.utils._progress import progress_bar
from skprune.utils._report import median_seconds, report_frame
from skprune.utils._validation import report

# healing epochs after each removal of channels but the last
_BRIEF_EPOCHS = 2


def _random_state(rng):
    """What ``rng`` and torch's generators will draw next, to replay."""
    cuda = torch.cuda.is_initialized()
    return (
        copy.deepcopy(rng),
        torch.get_rng_state(),
        cuda and torch.cuda.get_rng_state_all(),
    )


def _restore_random_state(state):
    """Set torch's generators back to ``state``; a copy of its numpy one."""
    rng, cpu, cuda = state
    torch.set_rng_state(cpu)
    if cuda:
        torch.cuda.set_rng_state_all(cuda)
    return copy.deepcopy(rng)


def _widths(dense, pruned):
    """``{layer: (width before, width after)}`` of the dense module's weight
    layers (output features or channels; 0: the layer was removed)."""
    widths = {}
    for name, layer in dense.named_modules():
        if isinstance(layer, (torch.nn.Linear, torch.nn.modules.conv._ConvNd)):
            try:
                now = pruned.get_submodule(name)
            except AttributeError:
                now = None
            widths[name] = (_width(layer), _width(now))
    return widths


def _width(layer):
    if isinstance(layer, torch.nn.Linear):
        return layer.out_features
    if isinstance(layer, torch.nn.modules.conv._ConvNd):
        return layer.out_channels
    return 0


class LayerPruner(DocLinkMixin, MetaEstimatorMixin, BaseEstimator):
    """Remove the least important layers, blocks, neurons or channels of a skorch net.

    Fits (a clone of) the net, folds its BatchNorm layers into the weight layers
    before them (after pruning, under width), finds its prunable units on a
    calibration batch, scores them, removes the least important ones so the
    module really has fewer parameters and a shorter forward pass, splices each
    gap, heals the net by fine-tuning until its validation score stops
    improving, and then behaves like the net it wraps.

    A unit is what users call a layer: a weight layer (``Linear``, ``Conv1d/2d``)
    of an ``nn.Sequential`` with the norm, activation and dropout modules after
    it, removed together; or a block whose output has its input's shape (a
    residual block), replaced by identity. A norm layer is never a unit alone.
    With ``structure="width"`` a unit is a group of a layer's neurons or
    channels, removed with every weight that reads or normalises them (see
    ``skprune.layer_pruning._width``): the module keeps its class and its
    ``forward``, only thinner.

    Parameters
    ----------
    net : skorch.NeuralNet
        A ``NeuralNetClassifier`` or ``NeuralNetRegressor`` (or another
        ``NeuralNet``). Never changed: the pruner works on a clone, or with
        ``prefit=True`` on a deep copy of the trained net.

    n_layers : int or float, default=1
        Units to remove: a count, or a fraction in (0, 1] of the prunable units
        (rounded down, at least one). With ``tolerance``, an upper bound. Ignored
        when ``max_parameters`` or ``max_flops`` sets a budget. Under
        ``structure="width"``/``"both"`` a count of removals (a group of
        channels, a tenth of a layer's, is one); a budget says more there.

    max_parameters, max_flops : int, float or None, default=None
        A budget instead of a count: units are removed until the net has at most
        this many parameters / multiply-accumulates per row (an int), or this
        fraction of the unpruned net's (a float in (0, 1)). Under a budget, the
        next unit is the one of least importance per unit of cost it saves (units
        that save nothing are not removed).

    structure : {"layers", "width", "both"}, default="layers"
        What a unit is: a layer or block (``"layers"``); a tenth of the
        neurons of a ``Linear`` or of the channels of a convolution, the least
        important by the channel score below (``"width"``), traced through
        ``forward`` with ``torch.fx`` (custom modules with functional calls
        too; a forward that cannot be traced is an error naming it); or
        ``"both"``: the best, by validation loss, of three prunings of the
        same trained net - by width, by layers, and by either unit as the
        budget's rule picks it - at about their summed time; each draws the
        random numbers it would draw alone, so a net kept from the width or
        layers pruning is the one that structure gives by itself. Channels
        that reach the output, a concatenation or an op the trace does not
        know are kept.

    importance : {"ablation", "kl", "angular", "random", "magnitude", \
"taylor"}, default="ablation"
        How units are scored (see ``skprune.layer_pruning._importance``):
        validation loss increase, KL divergence of the predictions (label-free),
        ``1 - cos`` between a unit's input and output (one forward pass, layers
        only), a seeded random draw (the baseline every importance should beat);
        for width only, the group's share of its layer's weight norm
        (``"magnitude"``) or its summed Taylor score (``"taylor"``: each row's
        loss change to first order, from one backward pass on calibration
        rows). Under width, a layer's channels are ranked by the Taylor score
        (by magnitude for ``"magnitude"``, at random for ``"random"``), and
        the groups compared by ``importance``, none thinning its layer below
        half the share of its width that the least thinned layer keeps (and
        below a quarter of its width beside a hidden layer whose channels are
        kept, e.g. one feeding a concatenation).

    splice : {"auto", "identity"}, default="auto"
        ``"auto"`` removes a weight layer of an ``nn.Sequential`` with its
        followers and replaces the next weight layer by a least-squares fit from
        the removed layer's input (a ``Linear``, or a convolution whose kernel
        spans both), and replaces other units whose shapes match (residual
        blocks) by identity; ``"identity"`` only replaces units by identity.

    fine_tune_epochs : int, default=20
        Most epochs of healing (``partial_fit``) after removal; 0 disables it.
        Under width, each removal but the last heals for 2 epochs without
        early stopping (several small cuts, each healed briefly), the last
        for these.

    patience : int or None, default=3
        When the validation loss has not improved for this many epochs, healing
        goes back to the best epoch's weights and divides its rate by 10 (twice
        at most), then stops; the best epoch's weights are kept. None: always
        ``fine_tune_epochs`` epochs.

    fine_tune_lr : float, default=1.0
        Healing learning rate, as a fraction of the net's ``lr``, on a fresh
        optimizer (the user guide has the measurements behind the default).

    distill : float in [0, 1), default=0.0
        Weight of the unpruned net's outputs in the healing loss (knowledge
        distillation; see ``skprune.layer_pruning._healing``); 0: labels only.

    tolerance : float or None, default=None
        Largest allowed drop of the validation score (accuracy or R^2): units are
        removed one at a time, re-scored and healed after each, while the healed
        score stays within ``tolerance`` of the unpruned net's.

    layers : list of str or None, default=None
        Names or glob patterns (``"blocks.*"``) restricting the candidate units.

    prefit : bool, default=False
        The net is already trained: prune a deep copy of it without training.

    validation_fraction : float, default=0.1
        Share of the data held out (stratified for classifiers) to score units and
        check ``tolerance``; the net is trained and healed on the rest.

    calibration_size : int, default=1024
        Training rows used to trace the module and fit bridge splices.

    random_state : int, RandomState instance or None, default=None
        Seeds the validation split, the calibration rows and torch.

    verbose : int, default=0
        Print a line per pruning step (0: silent).

    Attributes
    ----------
    net_ : skorch.NeuralNet
        The pruned, fitted net. Self-contained: its ``module`` parameter is the
        pruned module instance, so cloning or pickling it never rebuilds the
        full-size module.

    removed_layers_ : list of str
        Names (in the original module) of the removed units, in removal order;
        a group of channels as ``"conv2[6 of 64]"`` (its layers joined by
        ``+`` where a residual add ties their channels).

    layer_importances_ : dict
        Importance of every prunable unit of the unpruned net (higher = more
        important).

    widths_ : dict
        ``{layer: (width before, width after)}``: output features or channels
        of every ``Linear`` and convolution of the unpruned net (0: removed).

    folded_layers_ : list of tuple of str
        ``(weight layer, BatchNorm)`` pairs folded into one: before pruning by
        layers, after pruning by width (the BatchNorm, sliced, normalises the
        thinner layer while it heals).

    history_ : list of dict
        One record per step (step 0 is the unpruned net),
        with the keys every pruner's history shares: ``step``, ``n_removed``
        (units removed so far), ``score_before_repair`` (the validation score
        right after the removal), ``score`` (after healing, where it followed),
        ``seconds``; and ``removed`` (the unit's name), ``n_parameters``,
        ``n_flops`` (multiply-accumulates per sample), ``healing_epochs``.

    classes_ : ndarray
        Class labels, for classifiers.

    Notes
    -----
    During healing, callbacks that hold optimizer state or reload saved weights
    (``LRScheduler``, ``Checkpoint``, ``LoadInitState``, ``TrainEndCheckpoint``,
    ``EarlyStopping``) are switched off, and back on after with the pruned net
    saved (see ``skprune.layer_pruning._healing``). ``predict``,
    ``predict_proba`` and ``score`` run the pruned module on array input directly
    (one tensor, batched ``torch.inference_mode``), without skorch's per-batch
    data loading.

    Examples
    --------
    >>> import numpy as np, torch
    >>> from skorch import NeuralNetClassifier
    >>> from sklearn.datasets import load_digits
    >>> from skprune import LayerPruner
    >>> X, y = load_digits(return_X_y=True)
    >>> X = (X / 16).astype(np.float32)
    >>> torch.manual_seed(0) and None
    >>> module = torch.nn.Sequential(
    ...     torch.nn.Linear(64, 128), torch.nn.ReLU(),
    ...     torch.nn.Linear(128, 64), torch.nn.ReLU(),
    ...     torch.nn.Linear(64, 10))
    >>> net = NeuralNetClassifier(module, criterion=torch.nn.CrossEntropyLoss,
    ...                           max_epochs=20, lr=0.1, verbose=0)
    >>> pruner = LayerPruner(net, n_layers=1, random_state=0).fit(X, y)
    >>> pruner.removed_layers_
    ['2']
    >>> pruner.net_.module_
    Sequential(
      (0): Linear(in_features=64, out_features=128, bias=True)
      (1): ReLU()
      (2): Linear(in_features=128, out_features=10, bias=True)
    )
    """

    _parameter_constraints: dict = {
        "net": [NeuralNet],
        "n_layers": [
            Interval(Integral, 1, None, closed="left"),
            Interval(RealNotInt, 0, 1, closed="right"),
        ],
        "max_parameters": [
            Interval(Integral, 1, None, closed="left"),
            Interval(RealNotInt, 0, 1, closed="neither"),
            None,
        ],
        "max_flops": [
            Interval(Integral, 1, None, closed="left"),
            Interval(RealNotInt, 0, 1, closed="neither"),
            None,
        ],
        "structure": [StrOptions({"layers", "width", "both"})],
        "importance": [
            StrOptions({"ablation", "kl", "angular", "random", "magnitude", "taylor"})
        ],
        "splice": [StrOptions({"auto", "identity"})],
        "fine_tune_epochs": [Interval(Integral, 0, None, closed="left")],
        "patience": [Interval(Integral, 1, None, closed="left"), None],
        "fine_tune_lr": [Interval(Real, 0, None, closed="neither")],
        "distill": [Interval(Real, 0, 1, closed="left")],
        "tolerance": [Interval(Real, 0, None, closed="left"), None],
        "layers": [list, None],
        "prefit": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "calibration_size": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        net,
        *,
        n_layers=1,
        max_parameters=None,
        max_flops=None,
        structure="layers",
        importance="ablation",
        splice="auto",
        fine_tune_epochs=20,
        patience=3,
        fine_tune_lr=1.0,
        distill=0.0,
        tolerance=None,
        layers=None,
        prefit=False,
        validation_fraction=0.1,
        calibration_size=1024,
        random_state=None,
        verbose=0,
    ):
        self.net = net
        self.n_layers = n_layers
        self.max_parameters = max_parameters
        self.max_flops = max_flops
        self.structure = structure
        self.importance = importance
        self.splice = splice
        self.fine_tune_epochs = fine_tune_epochs
        self.patience = patience
        self.fine_tune_lr = fine_tune_lr
        self.distill = distill
        self.tolerance = tolerance
        self.layers = layers
        self.prefit = prefit
        self.validation_fraction = validation_fraction
        self.calibration_size = calibration_size
        self.random_state = random_state
        self.verbose = verbose

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y):
        """Train (or copy) the net, remove its least important units, heal it.

        Parameters
        ----------
        X : array-like of shape (n_samples, ...)
            Training inputs (a numpy array, torch tensor or DataFrame).

        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets, as the wrapped net expects them.

        Returns
        -------
        self : object
            The fitted pruner.
        """
        if self.prefit and not getattr(self.net, "initialized_", False):
            raise ValueError("prefit=True needs a trained net: call net.fit first.")
        self._check_importance()
        start = time.perf_counter()
        self._rng = rng = check_random_state(self.random_state)
        torch.manual_seed(rng.randint(np.iinfo(np.int32).max))
        classifier = is_classifier(self.net)
        X, y, self._classes = check_fit_data(self, X, y, classifier)
        X_train, X_valid, y_train, y_valid = split(
            X, y, classifier, self.validation_fraction, rng
        )
        # the net is initialised and checked before any training
        self.net_ = (
            copy.deepcopy(self.net) if self.prefit else clone(self.net).initialize()
        )
        reference = next(self.net_.module_.parameters())
        X_train, X_valid = as_dtype(X_train, reference), as_dtype(X_valid, reference)
        rows = rng.permutation(len(X_train))[: self.calibration_size]
        calibration = as_tensor(X_train[rows], reference)
        self._calibration_y = y_train[rows]  # for taylor scores
        check_outputs(self.net_.module_, calibration[:1], self._classes, y)
        if not self.prefit:
            self.net_.partial_fit(X_train, y_train)  # what fit does after initialize
        module = self.net_.module_
        if not torch.isfinite(forward(module, calibration)).all():
            raise ValueError(
                "The trained net outputs NaN or infinity on its training data: its "
                "training diverged. Scale X (e.g. StandardScaler) or lower lr."
            )
        self._dense_module = copy.deepcopy(module)  # for report()
        self._dense_widths = {
            name: _width(layer) for name, layer in module.named_modules()
        }
        self._teacher = copy.deepcopy(module) if self.distill > 0 else None
        self._validation = Validation(
            self.net_, as_tensor(X_valid, reference), y_valid, calibration, classifier
        )
        shipped = copy.deepcopy(module)  # a fraction is of the folded net's cost
        fold_batchnorms(shipped)
        self._budget = Budget.from_targets(
            self.max_parameters, self.max_flops, shipped, calibration
        )
        paths = [self.structure]
        if self.structure == "both":  # see _best_path
            paths = ["width", "layers", "both"]
        outcomes = []
        state = _random_state(rng)
        for path in paths:
            # each path draws what it would draw alone: "both" ends as one of
            # "width", "layers" (run alone, bit for bit) or the mixed path
            self._rng = _restore_random_state(state)
            self.net_.module_ = copy.deepcopy(module) if len(paths) > 1 else module
            # removing a layer needs its BatchNorm folded into it; thinning one
            # keeps it, sliced, while the net heals (see _folding)
            folded = fold_batchnorms(self.net_.module_) if path != "width" else []
            reset_optimizer(self.net_)
            outcome = self._path(path, X_train, y_train, start, len(paths) == 1)
            if outcome is not None:
                outcomes.append({**outcome, "folded_layers_": folded})
        if not outcomes:
            raise ValueError(self._no_units_message(module))
        self._best_path(outcomes)
        self.folded_layers_ += fold_batchnorms(self.net_.module_)  # width's, now
        reset_optimizer(self.net_)
        self._warn_if_over_budget()
        self.widths_ = _widths(self._dense_module, self.net_.module_)
        make_self_contained(self.net_)  # renumbers nn.Sequential entries
        del self._validation, self._teacher, self._rng, self._budget
        del self._calibration_y, self._structure, self._dense_widths
        del self._unthinned
        return self

    def _check_importance(self):
        allowed = {
            "layers": {"ablation", "kl", "angular", "random"},
            "width": {"ablation", "kl", "random", "magnitude", "taylor"},
            "both": {"ablation", "kl", "random"},
        }[self.structure]
        if self.importance not in allowed:
            raise ValueError(
                f"importance={self.importance!r} does not score the units of "
                f"structure={self.structure!r}; use one of {sorted(allowed)}."
            )

    def _path(self, structure, X_train, y_train, start, alone):
        """Prune ``net_.module_`` with units of ``structure`` (``"both"``: of
        either kind); the fitted attributes it sets, or None without units."""
        self._structure = structure
        self._unthinned = False
        module = self.net_.module_
        units = self._candidates(module)
        if not units and (structure != "layers" or not alone):
            return None
        limit = len(units)  # a budget: until met, or nothing left to remove
        if structure != "layers":
            limit += n_parameters(module)
        if not self._budget and structure == "layers":
            tolerance = self.tolerance if alone else 0  # "both": up to the units
            limit = units_to_remove(self.n_layers, units, tolerance)
        elif not self._budget:  # a count of removals, each from fresh units
            limit = units_to_remove(self.n_layers, units, None, exact=False)
        self.layer_importances_ = self._score_units(module, units)
        self.removed_layers_ = []
        self.history_ = [self._evaluate(0, None, float("nan"), start)]
        self._remove(units, limit, X_train, y_train, start)
        loss = self._validation.loss(self.net_.module_)
        return {
            "module": self.net_.module_,
            "validation_loss": loss if np.isfinite(loss) else np.inf,
            "layer_importances_": self.layer_importances_,
            "removed_layers_": self.removed_layers_,
            "history_": self.history_,
        }

    def _best_path(self, outcomes):
        """Keep the outcome of least validation loss among those within the
        budget (all, if none is), fewer parameters breaking ties.

        ``structure="both"`` prunes three ways from the same trained net: by
        channels, by layers, and by whichever unit of either kind is next by
        the budget's rule. That rule alone (least importance per cost saved)
        favours removing whole layers early, whose cost shows only after
        healing, and loses to width alone on the nets of the benchmarks; the
        three outcomes are judged on the validation rows instead, by the net's
        loss (on a few hundred rows accuracy moves in steps, and it picked
        worse than the loss on the benchmarks' MLPs)."""

        def within(outcome):
            return not self._budget or self._budget.met(outcome["module"])

        if any(within(o) for o in outcomes):
            outcomes = [o for o in outcomes if within(o)]
        best = min(
            outcomes,
            key=lambda o: (o["validation_loss"], o["history_"][-1]["n_parameters"]),
        )
        self.net_.module_ = best.pop("module")
        del best["validation_loss"]
        reset_optimizer(self.net_)
        for name, value in best.items():
            setattr(self, name, value)

    def _remove(self, units, limit, X_train, y_train, start):
        """Remove up to ``limit`` units, one at a time: score, remove, repair
        (heal), evaluate, repeat."""
        module = self.net_.module_
        validation = self._validation
        baseline = self.history_[0]["score"]
        importances = self.layer_importances_
        unhealed = False  # the last removal healed briefly or not at all
        for step in range(1, limit + 1):
            if step > 1:  # score
                units = self._candidates(module)
                if not units:
                    break
                importances = self._score_units(module, units)
            unit = self._choose(module, units, importances)
            if unit is None:
                break
            saved = copy.deepcopy(module)
            self._remove_units(module, unit)
            before = validation.score(module)
            done = step == limit or (self._budget and self._budget.met(module))
            # channels are removed a few at a time, each removal healed briefly
            healed = self.tolerance is not None or done or unit.kind == "width"
            epochs = 0
            brief = unit.kind == "width" and self.tolerance is None and not done
            if healed:
                epochs = self._repair(X_train, y_train, brief=brief)
            record = self._evaluate(step, unit.name, before, start, healed, epochs)
            if beyond_tolerance(baseline, record["score"], self.tolerance):
                self.net_.module_ = module = saved  # evaluate: over the tolerance
                reset_optimizer(self.net_)
                break
            self.removed_layers_.append(unit.name)
            self.history_.append(record)
            report(self, step_summary(step, unit, record, epochs))
            unhealed = not healed or brief
            if done:
                break
        if unhealed:  # stopped short of the budget: heal the last removal fully
            last = self.history_[-1]
            epochs = last["healing_epochs"] + self._repair(X_train, y_train)
            self.history_[-1] = self._evaluate(
                last["step"], last["removed"], last["score_before_repair"], start,
                True, epochs,
            )  # fmt: skip

    def _candidates(self, module):
        calibration = self._validation.calibration
        units = []
        if self._structure != "width":
            bridges = self.splice == "auto"
            units = find_units(module, calibration, self.layers, bridges=bridges)
        if self._structure != "layers":
            spaces = channel_spaces(module, calibration)
            # a hidden layer that keeps its width bounds the others' thinning
            self._unthinned = any(s.frozen not in ("", OUTPUT) for s in spaces)
            if self.layers is not None:
                for space in spaces:
                    if not any(
                        fnmatch.fnmatch(name, pattern)
                        for name in space.producers
                        for pattern in self.layers
                    ):
                        space.frozen = space.frozen or "not in layers"
            spaces = [s for s in spaces if not s.frozen and s.size > 1]
            rows, targets = calibration, self._calibration_y
            kind = self.importance
            if kind not in ("magnitude", "random"):
                kind = "taylor"  # channels ranked by it, the units as asked
            scores = channel_scores(
                kind, module, spaces, rows, targets, self._loss, self._rng
            )
            units += width_units(spaces, scores, Unit)
        return units

    def _no_units_message(self, module):
        spaces = channel_spaces(module, self._validation.calibration)
        why = "; ".join(f"{s.name or '?'}: {s.frozen}" for s in spaces if s.frozen)
        return (
            f"The net has no prunable units for structure={self.structure!r}: "
            f"no layer's neurons or channels can be removed ({why or 'no layers'})."
        )

    def _loss(self, output, y):
        return self.net_.get_loss(output, y, training=False)

    def _score_units(self, module, units):
        with progress_bar(self, len(units), f"{self.importance} scoring") as bar:
            scores = score_units(
                self.importance,
                module,
                units,
                self._validation.calibration,
                loss=self._validation.loss,
                X_valid=self._validation.X,
                distribution=self._validation.distribution,
                rng=self._rng,
                bar=bar,
            )
        for name, score in sorted(scores.items(), key=lambda item: item[1]):
            report(self, f"  {name}: importance {score:.4g}", level=2)
        return scores

    def _choose(self, module, units, importances):
        """The unit to remove: the least important, or the budget's choice,
        among units that keep the layers' widths balanced (see ``balanced``)."""
        units = balanced(units, self._dense_widths, self._unthinned)
        if self._budget:
            clip = self._structure != "layers"
            return self._budget.choose(module, units, importances, clip=clip)
        return min(units, key=lambda u: importances[u.name])

    def _remove_units(self, module, unit):
        """Remove ``unit`` from ``module`` in place (spliced, or identity)."""
        remove_unit(module, unit, self._validation.calibration)
        reset_optimizer(self.net_)

    def _evaluate(self, step, removed, before, start, healed=False, epochs=0):
        """The ``history_`` record of the net after step ``step``."""
        return self._validation.record(step, removed, before, start, healed, epochs)

    def _repair(self, X_train, y_train, brief=False):
        """Heal the net by fine-tuning (see ``_healing.heal``); ``brief``:
        exactly ``_BRIEF_EPOCHS`` (fewer if ``fine_tune_epochs`` is), between
        the removals of channels, without early stopping."""
        validation = self._validation
        epochs = self.fine_tune_epochs
        return heal(
            self,
            X_train,
            y_train,
            lambda module: -validation.loss(module),  # smoother than accuracy
            max_epochs=min(epochs, _BRIEF_EPOCHS) if brief else epochs,
            # a brief heal keeps what it trained: restoring the unhealed net
            # whenever two epochs missed its validation loss threw healing away
            patience=None if brief else self.patience,
            lr_fraction=self.fine_tune_lr,
            teacher=self._teacher,
            distill=self.distill,
            distribution=validation.distribution if validation.classifier else None,
        )

    def _warn_if_over_budget(self):
        message = self._budget and self._budget.shortfall(self.net_.module_)
        if message:
            within = " within tolerance" if self.tolerance is not None else ""
            warnings.warn(message + within + ".", UserWarning, stacklevel=3)

    @property
    def classes_(self):
        """Class labels seen in ``fit`` (``predict`` returns them)."""
        check_is_fitted(self)
        return self._classes

    def _proba(self, X, module=None):
        check_is_fitted(self)
        if not isinstance(X, torch.Tensor):
            X = validate_data(self, X, reset=False, dtype="numeric", allow_nd=True)
        module = self.net_.module_ if module is None else module
        if isinstance(X, (np.ndarray, torch.Tensor)) or hasattr(X, "to_numpy"):
            output = forward(module, as_tensor(X, next(module.parameters())))
            output = self.net_._get_predict_nonlinearity()(output)
            return output.cpu().numpy()
        return self.net_.predict_proba(X)

    def predict_proba(self, X):
        """Output of the pruned net after its predict nonlinearity.

        For a classifier, one column per class of ``classes_``: a net with more
        outputs than the classes seen in ``fit`` has the extra columns dropped and
        the rows renormalised.
        """
        proba = self._proba(X)
        if is_classifier(self.net):
            return class_probabilities(proba, len(self._classes))
        return proba

    def predict(self, X):
        """Class labels (classifiers) or outputs (regressors) of the pruned net."""
        return self._predict(X)

    def _predict(self, X, module=None):
        proba = self._proba(X, module)
        if is_classifier(self.net):  # outputs beyond the classes seen never win
            return self._classes[proba[:, : len(self._classes)].argmax(axis=1)]
        if getattr(self, "_one_target", False) and proba.shape[1:] == (1,):
            return proba[:, 0]
        return proba

    def score(self, X, y, sample_weight=None):
        """Accuracy (classifiers) or R^2 (regressors) of the pruned net."""
        return self._score(X, y, sample_weight)

    def _score(self, X, y, sample_weight=None, module=None):
        predicted = self._predict(X, module)
        if is_classifier(self.net):
            return float(accuracy_score(y, predicted, sample_weight=sample_weight))
        y = np.asarray(y).reshape(len(predicted), -1)
        predicted = predicted.reshape(len(predicted), -1)
        return float(r2_score(y, predicted, sample_weight=sample_weight))

    def report(self, X, y=None, *, repeats=7):
        """What pruning bought: the trained net before pruning beside after.

        Parameters
        ----------
        X : array-like of shape (n_samples, ...)
            Inputs to time the forward pass on (and to score with ``y``).

        y : array-like of shape (n_samples,) or (n_samples, n_outputs), default=None
            Targets: adds the ``score`` column (accuracy or R^2).

        repeats : int, default=7
            Timed forward passes per module; the median is reported.

        Returns
        -------
        report : pandas.DataFrame
            Rows ``"dense"`` (the trained module before pruning) and
            ``"pruned"`` (``net_.module_``); columns ``parameters``, ``bytes``
            (its ``state_dict`` saved with ``torch.save``), ``predict_seconds``
            (a forward pass over ``X`` in evaluation mode, no autograd),
            ``flops_per_row`` (2 x multiply-accumulates of the Linear and Conv
            layers, per row) and ``score`` (NaN without ``y``).
        """
        check_is_fitted(self)
        pruned = self.net_.module_
        example = as_tensor(
            validate_data(self, X, reset=False, dtype="numeric", allow_nd=True),
            next(pruned.parameters()),
        )
        rows = []
        for module in (self._dense_module, pruned):
            buffer = io.BytesIO()
            torch.save(module.state_dict(), buffer)
            rows.append(
                {
                    "parameters": n_parameters(module),
                    "bytes": buffer.getbuffer().nbytes,
                    "predict_seconds": median_seconds(
                        lambda m=module: forward(m, example), repeats
                    ),
                    "flops_per_row": 2 * n_flops(module, example),
                    "score": np.nan if y is None else self._score(X, y, None, module),
                }
            )
        return report_frame(*rows)

    def __reduce__(self):
        # pickle calls __reduce_ex__ (below); skops.io calls __reduce__ to see
        # whether a constructor call restores the object: it cannot persist the
        # torch modules a LayerPruner holds, so say what can
        raise TypeError(
            "LayerPruner holds torch modules, which skops.io cannot persist: "
            "use pickle or joblib.dump, or save the pruned module itself "
            "(pruner.net_.module_: torch.save, TorchScript, torch.export, ONNX)."
        )

    def __reduce_ex__(self, protocol):
        return copyreg.__newobj__, (type(self),), self.__getstate__()

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        inner = get_tags(self.net)
        tags.estimator_type = inner.estimator_type
        tags.classifier_tags = copy.deepcopy(inner.classifier_tags)
        tags.regressor_tags = copy.deepcopy(inner.regressor_tags)
        tags.target_tags.required = True
        # a regressor's y may have several columns (as many as the net outputs)
        tags.target_tags.multi_output = tags.estimator_type == "regressor"
        return tags
