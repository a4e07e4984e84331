"""Checks of werk export, render and report with the programs users open
their outputs with. Run by ctest (tests/viz/CMakeLists.txt):

  check_outputs.py WERK SCENES_DIR paraview   ParaView's default reader on an export of the main job
  check_outputs.py WERK SCENES_DIR render     a box at a known spot shows up where the camera puts it
  check_outputs.py WERK SCENES_DIR report     reports open in headless Chromium, blank-free, offline

Needs Debian's paraview, xvfb, chromium, ffmpeg and python3-matplotlib
(scripts/setup.sh installs them). Exit 0: all checks hold.
"""
import os
import shutil
import subprocess
import sys
import tempfile

import matplotlib.image
import numpy as np

werk, scenes, mode = sys.argv[1], sys.argv[2], sys.argv[3]
here = os.path.dirname(os.path.abspath(__file__))
tmp = tempfile.mkdtemp(prefix="werk_viz_")
failures = []


def check(ok, what):
    print(("ok    " if ok else "FAIL  ") + what, flush=True)
    if not ok:
        failures.append(what)


def run(*args, **kw):
    print("$", " ".join(args), flush=True)
    p = subprocess.run(args, capture_output=True, text=True, **kw)
    if p.returncode != 0:
        print(p.stdout, p.stderr)
        raise SystemExit("%s failed with exit %d" % (args[0], p.returncode))
    return p


# A floor, a grey static box at (-1, -1) and a dynamic box resting at (1, 1).
BOXES = """werk: 1
name: two_boxes
dt: 0.004166666666666667
duration: 0.1
record_interval: 0.05
static:
  - {name: floor, shape: {type: plane}}
  - {name: marker, shape: {type: box, size: [0.5, 0.5, 0.5]}, position: [-1, -1, 0.25]}
bodies:
  - {name: part, shape: {type: box, size: [0.5, 0.5, 0.5]}, position: [1, 1, 0.25], mass: 1}
"""


def boxes_run():
    scene = os.path.join(tmp, "two_boxes.yaml")
    with open(scene, "w") as f:
        f.write(BOXES)
    out = os.path.join(tmp, "two_boxes.h5")
    run(werk, "run", scene, "-q", "--threads", "1", "-o", out)
    return out


def render_check():
    h5 = boxes_run()
    png = os.path.join(tmp, "top.png")
    # No DISPLAY: werk starts its own Xvfb.
    env = {k: v for k, v in os.environ.items() if k != "DISPLAY"}
    run(werk, "render", h5, "-o", png, "--camera", "top", "--size", "320x240", env=env)
    img = matplotlib.image.imread(png)[:, :, :3]
    check(img.shape[:2] == (240, 320), "PNG of the asked size 320x240 (got %s)" % (img.shape[:2],))
    corner = img[2, -2]  # background
    differs = np.abs(img - corner).max(axis=2) > 0.1
    check(differs.mean() > 0.02, "%.1f%% of the pixels differ from the background" % (100 * differs.mean()))
    # The dynamic box is drawn in a saturated colour, the static one in grey.
    sat = (img.max(axis=2) - img.min(axis=2)) > 0.3
    ys, xs = np.nonzero(sat)
    check(len(xs) > 100, "%d coloured pixels (the part)" % len(xs))
    if len(xs):
        # Top view, +y up: the part at (1, 1) is in the upper-right quarter
        # of the picture, the marker at (-1, -1) in the lower-left.
        check(xs.mean() > 200 and ys.mean() < 100 and xs.min() > 160 and ys.max() < 120,
              "the part's pixels are in the upper-right quarter (mean x %.0f, y %.0f)" % (xs.mean(), ys.mean()))
    grey = (np.abs(img - np.array([0.72, 0.73, 0.75])).max(axis=2) < 0.12) & ~sat
    lower_left = grey[140:, :140].sum()
    check(lower_left > 200, "%d grey pixels of the static box in the lower-left quarter" % lower_left)
    # A short movie through ffmpeg.
    mp4 = os.path.join(tmp, "boxes.mp4")
    run(werk, "render", h5, "--movie", mp4, "--size", "160x120", "--fps", "10", env=env)
    check(os.path.getsize(mp4) > 1000, "movie written (%d bytes)" % os.path.getsize(mp4))
    probe = run("ffprobe", "-v", "error", "-count_frames", "-select_streams", "v:0", "-show_entries",
                "stream=nb_read_frames,width,height", "-of", "csv=p=0", mp4).stdout.strip()
    check(probe.replace(",", " ").split() == ["160", "120", "3"], "movie: 160x120, 3 frames (got %s)" % probe)


def paraview_check():
    h5 = os.path.join(tmp, "main.h5")
    run(werk, "run", os.path.join(scenes, "parts_to_bin.yaml"), "-q", "--duration", "4", "-o", h5)
    out = os.path.join(tmp, "vtk")
    run(werk, "export", h5, "--vtk", out)
    pvd = [f for f in os.listdir(out) if f.endswith(".pvd")]
    check(len(pvd) == 1, "one .pvd written")
    # pvpython: installed, or Debian's python3-paraview unpacked by
    # scripts/setup.sh (it cannot be installed beside libvtk9-dev).
    unpacked = os.environ.get("WERK_PVPYTHON_DIR", "/var/cache/werk/python3-paraview")
    env = dict(os.environ)
    pvpython = shutil.which("pvpython")
    if not pvpython and os.path.exists(os.path.join(unpacked, "usr/bin/pvpython")):
        pvpython = os.path.join(unpacked, "usr/bin/pvpython")
        env["WERK_PARAVIEW_PYTHONPATH"] = os.path.join(unpacked, "usr/lib/python3/dist-packages")
    check(pvpython is not None, "pvpython found (installed, or unpacked in %s by scripts/setup.sh)" % unpacked)
    if not pvpython:
        return
    p = subprocess.run(["xvfb-run", "-a", pvpython, os.path.join(here, "paraview_check.py"), h5,
                        os.path.join(out, pvd[0])], capture_output=True, text=True, env=env)
    print(p.stdout, p.stderr[-3000:])
    check(p.returncode == 0, "ParaView's checks hold")


def chromium(html, shot):
    p = subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr",
                        "--v=0", "--window-size=1280,900", "--screenshot=" + shot, "file://" + html],
                       capture_output=True, text=True, timeout=120)
    return p.returncode, [l for l in p.stderr.splitlines() if "CONSOLE" in l or "Uncaught" in l]


def report_check():
    # The console check sees errors: a page whose script throws is caught.
    bad = os.path.join(tmp, "bad.html")
    with open(bad, "w") as f:
        f.write("<!DOCTYPE html><html><body><p>x</p><script>undefined_function();</script></body></html>")
    check(chromium(bad, os.path.join(tmp, "bad.png"))[1] != [], "a page with a script error shows it in the console")
    reports = []
    proc_h5 = os.path.join(tmp, "mm1.h5")
    run(werk, "run", os.path.join(scenes, "process_mm1.yaml"), "-q", "--replications", "3", "--duration", "20000", "-o", proc_h5)
    reports.append(("process", proc_h5))
    reports.append(("physics", boxes_run()))
    for kind, h5 in reports:
        html = os.path.join(tmp, kind + ".html")
        env = {k: v for k, v in os.environ.items() if k != "DISPLAY"}
        run(werk, "report", h5, "-o", html, env=env)
        page = open(html, encoding="utf-8").read()
        check("http:" not in page and "https:" not in page and "url(" not in page,
              "%s report: no external URL" % kind)
        check(page.count("data:image/png;base64,") >= (2 if kind == "physics" else 4),
              "%s report: plots embedded (%d images)" % (kind, page.count("data:image/png;base64,")))
        shot = os.path.join(tmp, kind + ".png")
        status, console = chromium(html, shot)
        check(status == 0 and os.path.exists(shot), "%s report: Chromium took a screenshot" % kind)
        check(not console, "%s report: no script errors in the console %s" % (kind, console[:3]))
        if os.path.exists(shot):
            img = matplotlib.image.imread(shot)[:, :, :3]
            dark = (img.mean(axis=2) < 0.6).mean()
            check(dark > 0.01 and img.std() > 0.05, "%s report: the page is not blank (%.1f%% dark pixels)" % (kind, 100 * dark))


try:
    {"paraview": paraview_check, "render": render_check, "report": report_check}[mode]()
finally:
    shutil.rmtree(tmp, ignore_errors=True)
print("%d failed" % len(failures))
sys.exit(1 if failures else 0)
