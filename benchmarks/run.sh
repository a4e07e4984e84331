#!/usr/bin/env bash
# Runs every rigid-body benchmark scene in Werk, in Bullet and in MuJoCo (the
# peers) in one invocation and prints the comparison table; see
# benchmarks/README.md. Each peer runs twice: at its default settings and at
# settings matched to Werk's quality (--matched: Bullet with Werk's
# sub-steps, MuJoCo with its CG solver).
#
#   benchmarks/run.sh [--quick] [--only NAME[,NAME...]] [--steps N] [--timeout S] [--peer-timeout S]
#                     [--threads N[,N...]] [--wait-policy default|passive|both] [--repeat N]
#
#   --quick      120 steps instead of 600, and no PILE-65536
#   --only NAME  only these scenes (file names without .yaml, e.g. pile_4096)
#   --steps N    steps per run (default 600)
#   --timeout S  wall-clock limit per engine and scene (default 1500 s); the
#                peers stop at the limit and report the steps they made (marked *)
#   --peer-timeout S  the peers' limit (Bullet and MuJoCo), when it should differ
#                from --timeout
#   --threads N[,N...]  Werk CPU threads (default 2); the peers are
#                single-threaded (Debian's Bullet has no task scheduler), so
#                the table also gives the ratios per core. With a list (e.g.
#                1,2) Werk runs once per count, the main table shows the last,
#                and a second table gives every count against Bullet.
#   --wait-policy default|passive|both  OpenMP's waiting for Werk's runs:
#                werk's own choice (default), OMP_WAIT_POLICY=passive (what
#                shared nodes and busy machines give), or both, each in the
#                second table (the main table shows the first)
#   --repeat N   run Werk (every thread count and policy) and Bullet at its
#                defaults N times each, taking turns, and report each one's
#                median run (default 1): a machine whose speed drifts then
#                slows both alike, and one disturbed run decides nothing.
#                The matched peers and MuJoCo run once.
#
# Environment: WERK (default build/werk), PEER (default
# build/benchmarks/werk_bullet_peer), MUJOCO (default
# build/benchmarks/werk_mujoco_peer). The table also goes to
# benchmarks/results/<machine>.md (full runs) or <machine>-partial.md.
set -u
cd "$(dirname "$0")/.."

WERK=${WERK:-build/werk}
PEER=${PEER:-build/benchmarks/werk_bullet_peer}
MUJOCO=${MUJOCO:-build/benchmarks/werk_mujoco_peer}
PY=/usr/bin/python3
STEPS=600
TIMEOUT=1500
THREADS=2
PEER_TIMEOUT=""
WAIT=default
REPEAT=1
QUICK=0
ONLY=""
PARTIAL=0
ARGS="$*"
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) QUICK=1; STEPS=120; PARTIAL=1 ;;
    --only) ONLY="$2"; PARTIAL=1; shift ;;
    --steps) STEPS="$2"; PARTIAL=1; shift ;;
    --timeout) TIMEOUT="$2"; shift ;;
    --threads) THREADS="$2"; shift ;;
    --peer-timeout) PEER_TIMEOUT="$2"; shift ;;
    --wait-policy) WAIT="$2"; shift ;;
    --repeat) REPEAT="$2"; shift ;;
    -h|--help) sed -n '2,30p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown option '$1' (try --help)" >&2; exit 2 ;;
  esac
  shift
done

PEER_TIMEOUT=${PEER_TIMEOUT:-$TIMEOUT}
case "$WAIT" in
  default|passive) POLICIES=$WAIT ;;
  both) POLICIES="default passive" ;;
  *) echo "run.sh: --wait-policy: expected default, passive or both, found '$WAIT'" >&2; exit 2 ;;
esac
THREAD_LIST=$(echo "$THREADS" | tr ',' ' ')
for t in $THREAD_LIST; do
  case "$t" in
    ''|*[!0-9]*|0) echo "run.sh: --threads: expected positive whole numbers, found '$THREADS'" >&2; exit 2 ;;
  esac
done
case "$REPEAT" in
  ''|*[!0-9]*|0) echo "run.sh: --repeat: expected a positive whole number, found '$REPEAT'" >&2; exit 2 ;;
esac
THREADS=${THREAD_LIST##* }  # the main table's count: the last
MAIN_POLICY=${POLICIES%% *}

# OpenMP waiting: werk chooses (brief spinning) unless OMP_WAIT_POLICY is set.
SCENES="pile_1000 pile_4096 pile_16384 pile_65536 pyramid_20 pyramid_40 conveyor_line"
if [ -n "$ONLY" ]; then
  SCENES=$(echo "$ONLY" | tr ',' ' ')
elif [ "$QUICK" = 1 ]; then
  SCENES="pile_1000 pile_4096 pile_16384 pyramid_20 pyramid_40 conveyor_line"
fi

HAVE_WERK=1
if [ ! -x "$WERK" ]; then
  echo "werk: not built ($WERK); build it first: cmake -S . -B build && cmake --build build -j2" >&2
  HAVE_WERK=0
fi
HAVE_PEER=1
if [ ! -x "$PEER" ]; then
  echo "bullet: not built ($PEER; install libbullet-dev and rebuild)"
  HAVE_PEER=0
fi
HAVE_MUJOCO=1
if [ ! -x "$MUJOCO" ]; then
  echo "mujoco: not built ($MUJOCO; install libmujoco-dev and rebuild)"
  HAVE_MUJOCO=0
fi

# engine_json BUILT LIMIT TITLE CMD...: runs one engine on one scene with a
# time limit; its text goes to stderr, and its JSON line to stdout, or
# {"error":...}: "not built", "timeout", the engine's own error word, or its
# exit status.
engine_json() {
  local built=$1 limit=$2 title=$3
  shift 3
  if [ "$built" != 1 ]; then
    echo '{"error":"not built"}'
    return
  fi
  echo "== $title" >&2
  local out rc json
  out=$(timeout "$limit" "$@" 2>&1)
  rc=$?
  echo "$out" | grep -v '^{' >&2
  json=$(echo "$out" | grep '^{' | tail -1)
  if [ $rc = 124 ]; then json='{"error":"timeout"}'
  elif [ $rc != 0 ] && echo "$json" | grep -q '"error"'; then :  # the engine's own word: unsupported, too many contacts
  elif [ $rc != 0 ] || [ -z "$json" ]; then json="{\"error\":\"exit $rc\"}"; fi
  echo "$json"
}

# median_json: of the JSON lines on stdin (one engine's tries), the run
# with the median rate (the lower middle one of an even count); an error
# line only when every try failed.
median_json() {
  "$PY" -c '
import json, sys
runs = [json.loads(l) for l in sys.stdin if l.strip()]
ok = sorted((r for r in runs if isinstance(r.get("body_steps_per_s"), (int, float))), key=lambda r: r["body_steps_per_s"])
print(json.dumps(ok[(len(ok) - 1) // 2] if ok else runs[0]))'
}

RAW=$(mktemp)
trap 'rm -f "$RAW"' EXIT
for s in $SCENES; do
  f=benchmarks/scenes/$s.yaml
  if [ ! -f "$f" ]; then
    echo "run.sh: no scene $f (run /usr/bin/python3 benchmarks/make_scenes.py)" >&2
    continue
  fi
  # Werk once per waiting policy and thread count ("policy:threads"), and
  # Bullet at its defaults, REPEAT times in turn; each keeps its median run.
  declare -A tries=()
  for ((r = 1; r <= REPEAT; r++)); do
    for pol in $POLICIES; do
      for t in $THREAD_LIST; do
        if [ "$pol" = passive ]; then envs=(env OMP_WAIT_POLICY=passive); else envs=(env -u OMP_WAIT_POLICY); fi
        tries[$pol:$t]+=$(engine_json "$HAVE_WERK" "$TIMEOUT" "$s: werk ($STEPS steps, $t threads, waiting $pol, run $r)" \
          "${envs[@]}" "$WERK" bench "$f" --json --threads "$t" --backend cpu --steps "$STEPS")$'\n'
      done
    done
    tries[bullet]+=$(engine_json "$HAVE_PEER" $((PEER_TIMEOUT + 120)) "$s: bullet ($STEPS steps, 1 thread, defaults, run $r)" \
      "$PEER" "$f" --json --steps "$STEPS" --max-seconds "$PEER_TIMEOUT")$'\n'
  done
  runs="{"
  for pol in $POLICIES; do
    for t in $THREAD_LIST; do
      j=$(median_json <<<"${tries[$pol:$t]}")
      [ "$runs" = "{" ] || runs="$runs,"
      runs="$runs\"$pol:$t\":$j"
      [ "$pol" = "$MAIN_POLICY" ] && [ "$t" = "$THREADS" ] && w=$j
    done
  done
  runs="$runs}"
  b=$(median_json <<<"${tries[bullet]}")
  unset tries
  bm=$(engine_json "$HAVE_PEER" $((PEER_TIMEOUT + 120)) "$s: bullet ($STEPS steps, 1 thread, Werk's sub-steps)" \
    "$PEER" "$f" --json --steps "$STEPS" --max-seconds "$PEER_TIMEOUT" --matched)
  m=$(engine_json "$HAVE_MUJOCO" $((PEER_TIMEOUT + 120)) "$s: mujoco ($STEPS steps, 1 thread, Newton)" \
    "$MUJOCO" "$f" --json --steps "$STEPS" --max-seconds "$PEER_TIMEOUT")
  mm=$(engine_json "$HAVE_MUJOCO" $((PEER_TIMEOUT + 120)) "$s: mujoco ($STEPS steps, 1 thread, CG)" \
    "$MUJOCO" "$f" --json --steps "$STEPS" --max-seconds "$PEER_TIMEOUT" --matched)
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$s" "$w" "$b" "$bm" "$m" "$mm" "$runs" >>"$RAW"
done

CPU=$(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | sed 's/.*: //')
[ -n "$CPU" ] || CPU=$(hostname)
MACHINE=$(echo "$CPU" | tr -c 'A-Za-z0-9\n' '-' | sed 's/--*/-/g; s/^-//; s/-$//' | tr 'A-Z' 'a-z')-$(nproc)c
mkdir -p benchmarks/results
OUTFILE=benchmarks/results/$MACHINE.md
[ "$PARTIAL" = 1 ] && OUTFILE=benchmarks/results/$MACHINE-partial.md

TABLE=$("$PY" - "$RAW" "$THREADS" "$POLICIES" "$THREAD_LIST" <<'EOF'
import json, sys

threads = int(sys.argv[2])
policies, thread_list = sys.argv[3].split(), sys.argv[4].split()
rows, runs = [], {}
for line in open(sys.argv[1]):
    name, *engines = line.rstrip("\n").split("\t")
    runs[name] = json.loads(engines.pop())
    rows.append((name, *[json.loads(e) for e in engines]))

def num(d, k):
    v = d.get(k)
    return v if isinstance(v, (int, float)) else None

def rate(d):
    if "error" in d:
        return d["error"]
    v = num(d, "body_steps_per_s")
    return f"{v:,.0f}" + ("*" if d.get("partial") else "")

def mm(d, k):
    v = num(d, k)
    return "n/a" if v is None else f"{v * 1000:.1f}"

def top(d):
    v, v0 = num(d, "top_z_m"), num(d, "top_z0_m")
    if v is None: return "n/a"
    return f"{v:.2f}" if v0 is None else f"{v:.2f} / {v0:.2f}"

# Werk's rate over a peer's, per run and per core (Werk on `threads` cores,
# the peers on one).
def ratio(w, p):
    wv, pv = num(w, "body_steps_per_s"), num(p, "body_steps_per_s")
    return f"{wv / pv:.2f} ({wv / threads / pv:.2f})" if wv and pv else ""

base = {}
for name, w, b, bm, m, mm_ in rows:
    if name == "pile_1000":
        base = {"w": num(w, "body_steps_per_s"), "b": num(b, "body_steps_per_s")}

def scaling(name, d, key):
    v = num(d, "body_steps_per_s")
    if not name.startswith("pile_") or v is None or not base.get(key):
        return ""
    return f"{base[key] / v:.2f}"

head = ["scene", "bodies", "steps", "Werk body-steps/s", "Bullet default", "Bullet matched", "MuJoCo default",
        "MuJoCo matched", "Werk/Bullet default (per core)", "Werk/Bullet matched (per core)",
        "Werk/MuJoCo default (per core)", "Werk/MuJoCo matched (per core)", "Werk RSS/body", "Werk state/body",
        "Werk t/body-step (PILE-1000 = 1)", "Bullet t/body-step (PILE-1000 = 1)", "Werk max pen. mm",
        "Bullet default max pen. mm", "Bullet matched max pen. mm", "MuJoCo default max pen. mm",
        "MuJoCo matched max pen. mm", "Werk top z / start", "Bullet default top z / start",
        "Bullet matched top z / start", "Werk hash"]
out = ["| " + " | ".join(head) + " |", "|" + "|".join(["---"] + ["--:"] * (len(head) - 2) + ["---"]) + "|"]
for name, w, b, bm, m, mm_ in rows:
    dyn = num(w, "dynamic") or num(b, "dynamic") or num(m, "dynamic")
    rss = f"{num(w, 'peak_rss_kb') * 1024 / dyn:,.0f} B" if dyn and num(w, "peak_rss_kb") else ""
    dev = f"{num(w, 'device_bytes') / dyn:,.0f} B" if dyn and num(w, "device_bytes") else ""
    steps = num(w, "steps") or num(b, "steps") or num(m, "steps") or ""
    if num(b, "steps") and num(w, "steps") and b["steps"] != w["steps"]:
        steps = f"{w['steps']} / {b['steps']}"
    out.append("| " + " | ".join(str(x) for x in [
        name, dyn or "", steps, rate(w), rate(b), rate(bm), rate(m), rate(mm_), ratio(w, b), ratio(w, bm), ratio(w, m),
        ratio(w, mm_), rss, dev, scaling(name, w, "w"), scaling(name, b, "b"), mm(w, "max_penetration_m"),
        mm(b, "max_penetration_m"), mm(bm, "max_penetration_m"), mm(m, "max_penetration_m"),
        mm(mm_, "max_penetration_m"), top(w), top(b), top(bm), w.get("hash", "")]) + " |")
print("\n".join(out))
# Every Werk run against Bullet at its defaults, and two threads against one.
if len(policies) > 1 or len(thread_list) > 1:
    cols = [(p, t) for p in policies for t in thread_list]
    head = ["scene", "Bullet default"] + [f"Werk {t}T {p}" for p, t in cols] + \
           [f"Werk {t}T {p} / Bullet" for p, t in cols]
    if "1" in thread_list and len(thread_list) > 1:
        head += [f"Werk {t}T / 1T {p}" for p in policies for t in thread_list if t != "1"]
    print("\nWerk at each thread count and waiting policy (body-steps/s, and ratios):\n")
    print("| " + " | ".join(head) + " |")
    print("|" + "|".join(["---"] + ["--:"] * (len(head) - 1)) + "|")
    for name, w, b, bm, m, mm_ in rows:
        r = runs[name]
        cells = [name, rate(b)] + [rate(r.get(f"{p}:{t}", {"error": "missing"})) for p, t in cols]
        for p, t in cols:
            wv, bv = num(r.get(f"{p}:{t}", {}), "body_steps_per_s"), num(b, "body_steps_per_s")
            cells.append(f"{wv / bv:.2f}" if wv and bv else "")
        if "1" in thread_list and len(thread_list) > 1:
            for p in policies:
                one = num(r.get(f"{p}:1", {}), "body_steps_per_s")
                for t in thread_list:
                    if t == "1": continue
                    v = num(r.get(f"{p}:{t}", {}), "body_steps_per_s")
                    cells.append(f"{v / one:.2f}" if v and one else "")
        print("| " + " | ".join(cells) + " |")
stopped = [peer for peer, ks in (("Bullet", (2, 3)), ("MuJoCo", (4, 5))) if any(r[k].get("partial") for r in rows for k in ks)]
if stopped:
    print(f"\n* {' and '.join(stopped)} stopped at the --timeout limit: the rate is over the steps made (the early, cheaper "
          "steps of a pile).")
EOF
)

echo
echo "$TABLE"
{
  echo "# Rigid-body benchmarks on $CPU ($(nproc) cores)"
  echo
  echo "Measured $(date -u '+%Y-%m-%d %H:%M UTC') at commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
  echo "with \`benchmarks/run.sh $ARGS\`: Werk \`bench --backend cpu --threads $THREADS\` (its default"
  echo "OpenMP waiting unless the second table says otherwise;"
  echo "sub-steps), Bullet 3.24 single-threaded (werk_bullet_peer: Debian's Bullet has no task scheduler),"
  echo "MuJoCo 2.2.2 single-threaded (werk_mujoco_peer), $STEPS steps, sleeping off in Werk and Bullet (MuJoCo has"
  echo "none). Each peer at its defaults (Bullet: one step of dt per frame, 10 iterations; MuJoCo: Newton"
  echo "solver) and matched to Werk's quality (Bullet: Werk's sub-steps, stepSimulation(dt, N, dt / N);"
  echo "MuJoCo: CG solver). Ratios are Werk's rate over the peer's, per run and (in brackets) per core:"
  echo "Werk on $THREADS cores, the peers on one."
  if [ "$REPEAT" -gt 1 ]; then
    echo "Werk's runs and Bullet's default runs are each the median of $REPEAT, the two taking turns."
  fi
  echo
  echo "$TABLE"
} >"$OUTFILE"
echo "(written to $OUTFILE)"
