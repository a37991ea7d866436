"""The seed's distributed examples (examples/python/distributed_*.py), run as users run them.

The PyTorch example is run as a script, so that its train_func and model class live in `__main__`
(no `if __name__ == "__main__"` guard) and reach the ranks by value. It is written for 4 ranks; the
test runs it with 2, the only change, to fit the suite's time on 2 cores (each rank imports torch).
"""

import os
import re
import runpy
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import sluice

pytest.importorskip("torch")
pytest.importorskip("sklearn")

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "python"


@pytest.mark.timeout(170)
def test_distributed_pytorch_digits_example(tmp_path):
    source = (EXAMPLES / "distributed_pytorch_digits.py").read_text()
    assert source.count("num_workers_per_node=4,") == 1
    script = tmp_path / "distributed_pytorch_digits.py"
    script.write_text(source.replace("num_workers_per_node=4,", "num_workers_per_node=2,"))
    package_parent = os.path.dirname(os.path.dirname(sluice.__file__))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([package_parent, os.environ.get("PYTHONPATH", "")]))
    result = subprocess.run([sys.executable, str(script)], env=env, capture_output=True, text=True, timeout=150)
    assert result.returncode == 0, result.stderr[-4000:]
    model_dir = re.search(r"sluice: the model is in (\S+)", result.stdout).group(1)
    assert (Path(model_dir) / "digits_model.pth").stat().st_size > 1_000_000
    losses = {}
    for epoch, loss in re.findall(r"Epoch (\d), Batch 0, Loss: ([0-9.e+-]+)", result.stdout):
        losses.setdefault(int(epoch), []).append(float(loss))
    assert sorted(losses) == [0, 1, 2, 3, 4] and all(len(v) == 2 for v in losses.values()), result.stdout
    assert np.mean(losses[4]) < np.mean(losses[0]) * 0.9, losses


@pytest.mark.timeout(110)
def test_distributed_xgboost_example():
    pytest.importorskip("xgboost")
    namespace = runpy.run_path(str(EXAMPLES / "distributed_xgboost.py"))
    booster, frame = namespace["booster"], namespace["frame"]
    assert booster.num_boosted_rounds() == 50
    import xgboost

    features = ["FEATURE1", "FEATURE2", "FEATURE3"]
    predicted = booster.predict(xgboost.DMatrix(frame[features], feature_names=features))
    residual = frame["TARGET"].to_numpy() - predicted
    assert 1 - residual.var() / frame["TARGET"].var() > 0.9  # R² on the rows it learned from
