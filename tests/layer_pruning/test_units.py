import torch
from torch import nn

from skprune.layer_pruning import find_units
from skprune.layer_pruning._splice import bridge_splice, drop_identities, remove_unit

from .conftest import ResidualMLP, lenet_head


def test_residual_blocks_are_units_once_and_the_ends_are_never_units():
    units = find_units(ResidualMLP(), torch.randn(8, 64))
    assert [u.name for u in units] == [f"blocks.{i}" for i in range(4)]
    assert {u.kind for u in units} == {"identity"}
    assert units[0].n_parameters == 2 * (32 * 32 + 32)


def test_lenet_head_has_one_bridge_into_the_last_layer():
    (unit,) = find_units(lenet_head(), torch.randn(8, 64))
    assert (unit.name, unit.kind, unit.target) == ("2", "bridge", "4")
    assert unit.replaced == ["2", "3"]


def test_square_layers_and_patterns():
    module = nn.Sequential(
        nn.Linear(10, 16),
        nn.Tanh(),
        nn.Linear(16, 16),
        nn.Tanh(),
        nn.Linear(16, 16),
        nn.Linear(16, 3),
    )
    units = find_units(module, torch.randn(4, 10))
    assert [(u.name, u.kind, u.target) for u in units] == [
        ("2", "bridge", "4"),
        ("4", "bridge", "5"),
    ]
    plain = find_units(module, torch.randn(4, 10), bridges=False)
    assert [(u.name, u.kind) for u in plain] == [("2", "identity"), ("4", "identity")]
    assert [u.name for u in find_units(module, torch.randn(4, 10), ["4"])] == ["4"]
    assert find_units(ResidualMLP(), torch.randn(4, 64), ["blocks.[13]"])[1].name == (
        "blocks.3"
    )


def test_bridge_splice_is_exact_when_the_gap_is_linear():
    torch.manual_seed(0)
    module = nn.Sequential(nn.Linear(6, 12), nn.Linear(12, 8), nn.Linear(8, 3))
    x = torch.randn(256, 6)
    expected = module(x).detach()
    (unit,) = find_units(module, x)
    bridge_splice(module, unit, x)
    drop_identities(module)
    assert [type(m) for m in module] == [nn.Linear, nn.Linear]
    assert module[1].in_features == 12 and module[1].out_features == 3
    torch.testing.assert_close(module(x), expected, atol=1e-4, rtol=1e-4)


def test_identity_removal_of_a_residual_block_drops_its_parameters():
    module = ResidualMLP()
    before = sum(p.numel() for p in module.parameters())
    unit = find_units(module, torch.randn(4, 64))[2]
    remove_unit(module, unit, torch.randn(4, 64))
    assert isinstance(module.blocks[2], nn.Identity)
    assert sum(p.numel() for p in module.parameters()) == before - unit.n_parameters
