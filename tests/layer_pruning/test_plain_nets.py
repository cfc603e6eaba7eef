"""LayerPruner on plain MLPs and CNNs with BatchNorm: folding, units, conv bridges,
healing with patience, distillation, random importance, cost accounting."""

import numpy as np
import pytest
import torch
from torch import nn

from skprune import LayerPruner
from skprune.layer_pruning._cost import n_flops
from skprune.layer_pruning._folding import fold_batchnorms
from skprune.layer_pruning._splice import conv_bridge
from skprune.layer_pruning._units import find_units

from .conftest import make_net


def bn_mlp(width=64, depth=4):
    layers = [nn.Linear(64, width), nn.BatchNorm1d(width), nn.ReLU(), nn.Dropout(0.1)]
    for _ in range(depth - 1):
        layers += [
            nn.Linear(width, width),
            nn.BatchNorm1d(width),
            nn.ReLU(),
            nn.Dropout(0.1),
        ]
    return nn.Sequential(*layers, nn.Linear(width, 10))


def bn_cnn(channels=(4, 8, 8, 8)):
    layers, previous = [nn.Unflatten(1, (1, 8, 8))], 1
    for width in channels:
        layers += [
            nn.Conv2d(previous, width, 3, padding=1),
            nn.BatchNorm2d(width),
            nn.ReLU(),
        ]
        previous = width
    return nn.Sequential(*layers, nn.Flatten(), nn.Linear(previous * 64, 10))


@pytest.fixture(scope="module")
def trained_mlp(digits):
    torch.manual_seed(0)
    return make_net(bn_mlp, max_epochs=10).fit(*digits)


@pytest.fixture(scope="module")
def small_digits(digits):
    return digits[0][:900], digits[1][:900]


@pytest.fixture(scope="module")
def trained_cnn(small_digits):
    torch.manual_seed(0)
    return make_net(bn_cnn, max_epochs=6).fit(*small_digits)


def test_folding_batchnorm_is_exact(trained_mlp, trained_cnn, digits):
    X = torch.as_tensor(digits[0][:200])
    for net in (trained_mlp, trained_cnn):
        module = __import__("copy").deepcopy(net.module_).eval()
        with torch.no_grad():
            before = module(X)
            folded = fold_batchnorms(module)
            after = module(X)
        assert len(folded) == 4
        assert not any(isinstance(m, nn.modules.batchnorm._NormBase) for m in module)
        torch.testing.assert_close(before, after, atol=1e-4, rtol=1e-4)


def test_units_are_weight_layers_with_their_followers(trained_mlp, digits):
    module = __import__("copy").deepcopy(trained_mlp.module_)
    X = torch.as_tensor(digits[0][:64])
    units = find_units(module, X)
    # a BatchNorm is never a unit alone; each hidden Linear takes its followers
    assert [u.name for u in units] == ["4", "8", "12"]
    assert units[0].replaced == ["4", "5", "6", "7"]
    assert all(u.kind == "bridge" for u in units)


def test_removing_a_layer_leaves_no_orphans(trained_mlp, digits):
    pruner = LayerPruner(
        trained_mlp, n_layers=2, prefit=True, random_state=0, fine_tune_epochs=3
    ).fit(*digits)
    module = pruner.net_.module_
    kinds = [type(m).__name__ for m in module]
    # 4 weight layers... minus 2: Linear ReLU Dropout (x2) + output Linear
    assert kinds == ["Linear", "ReLU", "Dropout"] * 2 + ["Linear"]
    assert pruner.folded_layers_ == [("0", "1"), ("4", "5"), ("8", "9"), ("12", "13")]
    history = pruner.history_
    assert history[-1]["n_parameters"] < 0.7 * history[0]["n_parameters"]
    assert history[-1]["n_flops"] < 0.7 * history[0]["n_flops"]
    assert pruner.score(*digits) > 0.9


def test_conv_bridge_is_the_least_squares_conv_of_the_next_layers_shape():
    torch.manual_seed(0)
    first = nn.Conv2d(3, 5, 1, bias=False)  # a bias would differ in the padding
    second = nn.Conv2d(5, 4, 3, padding=1)
    x = torch.randn(32, 3, 16, 16)
    with torch.no_grad():
        # a 1x1 conv then a 3x3 one, no activation: exactly one 3x3 conv
        target = second(first(x))
        merged = conv_bridge(first, second, x, target)
        assert merged.kernel_size == (3, 3) and merged.padding == (1, 1)
        assert (merged.in_channels, merged.out_channels) == (3, 4)
        torch.testing.assert_close(merged(x), target, atol=1e-3, rtol=1e-3)
        # two 3x3 convs: the best 3x3 stand-in, much better than nothing
        first = nn.Conv2d(3, 5, 3, padding=1)
        target = second(first(x))
        merged = conv_bridge(first, second, x, target)
        error = ((merged(x) - target) ** 2).mean() / target.var()
        assert error < 0.5


def test_cnn_convolutions_are_bridged_and_healed(trained_cnn, small_digits):
    X = torch.as_tensor(small_digits[0][:64])
    module = __import__("copy").deepcopy(trained_cnn.module_)
    fold_batchnorms(module)
    assert [u.name for u in find_units(module, X)] == ["4", "7", "10"]
    pruner = LayerPruner(
        trained_cnn, n_layers=2, prefit=True, random_state=0, fine_tune_epochs=6
    )
    pruner.fit(*small_digits)
    convs = [m for m in pruner.net_.module_ if isinstance(m, nn.Conv2d)]
    assert len(convs) == 2
    assert pruner.history_[-1]["healing_epochs"] >= 1
    assert pruner.history_[-1]["n_parameters"] < pruner.history_[0]["n_parameters"]
    assert pruner.score(*small_digits) > 0.85


def test_the_last_conv_is_bridged_into_the_linear_head(small_digits):
    torch.manual_seed(0)
    module = bn_cnn(channels=(4, 8, 16)).eval()
    module.insert(len(module) - 1, nn.Dropout(0.2))  # stays with the head
    X = torch.as_tensor(small_digits[0][:512])
    units = {u.name: u for u in find_units(module, X)}
    assert units["7"].target == "12" and units["7"].replaced == ["7", "8", "9"]
    with torch.no_grad():
        expected = module(X)
    full = sum(p.numel() for p in module.parameters())
    from skprune.layer_pruning._splice import drop_identities, remove_unit

    remove_unit(module, units["7"], X)
    drop_identities(module)
    kinds = [type(m).__name__ for m in module]
    assert kinds[-4:] == ["ReLU", "Flatten", "Dropout", "Linear"]
    assert module[-1].in_features == 8 * 64  # the removed conv's input channels
    assert sum(p.numel() for p in module.parameters()) < 0.6 * full
    with torch.no_grad():
        error = ((module(X) - expected) ** 2).mean() / expected.var()
    assert float(error) < 1e-3  # 512 rows, 513 unknowns per output: near exact


def test_a_head_bridge_that_would_grow_the_head_is_no_unit():
    x = torch.randn(4, 1, 16, 16)

    def net(channels):  # the second conv halves the image
        return nn.Sequential(
            nn.Conv2d(1, 8, 3, padding=1),
            nn.ReLU(),
            nn.Conv2d(8, channels, 3, stride=2, padding=1),
            nn.ReLU(),
            nn.Flatten(),
            nn.Linear(channels * 64, 10),
        )

    assert [u.name for u in find_units(net(64), x)] == ["2"]  # 4096 -> 2048 inputs
    assert find_units(net(8), x) == []  # 512 -> 2048 inputs: the head would grow
    conv1d = nn.Sequential(
        nn.Conv1d(2, 4, 3, padding=1),
        nn.ReLU(),
        nn.Conv1d(4, 16, 3, padding=1),
        nn.ReLU(),
        nn.Flatten(),
        nn.Linear(16 * 20, 3),
    )
    assert [u.name for u in find_units(conv1d, torch.randn(4, 2, 20))] == ["2"]


def test_patience_stops_healing_and_keeps_the_best_epoch(trained_mlp, digits):
    pruner = LayerPruner(
        trained_mlp, n_layers=1, prefit=True, random_state=0, patience=1
    ).fit(*digits)
    record = pruner.history_[-1]
    assert 1 <= record["healing_epochs"] < 20
    assert record["score"] >= record["score_before_repair"]
    fixed = LayerPruner(
        trained_mlp,
        n_layers=1,
        prefit=True,
        random_state=0,
        patience=None,
        fine_tune_epochs=2,
    ).fit(*digits)
    assert fixed.history_[-1]["healing_epochs"] == 2


def test_distillation_heals_from_the_unpruned_net(trained_mlp, digits):
    pruner = LayerPruner(
        trained_mlp,
        n_layers=2,
        prefit=True,
        random_state=0,
        distill=0.5,
        fine_tune_epochs=3,
    ).fit(*digits)
    assert pruner.score(*digits) > 0.9
    assert "get_loss" not in vars(pruner.net_)  # the net's own loss is back


def test_random_importance_is_seeded(trained_mlp, digits):
    def removed(seed):
        return LayerPruner(
            trained_mlp,
            n_layers=1,
            prefit=True,
            importance="random",
            random_state=seed,
            fine_tune_epochs=0,
        ).fit(*digits)

    first, again = removed(3), removed(3)
    assert first.removed_layers_ == again.removed_layers_
    assert first.layer_importances_ == again.layer_importances_
    seen = {tuple(removed(seed).removed_layers_) for seed in range(6)}
    assert len(seen) > 1


def test_flops_count_linear_and_conv_work():
    net = nn.Sequential(nn.Conv2d(2, 3, 3), nn.Flatten(), nn.Linear(3 * 36, 4))
    assert n_flops(net, torch.zeros(1, 2, 8, 8)) == 3 * 36 * 2 * 9 + 3 * 36 * 4
    assert np.isclose(n_flops(nn.Linear(5, 7), torch.zeros(3, 5)), 35)


def test_a_parameter_budget_removes_units_until_it_is_met(trained_mlp, digits):
    full = sum(p.numel() for p in trained_mlp.module_.parameters())
    pruner = LayerPruner(
        trained_mlp, max_parameters=0.5, prefit=True, random_state=0, fine_tune_epochs=2
    ).fit(*digits)
    assert pruner.history_[-1]["n_parameters"] <= 0.5 * full
    # the step before was still over budget: no unit removed beyond it
    assert pruner.history_[-2]["n_parameters"] > 0.5 * full
    assert pruner.score(*digits) > 0.85


def test_a_flop_budget_that_cannot_be_met_warns(trained_mlp, digits):
    with pytest.warns(UserWarning, match="over the budget"):
        pruner = LayerPruner(
            trained_mlp, max_flops=10, prefit=True, random_state=0, fine_tune_epochs=1
        ).fit(*digits)
    assert len(pruner.removed_layers_) == 3  # every removable unit went
