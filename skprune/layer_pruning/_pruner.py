"""LayerPruner: remove the least important layers of a skorch net, then heal it."""

import copy
import time
import warnings
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import BaseEstimator, MetaEstimatorMixin, clone, is_classifier
from sklearn.metrics import accuracy_score, r2_score
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state, get_tags
from sklearn.utils.validation import check_is_fitted, validate_data
from skorch import NeuralNet

from skprune.layer_pruning._cost import Budget, n_flops, n_parameters
from skprune.layer_pruning._data import (
    as_dtype,
    as_tensor,
    check_fit_data,
    check_outputs,
    stratify,
)
from skprune.layer_pruning._folding import fold_batchnorms
from skprune.layer_pruning._healing import heal, reset_optimizer
from skprune.layer_pruning._importance import forward, score_units
from skprune.layer_pruning._splice import drop_identities, remove_unit
from skprune.layer_pruning._units import find_units
from skprune.utils._compat import Interval, RealNotInt, StrOptions, _fit_context
from skprune.utils._doc_link import DocLinkMixin
from skprune.utils._progress import progress_bar
from skprune.utils._validation import report


class LayerPruner(DocLinkMixin, MetaEstimatorMixin, BaseEstimator):
    """Remove the least important layers or blocks of a skorch net.

    Fits (a clone of) the net, folds its BatchNorm layers into the weight layers
    before them, finds its prunable units on a calibration batch, scores them,
    removes the least important ones so the module really has fewer parameters and
    a shorter forward pass, splices each gap, heals the net by fine-tuning until
    its validation score stops improving, and then behaves like the net it wraps.

    A unit is what users call a layer: a weight layer (``Linear``, ``Conv1d/2d``)
    of an ``nn.Sequential`` with the norm, activation and dropout modules after
    it, removed together; or a block whose output has its input's shape (a
    residual block), replaced by identity. A norm layer is never a unit alone.

    Parameters
    ----------
    net : skorch.NeuralNet
        A ``NeuralNetClassifier`` or ``NeuralNetRegressor`` (or another
        ``NeuralNet``). Never changed: the pruner works on a clone, or with
        ``prefit=True`` on a deep copy of the trained net.

    n_layers : int or float, default=1
        Units to remove: a count, or a fraction in (0, 1] of the prunable units
        (rounded down, at least one). With ``tolerance``, an upper bound. Ignored
        when ``max_parameters`` or ``max_flops`` sets a budget.

    max_parameters, max_flops : int, float or None, default=None
        A budget instead of a count: units are removed until the net has at most
        this many parameters / multiply-accumulates per row (an int), or this
        fraction of the unpruned net's (a float in (0, 1)). Under a budget, the
        next unit is the one of least importance per unit of cost it saves (units
        that save nothing are not removed).

    importance : {"ablation", "kl", "angular", "random"}, default="ablation"
        How units are scored (see ``skprune.layer_pruning._importance``):
        validation loss increase, KL divergence of the predictions (label-free),
        ``1 - cos`` between a unit's input and output (one forward pass), or a
        seeded random draw (the baseline every importance should beat).

    splice : {"auto", "identity"}, default="auto"
        ``"auto"`` removes a weight layer of an ``nn.Sequential`` with its
        followers and replaces the next weight layer by a least-squares fit from
        the removed layer's input (a ``Linear``, or a convolution whose kernel
        spans both), and replaces other units whose shapes match (residual
        blocks) by identity; ``"identity"`` only replaces units by identity.

    fine_tune_epochs : int, default=20
        Most epochs of healing (``partial_fit``) after removal; 0 disables it.

    patience : int or None, default=3
        When the validation loss has not improved for this many epochs, healing
        goes back to the best epoch's weights and divides its rate by 10 (twice
        at most), then stops; the best epoch's weights are kept. None: always
        ``fine_tune_epochs`` epochs.

    fine_tune_lr : float, default=1.0
        Healing learning rate, as a fraction of the net's ``lr``; a fresh
        optimizer is created on the pruned module. The net's own rate healed a
        CNN whose convolutions were bridged back to its unpruned accuracy in 7
        epochs where 0.1x and 0.3x took 30 and stayed lower; as the best epoch is
        kept, a rate too high costs only the epochs.

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
        Names (in the original module) of the removed units, in removal order.

    layer_importances_ : dict
        Importance of every prunable unit of the unpruned net (higher = more
        important).

    folded_layers_ : list of tuple of str
        ``(weight layer, BatchNorm)`` pairs folded into one before pruning.

    history_ : list of dict
        One record per step (step 0 is the unpruned net, BatchNorm folded):
        ``step``, ``removed``, ``n_parameters``, ``n_flops`` (multiply-accumulates
        per sample), ``score_before_healing``, ``score_after_healing`` (NaN when
        no healing followed that step), ``healing_epochs``, ``seconds``.

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
        "importance": [StrOptions({"ablation", "kl", "angular", "random"})],
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
        start = time.perf_counter()
        rng = check_random_state(self.random_state)
        torch.manual_seed(rng.randint(np.iinfo(np.int32).max))
        classifier = is_classifier(self.net)
        X, y, self._classes = check_fit_data(self, X, y, classifier)
        X_train, X_valid, y_train, y_valid = train_test_split(
            X,
            y,
            test_size=self.validation_fraction,
            stratify=stratify(y, classifier, self.validation_fraction),
            random_state=rng.randint(np.iinfo(np.int32).max),
        )
        # the net is initialised and checked before any training
        self.net_ = (
            copy.deepcopy(self.net) if self.prefit else clone(self.net).initialize()
        )
        module = self.net_.module_
        reference = next(module.parameters())
        X_train, X_valid = as_dtype(X_train, reference), as_dtype(X_valid, reference)
        rows = rng.permutation(len(X_train))[: self.calibration_size]
        self._calibration = as_tensor(X_train[rows], reference)
        self._valid = (as_tensor(X_valid, reference), y_valid)
        check_outputs(module, self._calibration[:1], self._classes)
        if not self.prefit:
            self.net_.partial_fit(X_train, y_train)  # what fit does after initialize
            module = self.net_.module_
        if not torch.isfinite(forward(module, self._calibration)).all():
            raise ValueError(
                "The trained net outputs NaN or infinity on its training data: its "
                "training diverged. Scale X (e.g. StandardScaler) or lower lr."
            )
        self.folded_layers_ = fold_batchnorms(module)
        self._teacher = copy.deepcopy(module) if self.distill > 0 else None
        self._rng = rng
        units = self._candidates(module)
        self._budget = Budget.from_targets(
            self.max_parameters, self.max_flops, module, self._calibration
        )
        limit = len(units) if self._budget else self._n_to_remove(units)
        self.layer_importances_ = self._importances(module, units)
        self.removed_layers_ = []
        self.history_ = [self._record(0, None, float("nan"), start)]
        baseline = self.history_[0]["score_before_healing"]
        self._remove(units, limit, baseline, X_train, y_train, start)
        self._warn_if_over_budget()
        self._make_self_contained()
        del self._calibration, self._valid, self._teacher, self._rng, self._budget
        return self

    def _warn_if_over_budget(self):
        message = self._budget and self._budget.shortfall(self.net_.module_)
        if message:
            within = " within tolerance" if self.tolerance is not None else ""
            warnings.warn(message + within + ".", UserWarning, stacklevel=3)

    def _choose(self, module, units, importances):
        """The unit to remove: the least important, or the budget's choice."""
        if self._budget:
            return self._budget.choose(module, units, importances)
        return min(units, key=lambda u: importances[u.name])

    def _candidates(self, module):
        return find_units(
            module, self._calibration, self.layers, bridges=self.splice == "auto"
        )

    def _n_to_remove(self, units):
        if isinstance(self.n_layers, Integral):
            wanted = self.n_layers
        else:
            wanted = max(1, int(self.n_layers * len(units)))
        if wanted > len(units) and self.tolerance is None:
            found = ", ".join(f"{u.name} ({u.kind})" for u in units) or "none"
            raise ValueError(
                f"n_layers={self.n_layers} asks for {wanted} units but the net has "
                f"{len(units)} prunable units: {found}."
            )
        return min(wanted, len(units))

    def _importances(self, module, units):
        with progress_bar(self, len(units), f"{self.importance} scoring") as bar:
            scores = score_units(
                self.importance,
                module,
                units,
                self._calibration,
                loss=self._loss,
                X_valid=self._valid[0],
                distribution=self._distribution,
                rng=self._rng,
                bar=bar,
            )
        for name, score in sorted(scores.items(), key=lambda item: item[1]):
            report(self, f"  {name}: importance {score:.4g}", level=2)
        return scores

    def _distribution(self, output):
        return self.net_._get_predict_nonlinearity()(output)

    def _loss(self, module):
        X_valid, y_valid = self._valid
        output = forward(module, X_valid)
        with torch.inference_mode():
            return float(self.net_.get_loss(output, y_valid, training=False))

    def _remove(self, units, limit, baseline, X_train, y_train, start):
        """Remove up to ``limit`` units, one at a time: score, remove, repair
        (heal), evaluate, repeat."""
        module = self.net_.module_
        importances = self.layer_importances_
        for step in range(1, limit + 1):
            if step > 1:  # score
                units = self._candidates(module)
                if not units:
                    break
                importances = self._importances(module, units)
            unit = self._choose(module, units, importances)
            if unit is None:
                break
            saved = copy.deepcopy(module)
            remove_unit(module, unit, self._calibration)  # remove
            reset_optimizer(self.net_)
            before = self._score_module(module)
            done = step == limit or (self._budget and self._budget.met(module))
            healed = self.tolerance is not None or done
            epochs = self._heal(X_train, y_train) if healed else 0  # repair
            record = self._record(step, unit.name, before, start, healed, epochs)
            drop = (  # evaluate
                baseline
                - record["score_after_healing" if healed else "score_before_healing"]
            )
            if self.tolerance is not None and drop > self.tolerance:
                self.net_.module_ = module = saved
                reset_optimizer(self.net_)
                break
            self.removed_layers_.append(unit.name)
            self.history_.append(record)
            self._report_step(step, unit, record, healed, epochs)
            if done:
                break

    def _report_step(self, step, unit, record, healed, epochs):
        healing = (
            f" -> {record['score_after_healing']:.4f} after {epochs} healing epochs"
            if healed and epochs
            else ""
        )
        report(
            self,
            f"step {step}: removed {unit.name} ({unit.kind}), "
            f"{record['n_parameters']:,} parameters, validation score "
            f"{record['score_before_healing']:.4f}{healing}; elapsed "
            f"{record['seconds']:.2f} s",
        )

    def _heal(self, X_train, y_train):
        return heal(
            self,
            X_train,
            y_train,
            lambda module: -self._loss(module),  # smoother than accuracy
            max_epochs=self.fine_tune_epochs,
            patience=self.patience,
            lr_fraction=self.fine_tune_lr,
            teacher=self._teacher,
            distill=self.distill,
            distribution=self._distribution if is_classifier(self.net) else None,
        )

    def _record(self, step, removed, before, start, healed=False, epochs=0):
        module = self.net_.module_
        score = self._score_module(module)
        return {
            "step": step,
            "removed": removed,
            "n_parameters": n_parameters(module),
            "n_flops": n_flops(module, self._calibration),
            "score_before_healing": score if step == 0 else before,
            "score_after_healing": score if healed else float("nan"),
            "healing_epochs": epochs,
            "seconds": time.perf_counter() - start,
        }

    def _score_module(self, module):
        X_valid, y_valid = self._valid
        output = self._distribution(forward(module, X_valid)).cpu().numpy()
        return self._metric(y_valid, output)

    def _metric(self, y, output):
        """Score of outputs against encoded targets (class indices for classifiers)."""
        if is_classifier(self.net):
            return float(accuracy_score(np.asarray(y), output.argmax(axis=1)))
        return float(
            r2_score(
                np.asarray(y).reshape(len(output), -1), output.reshape(len(output), -1)
            )
        )

    def _make_self_contained(self):
        """Compact the module and make ``net_`` rebuild it as is, never full size."""
        net = self.net_
        drop_identities(net.module_)
        for key in [k for k in vars(net) if k.startswith("module__")]:
            delattr(net, key)
            net._params_to_validate.discard(key)
        net.module = net.module_
        reset_optimizer(net)

    @property
    def classes_(self):
        """Class labels seen in ``fit`` (``predict`` returns them)."""
        check_is_fitted(self)
        return self._classes

    def _proba(self, X):
        check_is_fitted(self)
        if not isinstance(X, torch.Tensor):
            X = validate_data(self, X, reset=False, dtype="numeric", allow_nd=True)
        module = self.net_.module_
        if isinstance(X, (np.ndarray, torch.Tensor)) or hasattr(X, "to_numpy"):
            output = forward(module, as_tensor(X, next(module.parameters())))
            return self._distribution(output).cpu().numpy()
        return self.net_.predict_proba(X)

    def predict_proba(self, X):
        """Output of the pruned net after its predict nonlinearity.

        For a classifier, one column per class of ``classes_``: a net with more
        outputs than the classes seen in ``fit`` has the extra columns dropped and
        the rows renormalised.
        """
        proba = self._proba(X)
        if is_classifier(self.net) and proba.shape[1] > len(self._classes):
            proba = proba[:, : len(self._classes)]
            # a row whose mass lay wholly on the extra outputs: no preference left
            mass = proba.sum(axis=1, keepdims=True)
            proba = np.where(mass > 0, proba, 1.0)
            proba = proba / proba.sum(axis=1, keepdims=True)
        return proba

    def predict(self, X):
        """Class labels (classifiers) or outputs (regressors) of the pruned net."""
        proba = self._proba(X)
        if is_classifier(self.net):  # outputs beyond the classes seen never win
            return self._classes[proba[:, : len(self._classes)].argmax(axis=1)]
        return proba

    def score(self, X, y, sample_weight=None):
        """Accuracy (classifiers) or R^2 (regressors) of the pruned net."""
        predicted = self.predict(X)
        if is_classifier(self.net):
            return float(accuracy_score(y, predicted, sample_weight=sample_weight))
        y = np.asarray(y).reshape(len(predicted), -1)
        predicted = predicted.reshape(len(predicted), -1)
        return float(r2_score(y, predicted, sample_weight=sample_weight))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        inner = get_tags(self.net)
        tags.estimator_type = inner.estimator_type
        tags.classifier_tags = copy.deepcopy(inner.classifier_tags)
        tags.regressor_tags = copy.deepcopy(inner.regressor_tags)
        tags.target_tags.required = True
        return tags
