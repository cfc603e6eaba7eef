import copy
import pickle

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.datasets import load_diabetes
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer
from skorch import NeuralNetRegressor
from skorch.callbacks import Checkpoint, LRScheduler
from torch import nn

from skprune import LayerPruner
from skprune.layer_pruning import find_units
from skprune.layer_pruning._importance import ablation_importance, angular_importance

from .conftest import ResidualMLP, lenet_head, make_net


def _n_parameters(module):
    return sum(p.numel() for p in module.parameters())


@pytest.mark.parametrize("importance", ["ablation", "kl", "angular"])
def test_removes_blocks_keeps_accuracy_and_shrinks_the_module(
    digits, trained_residual, importance
):
    X, y = digits
    unpruned = trained_residual.score(X, y)
    pruner = LayerPruner(
        trained_residual, n_layers=2, importance=importance, prefit=True, random_state=0
    ).fit(X, y)
    assert len(pruner.removed_layers_) == 2
    assert set(pruner.layer_importances_) == {f"blocks.{i}" for i in range(4)}
    assert _n_parameters(pruner.net_.module_) == _n_parameters(
        trained_residual.module_
    ) - 2 * 2 * (32 * 32 + 32)
    assert pruner.score(X, y) > unpruned - 0.03
    assert [r["step"] for r in pruner.history_] == [0, 1, 2]
    assert pruner.history_[-1]["n_parameters"] < pruner.history_[0]["n_parameters"]
    assert np.isfinite(pruner.history_[-1]["score"])
    np.testing.assert_array_equal(pruner.classes_, np.arange(10))


def test_the_given_net_is_never_changed(digits, trained_residual):
    before = copy.deepcopy(trained_residual.module_.state_dict())
    LayerPruner(trained_residual, n_layers=1, prefit=True).fit(*digits)
    after = trained_residual.module_.state_dict()
    assert before.keys() == after.keys()
    assert all(torch.equal(before[k], after[k]) for k in before)


def test_a_block_that_does_nothing_is_scored_least_important(trained_residual, digits):
    module = copy.deepcopy(trained_residual.module_)
    with torch.no_grad():
        module.blocks[1].outer.weight.zero_()
        module.blocks[1].outer.bias.zero_()
    X = torch.as_tensor(digits[0][:256])
    units = find_units(module, X)
    angular = angular_importance(module, units, X)
    assert min(angular, key=angular.get) == "blocks.1"
    assert angular["blocks.1"] == pytest.approx(0.0, abs=1e-9)

    @torch.no_grad()
    def loss(m):
        return float(
            nn.functional.cross_entropy(m(X), torch.as_tensor(digits[1][:256]))
        )

    ablation = ablation_importance(module, units, X, loss)
    assert (
        abs(ablation["blocks.1"])
        < 1e-6
        < min(v for k, v in ablation.items() if k != "blocks.1")
    )


def test_lenet_head_becomes_one_layer_shorter(digits):
    torch.manual_seed(0)
    net = make_net(lenet_head())
    pruner = LayerPruner(net, n_layers=1, random_state=0, fine_tune_epochs=4)
    pruner.fit(*digits)
    assert pruner.removed_layers_ == ["2"]
    layers = [m for m in pruner.net_.module_ if isinstance(m, nn.Linear)]
    assert [(m.in_features, m.out_features) for m in layers] == [(64, 120), (120, 10)]
    assert pruner.score(*digits) > 0.9


def test_the_optimizer_trains_the_pruned_module(digits, trained_residual):
    pruner = LayerPruner(trained_residual, n_layers=1, prefit=True).fit(*digits)
    net = pruner.net_
    in_optimizer = {id(p) for g in net.optimizer_.param_groups for p in g["params"]}
    assert {id(p) for p in net.module_.parameters()} == in_optimizer
    before = [p.detach().clone() for p in net.module_.parameters()]
    net.partial_fit(*digits, epochs=1)
    assert all(
        not torch.equal(a, b)
        for a, b in zip(before, net.module_.parameters(), strict=True)
    )


def test_lr_scheduler_and_checkpoint_callbacks_survive_healing(digits, tmp_path):
    torch.manual_seed(0)
    net = make_net(
        ResidualMLP,
        max_epochs=4,
        callbacks=[
            ("sched", LRScheduler(policy="StepLR", step_size=1, gamma=0.9)),
            (
                "ckpt",
                Checkpoint(
                    monitor="train_loss_best", load_best=True, dirname=str(tmp_path)
                ),
            ),
        ],
    )
    pruner = LayerPruner(net, n_layers=2, fine_tune_epochs=2, random_state=0).fit(
        *digits
    )
    assert len(pruner.removed_layers_) == 2
    pruner.net_.partial_fit(*digits, epochs=1)  # later training works too
    assert dict(pruner.net_.callbacks_)["sched"] is not None


def test_clone_gives_unfitted_and_pickle_predicts_identically(digits, trained_residual):
    pruner = LayerPruner(trained_residual, n_layers=2, prefit=True).fit(*digits)
    assert not hasattr(clone(pruner), "net_")
    restored = pickle.loads(pickle.dumps(pruner))
    np.testing.assert_array_equal(
        restored.predict_proba(digits[0]), pruner.predict_proba(digits[0])
    )


def test_pruned_net_is_self_contained(digits, trained_residual):
    pruner = LayerPruner(trained_residual, n_layers=2, prefit=True).fit(*digits)
    rebuilt = clone(pruner.net_).initialize()
    assert _n_parameters(rebuilt.module_) == _n_parameters(pruner.net_.module_)
    assert "module__width" not in pruner.net_.get_params()


def test_lean_predict_matches_skorch_predict(digits, trained_residual):
    pruner = LayerPruner(trained_residual, n_layers=1, prefit=True).fit(*digits)
    X = digits[0]
    np.testing.assert_allclose(
        pruner.predict_proba(X), pruner.net_.predict_proba(X), atol=1e-6
    )
    np.testing.assert_array_equal(pruner.predict(X), pruner.net_.predict(X))


def test_tolerance_keeps_the_score_within_it(digits, trained_residual):
    pruner = LayerPruner(
        trained_residual, n_layers=1.0, tolerance=0.01, prefit=True, random_state=0
    ).fit(*digits)
    baseline = pruner.history_[0]["score"]
    assert all(baseline - r["score"] <= 0.01 for r in pruner.history_[1:])
    assert len(pruner.removed_layers_) == len(pruner.history_) - 1


def test_regressor_with_label_free_importance():
    X, y = load_diabetes(return_X_y=True)
    X = ((X - X.mean(0)) / X.std(0)).astype(np.float32)
    y = ((y - y.mean()) / y.std()).astype(np.float32).reshape(-1, 1)
    module = nn.Sequential(
        nn.Linear(10, 32),
        nn.ReLU(),
        nn.Linear(32, 32),
        nn.ReLU(),
        nn.Linear(32, 32),
        nn.ReLU(),
        nn.Linear(32, 1),
    )
    torch.manual_seed(0)
    net = NeuralNetRegressor(
        module,
        lr=0.01,
        max_epochs=60,
        train_split=None,
        verbose=0,
        optimizer=torch.optim.Adam,
    )
    pruner = LayerPruner(net, n_layers=1, importance="kl", random_state=0).fit(X, y)
    assert len(pruner.removed_layers_) == 1
    assert pruner.score(X, y) > 0.4


def test_grid_search_in_a_pipeline(digits):
    X, y = digits
    net = make_net(ResidualMLP, max_epochs=8)
    pipe = make_pipeline(
        FunctionTransformer(), LayerPruner(net, fine_tune_epochs=1, random_state=0)
    )
    search = GridSearchCV(
        pipe,
        {
            "layerpruner__n_layers": [1, 2],
            "layerpruner__importance": ["ablation", "angular"],
            "layerpruner__net__lr": [3e-3],
            "layerpruner__net__max_epochs": [8],
        },
        cv=2,
    ).fit(X[:600], y[:600])
    assert len(search.cv_results_["params"]) == 4
    assert search.best_score_ > 0.5  # 8 epochs on 300 rows; chance is 0.1
    assert search.best_estimator_[-1].net_.max_epochs == 8


def test_bad_input(digits, trained_residual):
    X, y = digits
    with pytest.raises(TypeError, match="net"):
        LayerPruner(nn.Linear(3, 3)).fit(X, y)
    with pytest.raises(ValueError, match="prefit=True needs a trained net"):
        LayerPruner(make_net(ResidualMLP), prefit=True).fit(X, y)
    with pytest.raises(ValueError, match=r"4 prunable units: blocks.0 \(identity\)"):
        LayerPruner(trained_residual, n_layers=5, prefit=True).fit(X, y)
    with pytest.raises(ValueError, match="importance"):
        LayerPruner(trained_residual, importance="taylor", prefit=True).fit(X, y)


def test_verbose_prints_each_removal(digits, trained_residual, capsys):
    LayerPruner(trained_residual, n_layers=2, prefit=True, verbose=1).fit(*digits)
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("[LayerPruner] step 1: removed blocks.")
    assert "healing" not in lines[0]  # no healing after step 1: not shown
    assert "healing epochs; elapsed" in lines[1]
    assert "nan" not in captured.out
    # progress bars of the scoring and the healing epochs, on stderr
    assert "ablation scoring" in captured.err and "healing epochs" in captured.err


def test_verbose_2_adds_the_importance_of_every_unit(digits, trained_residual, capsys):
    LayerPruner(trained_residual, n_layers=1, prefit=True, verbose=2).fit(*digits)
    out = capsys.readouterr().out
    assert out.count(": importance ") == 4  # the four blocks of the net


def test_prefit_keeps_the_nets_own_classes_when_y_lacks_some(digits, trained_residual):
    X, y = digits
    subset = y != 3  # no 3s: codes must not shift onto the net's outputs
    # short, gentle healing: long healing without any 3 forgets them, whatever the
    # coding; this test is about the coding
    pruner = LayerPruner(
        trained_residual,
        n_layers=1,
        prefit=True,
        random_state=0,
        fine_tune_epochs=2,
        fine_tune_lr=0.1,
    )
    pruner.fit(X[subset], y[subset])
    np.testing.assert_array_equal(pruner.classes_, np.arange(10))
    # (healing without 3s erodes them a little; shifted codes would give ~0)
    assert (pruner.predict(X[y == 3]) == 3).mean() > 0.6
    with pytest.raises(ValueError, match="labels the trained net does not know"):
        LayerPruner(trained_residual, prefit=True).fit(X, y + 100)


class _ResConv(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, 3, padding=1)

    def forward(self, x):
        return x + torch.relu(self.conv(x))


class _SmallCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(1, 8, 3, padding=1)
        self.blocks = nn.Sequential(_ResConv(8), _ResConv(8), _ResConv(8))
        self.head = nn.Linear(8 * 64, 10)

    def forward(self, x):
        return self.head(self.blocks(torch.relu(self.stem(x))).flatten(1))


def test_residual_conv_blocks_on_image_input(digits):
    X, y = digits
    images = X.reshape(-1, 1, 8, 8)
    torch.manual_seed(0)
    net = make_net(_SmallCNN, max_epochs=5)
    pruner = LayerPruner(net, n_layers=2, importance="angular", random_state=0)
    pruner.fit(images, y)
    assert len(pruner.removed_layers_) == 2
    assert all(name.startswith("blocks.") for name in pruner.removed_layers_)
    assert len(pruner.net_.module_.blocks) == 1  # identities dropped from Sequential
    assert pruner.score(images, y) > 0.85
    assert pruner.predict(images[:5]).shape == (5,)


def _small_classifier(n_out, **params):
    torch.manual_seed(0)
    module = nn.Sequential(
        nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, n_out)
    )
    return make_net(module, max_epochs=3, **params)


def _three_classes():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 8))
    return X, (X[:, 0] > 0).astype(int) + (X[:, 1] > 0)


def test_too_few_outputs_for_the_classes_is_refused_before_training():
    X, y = _three_classes()
    net = _small_classifier(2)
    with pytest.raises(ValueError, match="outputs 2 scores per sample but y has 3"):
        LayerPruner(net).fit(X.astype(np.float32), y)


@pytest.mark.parametrize("prefit", [False, True])
def test_float64_input_is_cast_to_the_module_dtype(prefit):
    X, y = _three_classes()
    net = _small_classifier(3)
    if prefit:
        net.fit(X.astype(np.float32), y)
    pruner = LayerPruner(net, prefit=prefit, fine_tune_epochs=2).fit(X, y)
    assert len(pruner.history_) == 2
    assert pruner.score(X, y) > 0.5


def test_dict_input_is_refused_with_a_sentence():
    X, y = _three_classes()
    with pytest.raises(TypeError, match="dict and SliceDict input"):
        LayerPruner(_small_classifier(3)).fit({"x": X}, y)


def _small_mlp_regressor(**params):
    module = nn.Sequential(
        nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 1)
    )
    defaults = {"max_epochs": 3, "lr": 0.05, "verbose": 0, "train_split": None}
    return NeuralNetRegressor(module, **{**defaults, **params})


def test_a_bridge_over_dead_activations_is_fitted_not_a_crash():
    # a barely trained net whose ReLUs are all dead: the bridge's least-squares
    # inputs are all zero (rank 0)
    from sklearn.datasets import load_iris

    torch.manual_seed(0)
    X = load_iris().data.astype(np.float32)
    y = X[:, :1] * 2
    pruner = LayerPruner(
        _small_mlp_regressor(), n_layers=1, fine_tune_epochs=1, random_state=0
    ).fit(X, y)
    assert len(pruner.removed_layers_) == 1
    assert np.isfinite(pruner.predict(X)).all()


def test_offset_inputs_with_dead_relus_still_prune(digits):
    X, y = digits
    torch.manual_seed(0)
    net = make_net(lenet_head(), max_epochs=2)
    pruner = LayerPruner(net, n_layers=1, fine_tune_epochs=1, random_state=0)
    pruner.fit(X + 100.0, y)
    assert len(pruner.removed_layers_) == 1
    assert np.isfinite(pruner.predict_proba(X + 100.0)).all()


def test_lazy_output_layers_are_trained_and_pruned(digits):
    X, y = digits
    torch.manual_seed(0)
    module = nn.Sequential(
        nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU(), nn.LazyLinear(10)
    )
    pruner = LayerPruner(
        make_net(module, max_epochs=10), n_layers=1, random_state=0
    ).fit(X, y)
    assert len(pruner.removed_layers_) == 1
    assert pruner.score(X, y) > 0.85


def test_a_regressor_given_one_dimensional_y_trains_on_one_column():
    X, y = load_diabetes(return_X_y=True)
    X, y = (X * 10).astype(np.float32), ((y - y.mean()) / y.std()).astype(np.float32)
    torch.manual_seed(0)
    module = nn.Sequential(
        nn.Linear(10, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 1)
    )
    net = NeuralNetRegressor(
        module, max_epochs=20, lr=0.05, verbose=0, train_split=None
    )
    pruner = LayerPruner(net, n_layers=1, fine_tune_epochs=5, random_state=0)
    pruner.fit(X, y)  # a (n,) target against (n, 1) outputs broadcast to (n, n)
    assert pruner.predict(X).shape == (len(X),)  # as y, like any regressor
    assert pruner.score(X, y) > 0.3
    pruner.fit(X, y[:, None])
    assert pruner.predict(X).shape == (len(X), 1)


def test_a_regressor_with_too_few_outputs_for_y_is_refused():
    X, y = load_diabetes(return_X_y=True)
    X = X.astype(np.float32)
    y = np.column_stack([y, y]).astype(np.float32)
    net = NeuralNetRegressor(
        nn.Sequential(nn.Linear(10, 8), nn.ReLU(), nn.Linear(8, 1)), max_epochs=1
    )
    with pytest.raises(ValueError, match="1 values per sample but y has 2"):
        LayerPruner(net, n_layers=1).fit(X, y)


def test_skops_says_pickle_is_the_way(digits):
    import skops.io as sio

    X, y = digits
    pruner = LayerPruner(
        make_net(lenet_head(), max_epochs=1), n_layers=1, fine_tune_epochs=1
    ).fit(X[:300], y[:300])
    with pytest.raises(TypeError, match="use pickle or joblib"):
        sio.dumps(pruner)
    restored = pickle.loads(pickle.dumps(pruner))
    np.testing.assert_array_equal(restored.predict(X), pruner.predict(X))


def test_half_the_blocks_removed_keeps_held_out_accuracy_within_001(digits):
    from sklearn.model_selection import train_test_split

    X, y = digits
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=2
    )
    torch.manual_seed(2)
    net = make_net(ResidualMLP).fit(X_train, y_train)
    pruner = LayerPruner(net, n_layers=2, prefit=True, random_state=0)
    pruner.fit(X_train, y_train)
    assert len(pruner.removed_layers_) == 2  # of 4 blocks
    assert pruner.score(X_test, y_test) >= net.score(X_test, y_test) - 0.01
