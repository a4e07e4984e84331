"""Tests of the Python bindings (pytest). Run by ctest (embedding.python)
with PYTHONPATH at build/python, WERK_BINARY (the CLI) and WERK_SCENES_DIR.
"""
import json
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest

import werk

HERE = Path(__file__).resolve().parent
API_SCENE = HERE.parent.parent / "tests" / "embedding" / "api_scene.yaml"
SCENES = Path(os.environ.get("WERK_SCENES_DIR", HERE.parent.parent / "scenes"))
WERK = os.environ.get("WERK_BINARY", str(HERE.parent.parent / "build" / "werk"))
G = 9.81
DT = 1.0 / 240.0

MM1 = HERE.parent.parent / "tests" / "embedding" / "mm1_short.yaml"  # M/M/1 at rho = 0.5


@pytest.fixture
def sim():
    return werk.Simulation(werk.load_scene(str(API_SCENE)), backend="cpu", threads=1)


def test_shapes_and_dtypes():
    model = werk.load_scene(str(API_SCENE))
    s = werk.Simulation(model, backend="cpu", threads=1, worlds=2)
    assert model.nbody == 5
    assert s.positions.shape == (2, 5, 3) and s.positions.dtype == np.float32
    assert s.orientations.shape == (2, 5, 4) and s.orientations.dtype == np.float32
    assert s.velocities.shape == (2, 5, 3) and s.angular_velocities.shape == (2, 5, 3)
    # Initial orientations are the identity (w, x, y, z) = (1, 0, 0, 0).
    np.testing.assert_array_equal(s.orientations[:, model.body("box")], [[1, 0, 0, 0]] * 2)


def test_views_do_not_copy(sim):
    assert sim.zero_copy  # the CPU backend
    p = sim.positions
    address = p.__array_interface__["data"][0]
    ball = sim.model.body("ball")
    z0 = float(p[0, ball, 2])
    sim.step(24)
    # The same memory, updated in place by step(): the old array sees the new state.
    assert sim.positions.__array_interface__["data"][0] == address
    assert float(p[0, ball, 2]) < z0
    assert not p.flags.writeable  # changes go through the setters
    with pytest.raises(ValueError):
        p[0, 0, 0] = 1.0


def test_model_survives_its_python_reference():
    s = werk.Simulation(werk.load_scene(str(API_SCENE)), backend="cpu", threads=1)
    s.step(10)  # the model object is gone from Python; the simulation holds it
    assert s.model.name == "api_test"


def test_setters_change_the_simulation(sim):
    box, carriage = sim.model.body("box"), sim.model.body("carriage")
    sim.step(240)
    # Friction (mu g = 7.85 m/s^2) brings the box to the belt's speed within
    # 0.07 s; 2% of the speed covers the solver's residual slip.
    assert sim.velocities[0, box, 0] == pytest.approx(0.5, abs=0.01)
    assert sim.velocities[0, carriage, 0] == pytest.approx(0.5, abs=0.01)
    sim.set_conveyor_speed("belt", 1.0)  # by name
    sim.set_motor_target(sim.model.joint("rail"), -0.2)  # by index
    assert sim.conveyor_speed("belt") == 1.0 and sim.motor_target("rail") == pytest.approx(-0.2)
    sim.step(120)
    assert sim.velocities[0, box, 0] == pytest.approx(1.0, abs=0.02)
    assert sim.velocities[0, carriage, 0] == pytest.approx(-0.2, abs=0.01)


def test_body_pose_free_fall(sim):
    # At rest at (5, 5, 20), then 1 s of free fall: z = 20 - g/2. The
    # integrator is first order: its error is below g dt t.
    sim.set_body_velocity("ball", [0, 0, 0], [0, 0, 0])
    sim.set_body_pose("ball", [5, 5, 20], [1, 0, 0, 0])
    sim.step(240)
    x, y, z = sim.positions[0, sim.model.body("ball")]
    assert (x, y) == (5.0, 5.0)
    assert z == pytest.approx(20 - G / 2, abs=G * DT)


def test_pool_bodies_come_and_go():
    # A pool of two idle boxes: inactive and unmoved until placed, then in
    # free fall (semi-implicit Euler over N sub-steps of h: z = 1 - g h^2
    # N (N + 1) / 2 exactly, in float to 1e-5 m), parked again when removed.
    text = ("werk: 1\nname: pool\nparts:\n  box: {shape: {type: box, size: [0.1, 0.1, 0.1]}, pool: 2}\n"
            "static:\n  - {name: floor, shape: {type: plane}}\n")
    s = werk.Simulation(werk.compile_scene(text, "pool.yaml"), backend="cpu", threads=1)
    assert not s.body_active("box#1") and not s.body_active("box#2")
    s.step(10)
    assert s.positions[0, s.model.body("box#1"), 2] == -10.0
    s.place_body("box#1", [0, 0, 1])
    assert s.body_active("box#1")
    s.step(60)
    h, n = DT / 2, 120
    assert s.positions[0, s.model.body("box#1"), 2] == pytest.approx(1 - G * h * h * n * (n + 1) / 2, abs=1e-5)
    s.remove_body("box#1")
    assert not s.body_active("box#1")
    assert s.positions[0, s.model.body("box#1"), 2] == -10.0


def test_errors_carry_locations(tmp_path):
    with pytest.raises(werk.InputError) as e:
        werk.compile_scene("werk: 1\nname: bad\ndt: -1\n", "bad.yaml")
    assert (e.value.file, e.value.line, e.value.column) == ("bad.yaml", 3, 5)
    assert e.value.message == "dt: expected a positive number, found -1"
    assert str(e.value).startswith("bad.yaml:3:5: ")
    with pytest.raises(werk.InputError) as e:
        werk.load_scene(str(tmp_path / "missing.yaml"))
    assert e.value.file.endswith("missing.yaml")
    model = werk.load_scene(str(API_SCENE))
    with pytest.raises(werk.UnknownNameError) as e:
        model.conveyor("infeed")
    assert "expected one of: belt" in str(e.value) and isinstance(e.value, KeyError)
    with pytest.raises(werk.InputError, match="backend: expected auto, cpu, cuda or emulated-cuda"):
        werk.Simulation(model, backend="gpu")
    if not werk.cuda_available():
        with pytest.raises(werk.SimulationError):
            werk.Simulation(model, backend="cuda")
    s = werk.Simulation(model, backend="cpu", threads=1)
    with pytest.raises(IndexError, match="world 1 is out of range"):
        s.set_conveyor_speed("belt", 1.0, world=1)


def test_recorder_writes_frames(sim, tmp_path):
    h5py = pytest.importorskip("h5py")
    path = tmp_path / "run.h5"
    with werk.Recorder(sim, str(path), swmr=False) as rec:
        for _ in range(3):
            rec.record(sim)
            sim.step(8)
        assert rec.frames == 3
    with h5py.File(path, "r") as f:
        assert f["/particles/bodies/position/value"].shape == (3, 5, 3)


def test_process_kpis_equal_the_cli(tmp_path):
    scene = MM1
    r = werk.run_process(str(scene), replications=4, threads=1)
    # The server is busy rho = 0.5 of the time; the estimate's standard
    # error over ~40000 arrivals is below 0.01.
    u = r["kpis"]["server.utilization"]
    assert u["mean"] == pytest.approx(0.5, abs=0.03)
    assert u["ci95"][0] < u["mean"] < u["ci95"][1] and len(u["values"]) == 4
    assert r["bottleneck"] == "server" and r["replications"] == 4
    # The same numbers as `werk run --kpis`.
    kpis = tmp_path / "kpis.json"
    subprocess.run([WERK, "run", str(scene), "--replications", "4", "--kpis", str(kpis), "-q", "-o",
                    str(tmp_path / "mm1.h5")], check=True, capture_output=True)
    cli = json.loads(kpis.read_text())
    assert cli["bottleneck"] == r["bottleneck"] and cli["seed"] == r["seed"]
    assert set(cli["kpis"]) == set(r["kpis"])
    for name, k in cli["kpis"].items():
        mine = r["kpis"][name]
        assert (mine["unit"], mine["mean"], mine["values"]) == (k["unit"], k["mean"], k["values"]), name
        assert (list(mine["ci95"]) if mine["ci95"] else None) == k["ci95"], name
    # One flat record per KPI, for pandas.DataFrame(r["records"]).
    assert [rec["kpi"] for rec in r["records"]] == list(cli["kpis"])
    # From text, the same.
    assert werk.run_process_text(MM1.read_text(), "mm1.yaml", replications=4)["kpis"] == r["kpis"]


def test_same_state_hash_as_the_cli():
    scene = str(SCENES / "drop_test.yaml")
    out = subprocess.run([WERK, "bench", scene, "--steps", "720", "--warmup", "0", "--json"], check=True,
                         capture_output=True, text=True).stdout
    cli = json.loads(out.strip().splitlines()[-1])["hash"]
    s = werk.Simulation(werk.load_scene(scene))
    s.step(720)
    assert "%016x" % s.state_hash() == cli
