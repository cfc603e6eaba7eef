"""Shipping a pruned net: skorch parameters, TorchScript, torch.export, ONNX; and
report()'s before/after table."""

import io

import numpy as np
import pytest
import torch
from sklearn.base import clone
from torch import nn

from skprune import LayerPruner

from .conftest import ResidualMLP, make_net


def _conv_net():
    return nn.Sequential(
        nn.Unflatten(1, (1, 8, 8)),
        nn.Conv2d(1, 8, 3, padding=1),
        nn.BatchNorm2d(8),
        nn.ReLU(),
        nn.Conv2d(8, 8, 3, padding=1),
        nn.BatchNorm2d(8),
        nn.ReLU(),
        nn.Flatten(),
        nn.Linear(8 * 64, 64),
        nn.ReLU(),
        nn.Linear(64, 10),
    )


@pytest.fixture(scope="module", params=["residual", "conv"])
def pruned(request, digits):
    X, y = digits
    torch.manual_seed(0)
    module = ResidualMLP if request.param == "residual" else _conv_net()
    net = make_net(module, max_epochs=8)
    return LayerPruner(net, n_layers=2, fine_tune_epochs=3, random_state=0).fit(X, y)


def _outputs(module, X):
    """Outputs of a module already in evaluation mode (an exported program
    keeps the mode it was exported in)."""
    with torch.no_grad():
        return module(torch.as_tensor(X)).numpy()


def test_parameters_saved_with_skorch_load_into_a_clone_of_the_pruned_net(
    pruned, digits, tmp_path
):
    X, _ = digits
    path = tmp_path / "params.pt"
    pruned.net_.save_params(f_params=path)
    restored = clone(pruned.net_).initialize()
    restored.load_params(f_params=path)
    np.testing.assert_array_equal(restored.predict(X), pruned.predict(X))


def test_torchscript_and_torch_export_run_the_pruned_module(pruned, digits, tmp_path):
    X, _ = digits
    module = pruned.net_.module_.eval()
    expected = _outputs(module, X)
    example = torch.as_tensor(X[:4])
    traced = torch.jit.trace(module, example)
    path = tmp_path / "pruned.pt"
    traced.save(str(path))
    np.testing.assert_allclose(
        _outputs(torch.jit.load(str(path)), X), expected, atol=1e-5
    )
    batch = torch.export.Dim("batch")
    program = torch.export.export(module, (example,), dynamic_shapes=({0: batch},))
    np.testing.assert_allclose(_outputs(program.module(), X), expected, atol=1e-5)


def test_onnx_runtime_matches_torch(pruned, digits):
    onnxruntime = pytest.importorskip("onnxruntime")
    pytest.importorskip("onnx")
    X, _ = digits
    module = pruned.net_.module_.eval()
    buffer = io.BytesIO()
    torch.onnx.export(
        module,
        (torch.as_tensor(X[:4]),),
        buffer,
        input_names=["X"],
        output_names=["scores"],
        dynamic_axes={"X": {0: "batch"}},
        dynamo=False,
    )
    session = onnxruntime.InferenceSession(
        buffer.getvalue(), providers=["CPUExecutionProvider"]
    )
    (scores,) = session.run(None, {"X": X})
    np.testing.assert_allclose(scores, _outputs(module, X), atol=1e-4)


def test_report_shows_fewer_parameters_bytes_and_flops(pruned, digits):
    X, y = digits
    table = pruned.report(X, y, repeats=3)
    assert list(table.index) == ["dense", "pruned"]
    dense, after = table.loc["dense"], table.loc["pruned"]
    assert after["parameters"] == sum(
        p.numel() for p in pruned.net_.module_.parameters()
    )
    assert after["parameters"] < dense["parameters"]
    assert after["bytes"] < dense["bytes"]
    assert after["flops_per_row"] < dense["flops_per_row"]
    assert after["score"] == pytest.approx(pruned.score(X, y))
    assert (table["predict_seconds"] > 0).all()
    assert np.isnan(pruned.report(X[:50], repeats=1)["score"]).all()
