#!/usr/bin/env python3
"""Virtual commissioning in miniature, from Python: control logic stepped in
lockstep with the physical line of scenes/chute_to_bin.yaml.

The rule (a gap control, as a PLC would run it): while a part is inside the
transfer zone where the infeed belt hands over to the curve, the infeed
stops, so that parts enter the curve one at a time; when the zone is clear
the infeed runs again. The controller reads every part's position after
every step (a numpy view of the engine's memory: no copy on the CPU) and
writes only the belt speed.

    PYTHONPATH=<prefix>/lib/python3/dist-packages python3 line_control.py [SCENE] [SECONDS]
"""
import sys
import time

import numpy as np

import werk

scene = sys.argv[1] if len(sys.argv) > 1 else "scenes/chute_to_bin.yaml"
seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 20.0

# One thread: a loop that steps once per control cycle on a small line
# spends its time in short parallel regions, which one thread runs fastest.
sim = werk.Simulation(werk.load_scene(scene), threads=1)
model = sim.model
infeed = model.conveyor("infeed")
run_speed = sim.conveyor_speed(infeed)
parts = np.flatnonzero(np.array(model.body_kinds) == "dynamic")  # the scene's moving parts
lo = np.array([2.0, -0.25, 0.78], dtype=np.float32)  # the transfer zone (m)
hi = np.array([2.35, 0.1, 1.0], dtype=np.float32)

positions = sim.positions[0]  # (bodies, 3), updated in place by step()
running, stops, stopped_steps, printed = True, 0, 0, 0
steps = int(round(seconds / model.dt))
t0 = time.perf_counter()
for _ in range(steps):
    sim.step()
    if not sim.zero_copy:  # CUDA: each access copies, so take the new state
        positions = sim.positions[0]
    p = positions[parts]
    inside = np.flatnonzero(np.all((p >= lo) & (p <= hi), axis=1))
    if inside.size and running:
        sim.set_conveyor_speed(infeed, 0.0)
        running, stops = False, stops + 1
        if printed < 8:
            print(f"t = {sim.time:6.2f} s: {model.body_names[parts[inside[0]]]} in the transfer zone: infeed stopped")
            printed += 1
    elif not inside.size and not running:
        sim.set_conveyor_speed(infeed, run_speed)
        running = True
        if printed < 8:
            print(f"t = {sim.time:6.2f} s: zone clear: infeed restarted at {run_speed:.2f} m/s")
            printed += 1
    stopped_steps += not running
wall = time.perf_counter() - t0
past = int(np.count_nonzero(positions[parts, 1] > 0.7))
print(f"{sim.time:.1f} s simulated in {wall:.2f} s wall ({sim.time / wall:.1f}x real time): the infeed stopped "
      f"{stops} times, {stopped_steps * model.dt:.1f} s in all; {past} of {parts.size} parts are past the curve")
