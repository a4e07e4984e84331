"""Opens `werk export` output in ParaView through OpenDataFile (what File >
Open does) and checks it against the result file.

Run: xvfb-run -a pvpython paraview_check.py RESULT.h5 EXPORT_DIR/<scene>.pvd
Exit status 0 when every check holds; 1 with the failed checks listed.
"""
import os
import sys

# ParaView's Python modules unpacked outside the system (see scripts/setup.sh)
# go first, before VTK's own Python modules of the same names.
if os.environ.get("WERK_PARAVIEW_PYTHONPATH"):
    sys.path.insert(0, os.environ["WERK_PARAVIEW_PYTHONPATH"])

import h5py
import numpy as np
from paraview import servermanager
from paraview.simple import OpenDataFile, UpdatePipeline

h5_path, pvd_path = sys.argv[1], sys.argv[2]
failures = []


def check(ok, what):
    print(("ok    " if ok else "FAIL  ") + what)
    if not ok:
        failures.append(what)


f = h5py.File(h5_path, "r")
times = f["particles/bodies/position/time"][()]
pos = f["particles/bodies/position/value"]
quat = f["particles/bodies/orientation/value"]
g = f["geometry"]
kind = g["body_kind"][()]
shape_type, shape_body, shape_conv = g["shape_type"][()], g["shape_body"][()], g["shape_conveyor"][()]
shape_size, shape_pos = g["shape_size"][()], g["shape_position"][()]
nbody = len(kind)
belt = np.zeros(nbody, bool)
belt[shape_body[shape_conv >= 0]] = True
static_ids = set(np.flatnonzero((kind == 0) | belt).tolist())
moving_ids = set(np.flatnonzero((kind != 0) & ~belt).tolist())
# Scenes with part pools record which bodies are active in each frame; the
# export leaves inactive bodies out.
active = (f["particles/bodies/active/value"][()][..., 0] > 0.5 if "particles/bodies/active" in f
          else np.ones((len(times), nbody), bool))


def rotation(q):  # w x y z
    w, x, y, z = q / np.linalg.norm(q)
    return np.array([[1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)],
                     [2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)],
                     [2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)]])


reader = OpenDataFile(pvd_path)
check(reader is not None and reader.GetXMLName() == "PVDReader", "OpenDataFile picks the PVD reader (got %s)" %
      (reader.GetXMLName() if reader else None))
steps = np.array(reader.TimestepValues)
check(len(steps) == len(times) and np.allclose(steps, times, rtol=0, atol=1e-6),
      "the time steps are the recorded times (%d of %d)" % (len(steps), len(times)))

# A known body: the first dynamic body made of one box at its own origin
# that is active at the end; followed from the first frame it is active in.
known = -1
for b in sorted(moving_ids):
    s = np.flatnonzero(shape_body == b)
    if not active[len(times) - 1][b]:
        continue
    if len(s) == 1 and shape_type[s[0]] == 1 and np.allclose(shape_pos[s[0]], 0):
        known, half = b, shape_size[s[0]].astype(float)
        break
check(known >= 0, "the run has a dynamic box body to follow")
known_first = int(np.flatnonzero(active[:, known])[0]) if known >= 0 else 0

# Largest reach of a body's shapes from its frame origin (for the extent check).
reach = np.zeros(nbody)
for s in range(len(shape_type)):
    if shape_type[s] != 4:  # planes are patches, not bounded by their size
        reach[shape_body[s]] = max(reach[shape_body[s]], np.linalg.norm(shape_pos[s]) + np.linalg.norm(shape_size[s]))

for label, frame in (("first", 0), ("known body's first", known_first), ("last", len(times) - 1)):
    moving_now = set(b for b in moving_ids if active[frame][b])
    t = float(times[frame])
    UpdatePipeline(time=t, proxy=reader)
    data = servermanager.Fetch(reader)
    # PVD of .vtm: one block per time step holding the two blocks of the frame.
    while data.GetNumberOfBlocks() == 1 and data.GetBlock(0).IsA("vtkMultiBlockDataSet"):
        data = data.GetBlock(0)
    check(data.GetNumberOfBlocks() == 2, "%s frame: 2 blocks (static, moving), got %d" % (label, data.GetNumberOfBlocks()))
    blocks = {data.GetMetaData(i).Get(data.NAME()): data.GetBlock(i) for i in range(data.GetNumberOfBlocks())}
    for name, want in (("static", static_ids), ("moving", moving_now)):
        block = blocks.get(name)
        ids = block.GetCellData().GetArray("body_id") if block else None
        got = set(int(ids.GetValue(i)) for i in range(ids.GetNumberOfTuples())) if ids else set()
        check(got == want, "%s frame, %s block: bodies %s, expected %s" % (label, name, sorted(got)[:8], sorted(want)[:8]))
        check(block is not None and (block.GetNumberOfCells() == 0 or  # no active body: no cells, no cell data
                                     block.GetCellData().GetAbstractArray("body_name") is not None and
                                     block.GetCellData().GetArray("kind") is not None),
              "%s frame, %s block: body_name and kind cell data" % (label, name))
        print("      %s block: %d cells, %d points" % (name, block.GetNumberOfCells(), block.GetNumberOfPoints()))
    # Scene extent of the moving bodies: within each body's reach of its recorded position.
    p = pos[frame][sorted(moving_now)]
    r = reach[sorted(moving_now)][:, None]
    lo, hi = ((p - r).min(axis=0), (p + r).max(axis=0)) if len(p) else (None, None)
    b = np.array(blocks["moving"].GetBounds())
    if not len(p):
        check(blocks["moving"].GetNumberOfCells() == 0, "%s frame: no active moving body, no moving cells" % label)
    else:
      check(np.all(b[0::2] >= lo - 1e-5) and np.all(b[1::2] <= hi + 1e-5) and np.all(b[0::2] <= p.min(axis=0) + 1e-5)
          and np.all(b[1::2] >= p.max(axis=0) - 1e-5),
          "%s frame: moving bounds %s hold every recorded position and lie within reach" % (label, np.round(b, 3)))
    # The known box: its cells' bounds are the box posed by the recorded pose.
    if known >= 0 and active[frame][known]:
        ids = blocks["moving"].GetCellData().GetArray("body_id")
        pts = []
        for c in range(blocks["moving"].GetNumberOfCells()):
            if ids.GetValue(c) == known:
                cell = blocks["moving"].GetCell(c)
                pts += [cell.GetPoints().GetPoint(k) for k in range(cell.GetNumberOfPoints())]
        pts = np.array(pts)
        extent = np.abs(rotation(quat[frame][known].astype(float))) @ half
        want_lo, want_hi = pos[frame][known] - extent, pos[frame][known] + extent
        ok = len(pts) > 0 and np.allclose(pts.min(axis=0), want_lo, atol=2e-5) and np.allclose(pts.max(axis=0), want_hi, atol=2e-5)
        check(ok, "%s frame: body %d's cells span %s..%s, its recorded pose gives %s..%s" %
              (label, known, np.round(pts.min(axis=0), 4) if len(pts) else None,
               np.round(pts.max(axis=0), 4) if len(pts) else None, np.round(want_lo, 4), np.round(want_hi, 4)))
if known >= 0:
    check(np.linalg.norm(pos[len(times) - 1][known] - pos[known_first][known]) > 0.05, "the followed body moved during the run")

print("%d failed" % len(failures))
sys.exit(1 if failures else 0)
