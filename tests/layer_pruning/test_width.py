"""Width pruning: channel spaces traced from forward, physical removal, scores."""

import copy

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import spearmanr
from torch import nn

from skprune import LayerPruner
from skprune.layer_pruning._units import Unit
from skprune.layer_pruning._width import (
    Space,
    balanced,
    channel_spaces,
    magnitude,
    remove_channels,
    taylor,
)

from .conftest import ResidualMLP, make_net


class TutorialCnn(nn.Module):
    """Written the way skorch's MNIST tutorial writes its net."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, kernel_size=3, padding=1)
        self.conv2 = nn.Conv2d(16, 32, kernel_size=3, padding=1)
        self.conv2_drop = nn.Dropout2d(p=0.1)
        self.fc1 = nn.Linear(32 * 4 * 4, 64)
        self.fc2 = nn.Linear(64, 10)

    def forward(self, x):
        x = x.reshape(-1, 1, 8, 8)
        x = torch.relu(self.conv1(x))
        x = torch.relu(F.max_pool2d(self.conv2_drop(self.conv2(x)), 2))
        x = x.view(-1, x.size(1) * x.size(2) * x.size(3))
        return self.fc2(F.relu(self.fc1(x)))


class ResidualCnn(nn.Module):
    """BatchNorm, a residual add, a depthwise conv and a spatial mean."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(1, 12, 3, padding=1)
        self.bn0 = nn.BatchNorm2d(12)
        self.conv1 = nn.Conv2d(12, 12, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(12)
        self.conv2 = nn.Conv2d(12, 12, 3, padding=1)
        self.depthwise = nn.Conv2d(12, 12, 3, padding=1, groups=12)
        self.head = nn.Linear(12, 10)

    def forward(self, x):
        x = F.relu(self.bn0(self.stem(x)))
        x = x + self.conv2(F.relu(self.bn1(self.conv1(x))))
        x = F.relu(self.depthwise(x))
        return self.head(x.mean((2, 3)))


class Concatenating(nn.Module):
    def __init__(self):
        super().__init__()
        self.a, self.b = nn.Linear(8, 6), nn.Linear(8, 6)
        self.c, self.out = nn.Linear(8, 5), nn.Linear(17, 3)

    def forward(self, x):
        return self.out(torch.cat([self.a(x), self.b(x), F.relu(self.c(x))], dim=1))


class HardCodedView(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3, padding=1)
        self.fc = nn.Linear(4 * 64, 10)

    def forward(self, x):
        return self.fc(self.conv(x).view(-1, 256))


class DataDependent(nn.Module):
    def __init__(self):
        super().__init__()
        self.a, self.b = nn.Linear(4, 8), nn.Linear(8, 2)

    def forward(self, x):
        h = self.a(x)
        if h.sum() > 0:  # a branch torch.fx cannot trace
            h = torch.relu(h)
        return self.b(h)


def _spaces(module, example):
    return {s.name: s for s in channel_spaces(module.eval(), example)}


def _train_batchnorms(module, example):
    module.train()
    with torch.no_grad():
        for _ in range(3):
            module(example)
    return module.eval()


def test_the_tutorial_net_is_traced_through_its_functional_forward():
    spaces = _spaces(TutorialCnn(), torch.randn(4, 64))
    assert spaces["conv1"].consumers == {"conv2": 1}
    assert spaces["conv2"].consumers == {"fc1": 16}  # a channel: 4x4 features
    assert spaces["fc1"].consumers == {"fc2": 1}
    assert "output" in spaces["fc2"].frozen
    assert not any(spaces[n].frozen for n in ("conv1", "conv2", "fc1"))


def test_residual_branches_batchnorm_and_depthwise_share_one_space():
    spaces = _spaces(ResidualCnn(), torch.randn(4, 1, 8, 8))
    joined = spaces["stem+conv2"]
    assert joined.followers == ["bn0", "depthwise"]
    assert joined.consumers == {"conv1": 1, "head": 1}
    assert spaces["conv1"].followers == ["bn1"]
    assert spaces["conv1"].consumers == {"conv2": 1}


@pytest.mark.parametrize(
    "module, example",
    [
        (TutorialCnn(), torch.randn(16, 64)),
        (ResidualCnn(), torch.randn(16, 1, 8, 8)),
        (ResidualMLP(), torch.randn(16, 64)),
        (
            nn.Sequential(
                nn.Conv1d(2, 8, 3),
                nn.BatchNorm1d(8),
                nn.ReLU(),
                nn.Flatten(),
                nn.Linear(8 * 6, 5),
                nn.Dropout(),
                nn.Linear(5, 2),
            ),
            torch.randn(16, 2, 8),
        ),
    ],
    ids=["tutorial", "residual-cnn", "residual-mlp", "conv1d-sequential"],
)
def test_removing_channels_nothing_reads_leaves_the_output_unchanged(module, example):
    # zero what the consumers read from some channels: the exact removal then
    # computes the same function with fewer parameters
    module = _train_batchnorms(module, example)
    for space in channel_spaces(module, example):
        if space.frozen:
            continue
        dropped = [0, space.size - 1]
        with torch.no_grad():
            for name, block in space.consumers.items():
                weight = module.get_submodule(name).weight
                for c in dropped:
                    weight[:, c * block : (c + 1) * block] = 0
        expected = module(example)
        size = sum(p.numel() for p in module.parameters())
        remove_channels(module, space, dropped)
        torch.testing.assert_close(module(example), expected, atol=1e-5, rtol=1e-5)
        assert sum(p.numel() for p in module.parameters()) < size


def test_concatenated_and_hard_coded_channels_are_frozen():
    spaces = _spaces(Concatenating(), torch.randn(4, 8))
    assert all("cat" in spaces[n].frozen for n in ("a", "b", "c"))
    spaces = _spaces(HardCodedView(), torch.randn(4, 1, 8, 8))
    assert "forward fails" in spaces["conv"].frozen


def test_an_input_added_to_a_layer_freezes_its_channels():
    class AddsInput(nn.Module):
        def __init__(self):
            super().__init__()
            self.a, self.b = nn.Linear(6, 6), nn.Linear(6, 2)

        def forward(self, x):
            return self.b(x + self.a(x))

    assert "untraced" in _spaces(AddsInput(), torch.randn(4, 6))["a"].frozen


def test_untraceable_forward_is_a_clear_error(digits):
    with pytest.raises(ValueError, match="DataDependent.forward cannot be traced"):
        channel_spaces(DataDependent(), torch.randn(4, 4))


def test_scores_rank_a_channel_nothing_reads_last():
    torch.manual_seed(0)
    module = TutorialCnn().eval()
    with torch.no_grad():
        module.fc1.weight[:, 3 * 16 : 4 * 16] = 0  # conv2's channel 3
        module.conv2.weight[3] = 0
        module.conv2.bias[3] = 0
    X, y = torch.randn(64, 64), torch.randint(0, 10, (64,))
    space = _spaces(module, X)["conv2"]
    assert int(magnitude(module, space).argmin()) == 3
    (scores,) = taylor(module, [space], X, y, F.cross_entropy)
    assert float(scores[3]) == 0.0
    assert (scores > 0).sum() >= space.size - 2  # dead ReLUs may score 0 too


def test_taylor_ranks_removals_as_their_loss_changes_do(digits):
    X, y = digits
    X, y = torch.as_tensor(X).double(), torch.as_tensor(y)
    torch.manual_seed(0)
    module = nn.Sequential(
        nn.Linear(64, 40), nn.Tanh(), nn.Linear(40, 40), nn.ReLU(), nn.Linear(40, 10)
    ).double()  # fmt: skip
    optimizer = torch.optim.Adam(module.parameters(), 1e-2)
    for _ in range(50):
        optimizer.zero_grad()
        F.cross_entropy(module(X), y).backward()
        optimizer.step()
    spaces = [s for s in channel_spaces(module, X) if not s.frozen]
    with torch.no_grad():
        base = float(F.cross_entropy(module(X), y))
    for space, scores in zip(
        spaces, taylor(module, spaces, X, y, F.cross_entropy), strict=True
    ):
        changes = []
        for c in range(space.size):
            pruned = copy.deepcopy(module)
            remove_channels(pruned, space, [c])
            with torch.no_grad():
                changes.append(float(F.cross_entropy(pruned(X), y)) - base)
        assert spearmanr(scores.numpy(), changes).statistic > 0.6


@pytest.mark.parametrize("importance", ["taylor", "magnitude", "ablation"])
def test_width_pruning_meets_the_budget_on_a_custom_module(digits, importance):
    X, y = digits
    torch.manual_seed(0)
    net = make_net(TutorialCnn, max_epochs=8)
    pruner = LayerPruner(
        net,
        structure="width",
        importance=importance,
        max_parameters=0.3,
        fine_tune_epochs=4,
        random_state=0,
    ).fit(X, y)
    module = pruner.net_.module_
    report = pruner.report(X, y)
    assert report.loc["pruned", "parameters"] <= 0.3 * report.loc["dense", "parameters"]
    assert isinstance(module, TutorialCnn)  # the user's class, thinner
    assert pruner.widths_["fc2"] == (10, 10)
    assert any(after < before for before, after in pruner.widths_.values())
    shares = [a / b for name, (b, a) in pruner.widths_.items() if name != "fc2"]
    assert min(shares) >= 0.4 * max(shares)  # balanced, within a tenth's step
    assert pruner.score(X, y) > 0.9
    assert all(r["n_removed"] == r["step"] for r in pruner.history_)
    assert all(r["healing_epochs"] >= 1 for r in pruner.history_[1:])
    scripted = torch.jit.script(module.eval())  # ships as TorchScript
    example = torch.as_tensor(X[:5])
    torch.testing.assert_close(scripted(example), module(example))


class LayerNormMlp(nn.Module):
    """Linear-LayerNorm-GELU twice, then a Linear output."""

    def __init__(self, affine=True):
        super().__init__()
        self.first = nn.Linear(64, 64)
        self.norm1 = nn.LayerNorm(64, elementwise_affine=affine)
        self.second = nn.Linear(64, 48)
        self.norm2 = nn.LayerNorm(48, elementwise_affine=affine)
        self.out = nn.Linear(48, 10)

    def forward(self, x):
        x = F.gelu(self.norm1(self.first(x)))
        return self.out(F.gelu(self.norm2(self.second(x))))


class GridNorm(nn.Module):
    """A LayerNorm over two axes: the rows' 8 positions and the features."""

    def __init__(self):
        super().__init__()
        self.first = nn.Linear(8, 16)
        self.norm = nn.LayerNorm((8, 16))
        self.out = nn.Linear(128, 10)

    def forward(self, x):
        x = self.norm(self.first(x.view(-1, 8, 8)))
        return self.out(x.flatten(1))


def test_layernorms_over_the_features_are_sliced_with_them(digits):
    spaces = _spaces(LayerNormMlp(), torch.randn(4, 64))
    assert spaces["first"].followers == ["norm1"]
    assert spaces["second"].followers == ["norm2"]
    assert not spaces["first"].frozen and not spaces["second"].frozen
    assert "LayerNorm" in _spaces(GridNorm(), torch.randn(4, 64))["first"].frozen

    module = LayerNormMlp()
    norm = copy.deepcopy(module.norm1)
    nn.init.normal_(norm.weight)
    module.norm1.load_state_dict(norm.state_dict())
    space = _spaces(module, torch.randn(4, 64))["first"]
    remove_channels(module, space, [0, 5])
    assert module.norm1.normalized_shape == (62,)
    kept = [c for c in range(64) if c not in (0, 5)]
    torch.testing.assert_close(module.norm1.weight, norm.weight[kept])
    assert module(torch.randn(3, 64)).shape == (3, 10)

    X, y = digits
    for affine in (True, False):  # no affine weights: magnitude skips the norm
        torch.manual_seed(0)
        pruner = LayerPruner(
            make_net(LayerNormMlp(affine), max_epochs=8),
            structure="width",
            importance="magnitude",
            max_parameters=0.5,
            fine_tune_epochs=3,
            random_state=0,
        ).fit(X, y)
        module = pruner.net_.module_
        assert module.norm1.normalized_shape == (module.first.out_features,)
        assert module.first.out_features < 64
        assert (
            pruner.history_[-1]["n_parameters"]
            <= 0.5 * pruner.history_[0]["n_parameters"]
        )
        assert pruner.score(X, y) > 0.9


def test_width_keeps_batchnorms_while_healing_and_folds_them_after(digits, monkeypatch):
    import skprune.layer_pruning._pruner as pruner_module

    X, y = digits
    torch.manual_seed(0)
    module = nn.Sequential(
        nn.Linear(64, 48), nn.BatchNorm1d(48), nn.ReLU(),
        nn.Linear(48, 48), nn.BatchNorm1d(48), nn.ReLU(), nn.Linear(48, 10),
    )  # fmt: skip
    fold, seen = pruner_module.fold_batchnorms, []

    def spy(module):  # the BatchNorms' widths when they are folded
        seen.append([m.num_features for m in module.modules() if _is_norm(m)])
        return fold(module)

    monkeypatch.setattr(pruner_module, "fold_batchnorms", spy)
    pruner = LayerPruner(
        make_net(module, max_epochs=6),
        structure="width",
        max_parameters=0.4,
        fine_tune_epochs=3,
        random_state=0,
    ).fit(X, y)
    # the shipped net is folded after pruning: its norms were thinned with it
    assert seen[-1] == [pruner.widths_["0"][1], pruner.widths_["3"][1]] != [48, 48]
    assert pruner.folded_layers_ == [("0", "1"), ("3", "4")]
    assert not any(_is_norm(m) for m in pruner.net_.module_.modules())
    assert pruner.score(X, y) > 0.9
    seen.clear()
    LayerPruner(
        make_net(module, max_epochs=2), n_layers=1, fine_tune_epochs=1, random_state=0
    ).fit(X, y)
    assert [48, 48] in seen and seen[-1] == []  # by layers: folded before pruning


def _is_norm(module):
    return isinstance(module, nn.BatchNorm1d)


def test_no_layer_is_thinned_far_below_the_others():
    def thinning(name, size, removed):
        space = Space(size, producers=[name])
        return Unit(
            f"{name}[{removed}]", "width", 0, space=space, channels=(0,) * removed
        )

    wide = thinning("a", 100, 10)  # keeps 90 of 100
    narrow = thinning("b", 50, 5)  # would keep 45 of 100: at half of 0.9, it may go
    narrowest = thinning("c", 40, 4)  # would keep 36 of 100: too thin
    layer = Unit("d", "bridge", 10)
    widths = {"a": 100, "b": 100, "c": 100}
    units = [wide, narrow, narrowest, layer]
    assert balanced(units, widths) == [wide, narrow, layer]
    assert balanced([narrowest], widths) == [narrowest]  # the widest always stays
    unknown = thinning("e", 8, 1)  # a layer the unpruned net did not have
    assert balanced([wide, unknown], widths) == [wide, unknown]
    # beside a hidden layer that cannot be thinned, none goes under a quarter
    assert balanced([narrowest], widths, unthinned=True) == [narrowest]
    thinnest = thinning("c", 30, 6)  # would keep 24 of 100
    assert balanced([thinnest], widths) == [thinnest]
    assert balanced([thinnest], widths, unthinned=True) == []


class JoinedBranches(nn.Module):
    """Two branches concatenated (never thinned), read by one hidden layer."""

    def __init__(self):
        super().__init__()
        self.a = nn.Linear(64, 64)
        self.b = nn.Linear(64, 64)
        self.joint = nn.Linear(128, 64)
        self.out = nn.Linear(64, 10)

    def forward(self, x):
        x = torch.cat([F.relu(self.a(x)), F.relu(self.b(x))], dim=1)
        return self.out(F.relu(self.joint(x)))


def test_a_budget_out_of_reach_does_not_crush_the_one_thinnable_layer(digits):
    X, y = digits
    torch.manual_seed(0)
    pruner = LayerPruner(
        make_net(JoinedBranches(), max_epochs=8),
        structure="width",
        max_parameters=0.4,
        fine_tune_epochs=3,
        random_state=0,
    )
    with pytest.warns(UserWarning, match="over the budget"):
        pruner.fit(X, y)  # only joint thins: 0.4x is out of reach
    assert pruner.widths_["a"] == pruner.widths_["b"] == (64, 64)
    assert 16 <= pruner.widths_["joint"][1] < 32  # it went down to 1 neuron before
    assert pruner.score(X, y) > 0.9


def test_both_chooses_among_layers_and_channels(digits, monkeypatch):
    X, y = digits

    def prune(structure):
        torch.manual_seed(0)
        layers = [nn.Linear(64, 96), nn.ReLU(), nn.Dropout(0.1)]  # healing draws
        for _ in range(5):  # from torch through dropout
            layers += [nn.Linear(96, 96), nn.ReLU(), nn.Dropout(0.1)]
        module = nn.Sequential(*layers, nn.Linear(96, 10))
        net = make_net(module, max_epochs=8)
        return LayerPruner(
            net, structure=structure, max_parameters=0.6, fine_tune_epochs=3,
            random_state=0,
        ).fit(X, y)  # fmt: skip

    paths = []  # what each of the three prunings ended with
    best_path = LayerPruner._best_path

    def spy(self, outcomes):
        for outcome in outcomes:
            weights = [p.detach().clone() for p in outcome["module"].parameters()]
            loss = outcome["validation_loss"]
            paths.append((outcome["removed_layers_"], weights, loss))
        return best_path(self, outcomes)

    monkeypatch.setattr(LayerPruner, "_best_path", spy)
    pruner = prune("both")
    monkeypatch.undo()
    assert (
        pruner.history_[-1]["n_parameters"] <= 0.6 * pruner.history_[0]["n_parameters"]
    )
    assert pruner.score(X, y) > 0.9
    removed = pruner.removed_layers_
    assert len(removed) == len(pruner.history_) - 1
    assert all("of" in name or name.isdigit() for name in removed)
    # the three paths: width, layers, and either unit by the budget's rule
    assert len(paths) == 3
    assert all("of" in name for name in paths[0][0])
    assert all(name.isdigit() for name in paths[1][0])
    # it keeps the path of least validation loss
    assert removed == min(paths, key=lambda path: path[2])[0]
    # each path draws what it would draw alone: the width and layers paths
    # are, bit for bit, what those structures give by themselves
    for structure, path in zip(("width", "layers"), paths[:2], strict=True):
        names, weights, _ = path
        alone = prune(structure)
        assert alone.removed_layers_ == names, structure
        expected = alone.net_.module_.parameters()
        for value, reference in zip(weights, expected, strict=True):
            assert torch.equal(value, reference), structure


@pytest.mark.parametrize(
    "structure, importance",
    [("both", "angular"), ("both", "taylor"), ("layers", "magnitude")],
)
def test_importance_must_score_the_structure(digits, structure, importance):
    net = make_net(TutorialCnn, max_epochs=1)
    with pytest.raises(ValueError, match=f"importance='{importance}' does not score"):
        LayerPruner(net, structure=structure, importance=importance).fit(*digits)


def test_a_net_without_prunable_width_says_why(digits):
    X, y = digits
    net = make_net(nn.Sequential(nn.Linear(64, 10)), max_epochs=1)
    with pytest.raises(ValueError, match="no prunable units.*output"):
        LayerPruner(net, structure="width").fit(X, y)


def test_a_count_removes_that_many_groups(digits):
    X, y = digits
    torch.manual_seed(0)
    pruner = LayerPruner(
        make_net(ResidualMLP, max_epochs=4),
        structure="width",
        n_layers=3,
        importance="magnitude",
        fine_tune_epochs=1,
        random_state=0,
    ).fit(X, y)
    assert len(pruner.removed_layers_) == 3
    before, after = zip(*pruner.widths_.values(), strict=True)
    assert sum(after) < sum(before)
    joined = "inp+blocks.0.outer+blocks.1.outer+blocks.2.outer+blocks.3.outer"
    assert "blocks.0.inner" in {
        s.name for s in channel_spaces(pruner.net_.module_, torch.as_tensor(X[:4]))
    }
    assert joined in {
        s.name for s in channel_spaces(pruner.net_.module_, torch.as_tensor(X[:4]))
    }


class _RandomNet(nn.Module):
    """Convolutions (with or without BatchNorm, residual adds, a depthwise
    conv, pooling), then a flatten or a spatial mean, then Linear layers."""

    def __init__(self, convs, norm, residual, depthwise, pool, mean, linears):
        super().__init__()
        self.convs, self.norms = nn.ModuleList(), nn.ModuleList()
        self.pool, self.mean = pool, mean
        # a residual add where a conv keeps its input's width
        self.adds = [
            residual and w == v for w, v in zip([1, *convs[:-1]], convs, strict=True)
        ]
        previous = 1
        for width in convs:
            self.convs.append(nn.Conv2d(previous, width, 3, padding=1))
            self.norms.append(nn.BatchNorm2d(width) if norm else nn.Identity())
            previous = width
        self.depthwise = (
            nn.Conv2d(previous, previous, 3, padding=1, groups=previous)
            if depthwise
            else nn.Identity()
        )
        size = previous if mean else previous * (16 if pool else 64)
        self.linears = nn.ModuleList()
        for width in linears:
            self.linears.append(nn.Linear(size, width))
            size = width
        self.out = nn.Linear(size, 3)

    def forward(self, x):
        for conv, norm, add in zip(self.convs, self.norms, self.adds, strict=True):
            h = F.relu(norm(conv(x)))
            x = x + h if add else h
        x = self.depthwise(x)
        if self.pool:
            x = F.max_pool2d(x, 2)
        x = x.mean((2, 3)) if self.mean else torch.flatten(x, 1)
        for linear in self.linears:
            x = torch.tanh(linear(x))
        return self.out(x)


@settings(max_examples=25, deadline=None)
@given(
    convs=st.lists(st.sampled_from([2, 3, 5]), min_size=1, max_size=3),
    norm=st.booleans(),
    residual=st.booleans(),
    depthwise=st.booleans(),
    pool=st.booleans(),
    mean=st.booleans(),
    linears=st.lists(st.integers(2, 6), max_size=2),
    seed=st.integers(0, 100),
)
def test_any_traced_removal_is_exact(
    convs, norm, residual, depthwise, pool, mean, linears, seed
):
    # whatever the net, removing channels that nothing reads leaves its
    # output unchanged, and every space left unfrozen can lose a channel
    torch.manual_seed(seed)
    example = torch.randn(6, 1, 8, 8)
    module = _train_batchnorms(
        _RandomNet(convs, norm, residual, depthwise, pool, mean, linears), example
    )
    for space in channel_spaces(module, example):
        if space.frozen or space.size < 2:
            continue
        with torch.no_grad():
            for name, block in space.consumers.items():
                module.get_submodule(name).weight[:, :block] = 0
        expected = module(example)
        remove_channels(module, space, [0])
        torch.testing.assert_close(module(example), expected, atol=1e-5, rtol=1e-4)


def test_reading_a_size_keeps_the_channels_a_split_freezes_them():
    class ReadsShape(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv, self.fc = nn.Conv2d(1, 4, 3, padding=1), nn.Linear(4 * 64, 3)

        def forward(self, x):
            h = self.conv(x)
            return self.fc(h.reshape(h.shape[0], -1))

    class Splits(nn.Module):
        def __init__(self):
            super().__init__()
            self.a, self.b = nn.Linear(4, 6), nn.Linear(3, 3)

        def forward(self, x):
            u, v = self.a(x).chunk(2, dim=1)
            return self.b(u * v)

    spaces = _spaces(ReadsShape(), torch.randn(4, 1, 8, 8))
    assert not spaces["conv"].frozen
    assert spaces["conv"].consumers == {"fc": 64}
    assert "chunk" in _spaces(Splits(), torch.randn(4, 4))["a"].frozen
