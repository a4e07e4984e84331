#!/usr/bin/env python3
"""HTML report of a werk result file (called by `werk report`).

One self-contained page: every plot is a PNG made by matplotlib and
embedded as base64, the style is inline, and nothing is fetched from the
network. Reads the file with h5py (Debian's python3-h5py, python3-numpy,
python3-matplotlib under /usr/bin/python3). Layout of the file:
docs/output-format.md and docs/process.md.
"""
import argparse
import base64
import html
import io
import re
import sys

import h5py
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

STATE_COLOURS = {
    "working": "#2ca02c", "setup": "#bcbd22", "idle": "#c7c7c7", "blocked": "#ff7f0e",
    "failed": "#d62728", "maintenance": "#9467bd", "off_shift": "#7f7f7f",
}
MAX_CHANGES = 20000
KIND_NAMES = {0: "static", 1: "dynamic", 2: "kinematic"}


def text(x):
    if isinstance(x, bytes):
        return x.decode("utf-8", "replace")
    if isinstance(x, np.ndarray) and x.shape == (1,):
        return text(x[0])
    return str(x)


def strings(ds):
    return [text(v) for v in ds[()]]


def png(fig):
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")
    plt.close(fig)
    return '<img alt="plot" src="data:image/png;base64,%s">' % base64.b64encode(buf.getvalue()).decode()


def png_file(path):
    with open(path, "rb") as f:
        return '<img alt="frame" src="data:image/png;base64,%s">' % base64.b64encode(f.read()).decode()


def table(header, rows):
    if header is None:
        return "<table><tbody>%s</tbody></table>" % "".join(
            "<tr><th>%s</th><td>%s</td></tr>" % (html.escape(str(a)), html.escape(str(b))) for a, b in rows)
    h = "".join("<th>%s</th>" % html.escape(c) for c in header)
    b = "".join("<tr>%s</tr>" % "".join("<td>%s</td>" % html.escape(str(c)) for c in r) for r in rows)
    return "<table><thead><tr>%s</tr></thead><tbody>%s</tbody></table>" % (h, b)


def header_section(f, path):
    p = f["parameters"]
    scene = text(p["scene"][()]) if "scene" in p else ""
    name = ""
    if "geometry" in f and "scene_name" in f["geometry"].attrs:
        name = text(f["geometry"].attrs["scene_name"])
    if not name:
        m = re.search(r"^name:\s*([^\s#]+)", scene, re.M)
        name = m.group(1) if m else path
    attrs = p.attrs
    wall = attrs.get("wall_seconds")
    seed = attrs.get("seed")
    rows = [
        ("scene", name),
        ("scene file", text(attrs.get("scene_file", ""))),
        ("scene SHA-256", text(attrs.get("scene_sha256", ""))),
        ("engine version", text(attrs.get("engine_version", ""))),
        ("backend", text(attrs.get("backend", ""))),
        ("seed", str(int(np.ravel(seed)[0])) if seed is not None else "?"),
        ("wall time", "%.3g s" % float(np.ravel(wall)[0]) if wall is not None else "not recorded"),
        ("result file", path),
    ]
    return name, table(None, rows)


# --- process runs --------------------------------------------------------------------

def step_series(g):
    return np.asarray(g["time"][()], float), np.asarray(g["value"][()])


def process_sections(f):
    out = []
    proc = f["process"]
    kp = proc["kpis"] if "kpis" in proc else None
    state_names = strings(proc["state_names"]) if "state_names" in proc else list(STATE_COLOURS)
    obs = f["observables"] if "observables" in f else {}
    stations = [n for n in obs if "state" in obs[n]]
    buffers = [n for n in obs if "length" in obs[n]]
    end = 0.0
    for n in obs:
        for k in obs[n]:
            t = obs[n][k]["time"]
            if len(t):
                end = max(end, float(t[-1]))
    if "events" in proc and len(proc["events"]["time"]):
        end = max(end, float(proc["events"]["time"][-1]))

    # Timelines with many changes are drawn over the first part of the run
    # only: at most MAX_CHANGES changes of any one series.
    window = end
    for n in obs:
        for k in obs[n]:
            t = obs[n][k]["time"]
            if len(t) > MAX_CHANGES:
                window = min(window, float(t[MAX_CHANGES]))
    span = "the whole run" if window >= end else "the first %.6g s of %.6g s" % (window, end)
    tscale, tunit = (3600.0, "h") if window > 7200 else (1.0, "s")

    kpi = {}
    bottleneck = ""
    if kp is not None:
        names, units = strings(kp["name"]), strings(kp["unit"])
        mean, lo, hi = kp["mean"][()], kp["ci95_low"][()], kp["ci95_high"][()]
        kpi = {n: (m, l, h, u) for n, u, m, l, h in zip(names, units, mean, lo, hi)}
        bottleneck = text(kp.attrs.get("bottleneck", ""))
        reps = text(kp.attrs.get("replications", "?"))
        out.append("<h2>KPIs</h2><p>%s replications; mean ± half-width of the 95%% Student-t confidence interval "
                   "over the replications. Bottleneck: <b>%s</b>.</p>" % (html.escape(reps), html.escape(bottleneck or "none")))

        def pm(key, scale=1.0, digits=1):
            if key not in kpi:
                return "-"
            m, l, h, _ = kpi[key]
            return "%.*f ± %.*f" % (digits, m * scale, digits, (h - l) / 2 * scale)

        def val(key, scale=1.0, digits=1):
            return "%.*f" % (digits, kpi[key][0] * scale) if key in kpi else "-"

        if stations:
            out.append("<h3>Stations</h3>" + table(
                ["station", "util %", "work", "setup", "idle", "blocked", "failed", "maint", "off", "parts out", "OEE %", "kWh"],
                [(s + (" *" if s == bottleneck else ""), pm(s + ".utilization", 100)) +
                 tuple(val("%s.%s" % (s, k), 100) for k in ("working", "setup", "idle", "blocked", "failed", "maintenance", "off_shift")) +
                 (val(s + ".parts_out", 1, 0), pm(s + ".oee", 100), val(s + ".energy", 1, 1)) for s in stations]) +
                "<p class=note>state columns: % of server time; * = bottleneck</p>")
        if buffers:
            out.append("<h3>Buffers and conveyors</h3>" + table(
                ["object", "mean length", "mean wait (s)", "max length", "parts out"],
                [(b, pm(b + ".mean_length", 1, 2), pm(b + ".mean_wait", 1, 1), val(b + ".max_length", 1, 0),
                  val(b + ".parts_out", 1, 0)) for b in buffers]))
        line = [n for n in names if n.startswith("line.") or n.startswith("workers.")]
        if line:
            out.append("<h3>Line</h3>" + table(["KPI", "mean ± 95% CI", "unit"],
                                               [(n, pm(n, 1, 4), kpi[n][3]) for n in line]))
        rows = [(n, u, "%.6g" % m, "%.6g" % l, "%.6g" % h) for n, u, m, l, h in zip(names, units, mean, lo, hi)]
        out.append("<details><summary>All %d KPIs</summary>%s</details>" %
                   (len(rows), table(["KPI", "unit", "mean", "95% CI low", "95% CI high"], rows)))

    if stations:
        fig, ax = plt.subplots(figsize=(11, 0.45 * len(stations) + 1.2))
        for i, s in enumerate(stations):
            t, v = step_series(obs[s]["state"])
            keep = t < window
            t, v = t[keep], v[keep]
            if not len(t):
                continue
            ends = np.minimum(np.append(t[1:], window), window)
            for k, name in enumerate(state_names):
                sel = v == k
                if sel.any():
                    ax.broken_barh(list(zip(t[sel] / tscale, (ends[sel] - t[sel]) / tscale)), (i - 0.4, 0.8),
                                   facecolors=STATE_COLOURS.get(name, "#444444"))
        ax.set_yticks(range(len(stations)), stations)
        ax.invert_yaxis()
        ax.set_xlabel("time (%s)" % tunit)
        ax.set_xlim(0, window / tscale if window > 0 else 1)
        ax.legend(handles=[matplotlib.patches.Patch(color=STATE_COLOURS.get(n, "#444"), label=n) for n in state_names],
                  ncol=len(state_names), loc="upper center", bbox_to_anchor=(0.5, -0.18), frameon=False)
        ax.set_title("Station states over time (replication 0, %s)" % span)
        out.append("<h2>Station states</h2>" + png(fig))

        shares = np.array([[kpi.get("%s.%s" % (s, n), (0, 0, 0, ""))[0] for n in state_names] for s in stations])
        if shares.any():
            fig, ax = plt.subplots(figsize=(11, 0.45 * len(stations) + 1.2))
            left = np.zeros(len(stations))
            for k, n in enumerate(state_names):
                ax.barh(range(len(stations)), shares[:, k] * 100, left=left, color=STATE_COLOURS.get(n, "#444"), label=n)
                left += shares[:, k] * 100
            labels = [s + ("  ◀ bottleneck" if s == bottleneck else "") for s in stations]
            ax.set_yticks(range(len(stations)), labels)
            for lab in ax.get_yticklabels():
                if lab.get_text().endswith("bottleneck"):
                    lab.set_fontweight("bold")
                    lab.set_color("#d62728")
            ax.invert_yaxis()
            ax.set_xlabel("share of server time (%), mean over replications")
            ax.set_xlim(0, 100)
            ax.legend(ncol=len(state_names), loc="upper center", bbox_to_anchor=(0.5, -0.18), frameon=False)
            ax.set_title("State shares per station")
            out.append("<h2>State shares</h2>" + png(fig))

        oee = [(s,) + tuple(kpi.get("%s.%s" % (s, k), (np.nan,))[0] for k in ("availability", "performance", "quality", "oee"))
               for s in stations]
        if any(np.isfinite(r[4]) for r in oee):
            fig, ax = plt.subplots(figsize=(11, 3.5))
            x = np.arange(len(stations))
            for j, (k, c) in enumerate(zip(("availability", "performance", "quality", "OEE"),
                                           ("#1f77b4", "#ff7f0e", "#2ca02c", "#333333"))):
                ax.bar(x + (j - 1.5) * 0.2, [100 * r[j + 1] for r in oee], 0.2, label=k, color=c)
            ax.set_xticks(x, stations, rotation=20, ha="right")
            ax.set_ylabel("%")
            ax.set_ylim(0, 105)
            ax.legend(ncol=4, frameon=False)
            ax.set_title("OEE = availability × performance × quality (mean over replications)")
            out.append("<h2>OEE</h2>" + png(fig))
            out.append(table(["station", "availability %", "performance %", "quality %", "OEE %"],
                             [(r[0],) + tuple("%.1f" % (100 * v) for v in r[1:]) for r in oee]))

    if buffers:
        fig, ax = plt.subplots(figsize=(11, 3.5))
        for b in buffers:
            t, v = step_series(obs[b]["length"])
            keep = t < window
            t, v = t[keep], v[keep]
            if len(t):
                ax.step(np.append(t, window) / tscale, np.append(v, v[-1]), where="post", label=b)
        ax.set_xlabel("time (%s)" % tunit)
        ax.set_ylabel("parts")
        ax.legend(ncol=4, frameon=False, fontsize="small")
        ax.set_title("Buffer and conveyor content (replication 0, %s)" % span)
        out.append("<h2>Buffers and conveyors</h2>" + png(fig))

    if "events" in proc:
        ev = proc["events"]
        names = strings(proc["event_names"])
        t, e, part = ev["time"][()], ev["event"][()], ev["part"][()]
        partwise = [names.index(n) for n in ("arrive", "enter") if n in names]
        exits = names.index("exit_system") if "exit_system" in names else -1
        if partwise and exits >= 0:
            first = {}
            for ti, ei, pi in zip(t, e, part):
                if ei in partwise and pi not in first:
                    first[pi] = ti
            lead = np.array([ti - first[pi] for ti, ei, pi in zip(t, e, part) if ei == exits and pi in first])
            if len(lead):
                fig, ax = plt.subplots(figsize=(11, 3.5))
                ax.hist(lead / 60.0, bins=40, color="#1f77b4")
                ax.set_xlabel("lead time (min)")
                ax.set_ylabel("parts")
                ax.set_title("Lead time, arrival to exit (replication 0, %d parts, including warm-up)" % len(lead))
                out.append("<h2>Lead time</h2>" + png(fig))
    return out


# --- physics runs ---------------------------------------------------------------------

def physics_sections(f, first, last):
    out = []
    if first and last:
        out.append("<h2>First and last frame</h2><div class=frames><figure>%s<figcaption>first frame</figcaption></figure>"
                   "<figure>%s<figcaption>last frame</figcaption></figure></div>" % (png_file(first), png_file(last)))
    b = f["particles/bodies"]
    names = strings(f["parameters/body_names"])
    kind = f["geometry/body_kind"][()] if "geometry" in f and "body_kind" in f["geometry"] else None
    t = b["position/time"][()]
    pos = b["position/value"]
    vel = b["velocity/value"]
    n = len(names)
    moving = np.arange(n) if kind is None else np.flatnonzero(kind == 1)
    counts = {}
    if kind is not None:
        for k in kind:
            counts[KIND_NAMES.get(int(k), str(k))] = counts.get(KIND_NAMES.get(int(k), str(k)), 0) + 1
    rows = [("frames", len(t)), ("time span", "%.4g s to %.4g s" % (t[0], t[-1]) if len(t) else "-"),
            ("bodies", n)] + [("%s bodies" % k, v) for k, v in sorted(counts.items())]
    out.append("<h2>Trajectories</h2>" + table(None, rows))
    if len(t) and len(moving):
        # Speeds of the dynamic bodies, read a slab of frames at a time.
        mean_v, max_v = np.zeros(len(t)), np.zeros(len(t))
        for s in range(0, len(t), 512):
            v = np.linalg.norm(vel[s:s + 512][:, moving, :], axis=2)
            mean_v[s:s + 512], max_v[s:s + 512] = v.mean(axis=1), v.max(axis=1)
        fig, ax = plt.subplots(figsize=(11, 3.5))
        ax.plot(t, mean_v, label="mean")
        ax.plot(t, max_v, label="max", alpha=0.7)
        ax.set_xlabel("time (s)")
        ax.set_ylabel("speed (m/s)")
        ax.legend(frameon=False)
        ax.set_title("Speed of the %d dynamic bodies" % len(moving))
        out.append(png(fig))
        # Where the parts ended: final positions, top view, and a table of heights.
        p_end = pos[len(t) - 1][moving]
        fig, ax = plt.subplots(figsize=(6, 5))
        sc = ax.scatter(p_end[:, 0], p_end[:, 1], c=p_end[:, 2], cmap="viridis", s=18)
        fig.colorbar(sc, label="z (m)")
        ax.set_xlabel("x (m)")
        ax.set_ylabel("y (m)")
        ax.set_aspect("equal", adjustable="datalim")
        ax.set_title("Dynamic bodies at t = %.4g s (top view)" % t[-1])
        out.append("<h3>Final positions</h3>" + png(fig))
        regions = where_ended(f, names, kind, p_end)
        if regions:
            out.append("<p>What each dynamic body rests on at the end: the highest static box under it "
                       "(its footprint holds the body's position, its top is below it).</p>" +
                       table(["static body", "dynamic bodies"], regions))
        z = p_end[:, 2]
        bands = np.histogram(z, bins=min(8, max(1, len(z))))
        out.append(table(["height band (m)", "bodies"],
                         [("%.3g to %.3g" % (bands[1][i], bands[1][i + 1]), int(c)) for i, c in enumerate(bands[0])]))
    return out


def rotation(q):
    w, x, y, z = q / np.linalg.norm(q)
    return np.array([[1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)],
                     [2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)],
                     [2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)]])


def where_ended(f, names, kind, p_end):
    """Counts of dynamic bodies per static box below them (parts per region)."""
    if kind is None or "geometry" not in f:
        return []
    g = f["geometry"]
    stype, sbody, ssize = g["shape_type"][()], g["shape_body"][()], g["shape_size"][()]
    spos, squat = g["shape_position"][()], g["shape_orientation"][()]
    pos0 = f["particles/bodies/position/value"][0]
    quat0 = f["particles/bodies/orientation/value"][0]
    boxes = []  # (name, lo, hi) world bounds of static boxes
    for s in range(len(stype)):
        b = sbody[s]
        if stype[s] != 1 or kind[b] != 0:
            continue
        r = rotation(quat0[b].astype(float))
        c = pos0[b] + r @ spos[s]
        ext = np.abs(r @ rotation(squat[s].astype(float))) @ ssize[s].astype(float)
        boxes.append((names[b], c - ext, c + ext))
    counts = {}
    for p in p_end:
        best, top = "nothing below (floor)", -np.inf
        for name, lo, hi in boxes:
            if lo[0] <= p[0] <= hi[0] and lo[1] <= p[1] <= hi[1] and hi[2] <= p[2] and hi[2] > top:
                best, top = name, hi[2]
        counts[best] = counts.get(best, 0) + 1
    return sorted(counts.items(), key=lambda kv: -kv[1])


STYLE = """
body{font-family:sans-serif;margin:2em auto;max-width:1150px;color:#222}
h1{margin-bottom:0.2em} h2{border-bottom:1px solid #ccc;padding-bottom:0.2em;margin-top:1.6em}
table{border-collapse:collapse;margin:0.5em 0;font-size:0.9em}
td,th{border:1px solid #ddd;padding:3px 8px;text-align:left} th{background:#f2f2f2}
img{max-width:100%} .note{color:#555;font-size:0.85em} .frames{display:flex;gap:1em} figure{margin:0;flex:1} figcaption{text-align:center;color:#555}
"""


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("file")
    ap.add_argument("-o", "--output", required=True)
    ap.add_argument("--first-frame")
    ap.add_argument("--last-frame")
    a = ap.parse_args()
    with h5py.File(a.file, "r", swmr=True) as f:
        name, head = header_section(f, a.file)
        body = ["<h1>%s</h1>" % html.escape(name), head]
        if "process" in f:
            body += process_sections(f)
        if "particles" in f and "bodies" in f["particles"]:
            body += physics_sections(f, a.first_frame, a.last_frame)
    page = ("<!DOCTYPE html>\n<html lang=en><head><meta charset=utf-8><title>%s: werk report</title>"
            "<style>%s</style></head><body>%s</body></html>\n" % (html.escape(name), STYLE, "\n".join(body)))
    with open(a.output, "w", encoding="utf-8") as out:
        out.write(page)
    return 0


if __name__ == "__main__":
    sys.exit(main())
