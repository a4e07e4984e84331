#include "simulator.h"

#include <algorithm>
#include <cmath>
#include <queue>

#include "../werk_limits.h"
#include "archive.h"
#include "werk/error.h"
#include "werk/interrupt.h"

namespace werk::process {

const char* const kLogEventNames[kLogEventCount] = {
    "arrive", "lose", "enter", "start_setup", "start_work", "finish", "block", "leave", "scrap", "fail",
    "repair", "maintenance_start", "maintenance_end", "shift_on", "shift_off", "exit_system"};

namespace {

// Event kinds, packed with a server or failure-mode index and a generation
// into the event's 32-bit data word: kind:4 | index:12 | generation:16.
enum Ev : uint32_t { ev_arrival, ev_server, ev_failure, ev_repair, ev_maint_start, ev_maint_done, ev_shift,
                     ev_conveyor, ev_conveyor_gap, ev_warmup, ev_end };
inline uint32_t pack(Ev k, uint32_t index = 0, uint32_t gen = 0) { return k | (index << 4) | ((gen & 0xFFFF) << 16); }

enum class Act : uint8_t { idle, wait_worker, setup, working, blocked };
enum Purpose : uint8_t { for_setup, for_repair, for_maintenance };

// What an object draws a stream for: the second word of its stream key.
// The values are part of the results (changing one changes every run).
enum Stream : uint64_t { s_arrival = 0, s_mix = 1, s_route = 0, s_process = 0, s_setup = 1, s_scrap = 2,
                         s_failure = 3, s_repair = 4, s_maintenance = 5 };

constexpr uint32_t kNone = 0xFFFFFFFFu;

struct Part {
  uint64_t id;
  Tick created;  // for lead time (inherited by split children)
  Tick born;     // entered the system (for WIP and Little's law)
  Tick entered;  // entered the current object
  int32_t type;
  int32_t route_node = -1, route_choice = -1;
  bool scrap = false;
  bool alive = false;
};

struct Server {
  Act act = Act::idle;
  bool scheduled = false;
  uint16_t gen = 0;
  int last_type = -1;
  uint32_t part = kNone;
  Tick end = 0, remaining = 0;
  int out_left = 0;
};

struct FailRt {
  Rng rng_ttf, rng_repair;  // per failure mode: one mode's failures do not shift another's draws
  bool active = false;
  uint16_t gen = 0;
  Tick remaining = 0;     // operating basis
  int64_t ops_left = 0;   // count basis
};

struct StationRt {
  std::vector<Server> servers;
  std::vector<FailRt> fails;
  std::vector<std::deque<uint32_t>> bins;  // assembly inputs, per assemble entry
  int failed = 0;
  bool maint = false, off = false, was_working = false;
  uint16_t maint_gen = 0;
  std::array<int64_t, kStateCount> area{};
  Tick last = 0;
  State shown = State::idle;
  Rng rng_process, rng_setup, rng_scrap, rng_maint;
  StationResult res;
  std::vector<double> ideal;  // mean process time per part type
  bool paused() const { return failed > 0 || maint || off; }
};

// Buffers keep parts in a heap keyed by (priority, sequence); FIFO and
// LIFO are the special cases with the sequence alone.
struct QueueItem {
  int64_t key;
  uint64_t seq;
  uint32_t part;
  bool operator<(const QueueItem& o) const { return key < o.key || (key == o.key && seq > o.seq); }
};

struct BufferRt {
  std::deque<uint32_t> fifo;
  std::priority_queue<QueueItem> heap;
  uint64_t seq = 0;
  int64_t size = 0, max_len = 0;
  int64_t area = 0;
  Tick last = 0;
  double wait_sum = 0;
  int64_t out = 0;
};

struct ConvItem {
  uint32_t part;
  Tick ready;  // real tick (accumulating) or belt tick (not)
};

struct ConveyorRt {
  std::deque<ConvItem> q;
  Tick last_entry = INT64_MIN / 4;
  bool moving = true;
  Tick offset = 0, since = 0;
  uint16_t gen = 0;
  bool gap_wake = false;
  int64_t area = 0, max_len = 0;
  Tick last = 0;
  double wait_sum = 0;
  int64_t out = 0;
};

struct SourceRt {
  Rng rng_time, rng_mix;
  std::deque<uint32_t> held;
  size_t row = 0;
  int64_t generated = 0, lost = 0, total = 0;
};

struct RouterRt {
  Rng rng;
  size_t next = 0;
};

struct Request {
  uint32_t node;
  Purpose purpose;
  uint32_t index;
};

struct PoolRt {
  int free = 0;
  std::deque<Request> queue;
  int64_t busy_area = 0;
  Tick last = 0;
};

struct NodeRt {
  std::vector<uint32_t> waiters;
};

// Every member of the runtime structs that are not plain bytes, for
// save() and load() (see archive.h).
using archive::all;
template <class A> void io(A& a, StationRt& s) {
  all(a, s.servers, s.fails, s.bins, s.failed, s.maint, s.off, s.was_working, s.maint_gen, s.area, s.last, s.shown,
      s.rng_process, s.rng_setup, s.rng_scrap, s.rng_maint, s.res, s.ideal);
}
template <class A> void io(A& a, BufferRt& b) {
  all(a, b.fifo, b.heap, b.seq, b.size, b.max_len, b.area, b.last, b.wait_sum, b.out);
}
template <class A> void io(A& a, ConveyorRt& c) {
  all(a, c.q, c.last_entry, c.moving, c.offset, c.since, c.gen, c.gap_wake, c.area, c.max_len, c.last, c.wait_sum, c.out);
}
template <class A> void io(A& a, SourceRt& s) { all(a, s.rng_time, s.rng_mix, s.held, s.row, s.generated, s.lost, s.total); }
template <class A> void io(A& a, PoolRt& p) { all(a, p.free, p.queue, p.busy_area, p.last); }
template <class A> void io(A& a, NodeRt& n) { all(a, n.waiters); }

}  // namespace

struct Simulator::Impl {
  const Model& m;
  Trace* trace;
  Physical* physical = nullptr;
  std::vector<uint32_t> physical_waiters;  // sources and stations whose spot on the line was occupied
  std::vector<uint32_t> physical_scratch;
  EventQueue q;
  Tick now = 0, window_start = 0;
  std::vector<Part> parts;
  std::vector<uint32_t> free_parts;
  uint64_t next_part_id = 0;
  std::vector<NodeRt> nodes;
  std::deque<uint32_t> wake;
  std::vector<char> wake_pending;
  std::vector<uint32_t> wake_scratch;
  std::vector<SourceRt> sources;
  std::vector<BufferRt> buffers;
  std::vector<StationRt> stations;
  std::vector<ConveyorRt> conveyors;
  std::vector<RouterRt> routers;
  std::vector<PoolRt> pools;
  // Line statistics.
  int64_t wip = 0;
  int64_t wip_area = 0;
  Tick wip_last = 0;
  int64_t good = 0, scrapped = 0, departures = 0;
  double sojourn_sum = 0, overlap_sum = 0;
  std::vector<double> lead_times;
  uint64_t events = 0;
  bool interrupted = false;
  bool started = false, paused = false;

  // Every member that changes while running (see archive.h).
  template <class A>
  void io(A& a) {
    using archive::io;
    q.fields([&](auto& x) { io(a, x); });
    archive::all(a, now, window_start, parts, free_parts, next_part_id, nodes, wake, wake_pending, sources, buffers,
                 stations, conveyors, routers, pools, wip, wip_area, wip_last, good, scrapped, departures, sojourn_sum,
                 overlap_sum, lead_times, events, started);
    // Stepwise runs beside the physics (a physical line) carry these too.
    archive::all(a, physical_waiters, ended, same_tick, last_tick);
  }

  Impl(const Model& model, uint64_t seed, uint64_t rep, Trace* t, Physical* phys) : m(model), trace(t), physical(phys) {
    if (!physical)
      for (const NodeSpec& n : m.nodes)
        if ((n.kind == NodeKind::source && m.sources[n.index].spawn) || (n.kind == NodeKind::station && m.stations[n.index].place))
          throw RuntimeError("process object '" + n.name + "' acts on the physical line (spawn or place): run the scene with its physics (werk run)");
    nodes.resize(m.nodes.size());
    wake_pending.assign(m.nodes.size(), 0);
    // Each object's streams hash (seed, replication, name, purpose): common
    // random numbers across variants of a scene (see random.h).
    for (size_t i = 0; i < m.nodes.size(); ++i) {
      const NodeSpec& n = m.nodes[i];
      const uint64_t key = stream_key(n.name);
      auto rng = [&](Stream purpose) { return Rng(seed, rep, key, purpose); };
      if (n.kind == NodeKind::source) sources.push_back({rng(s_arrival), rng(s_mix)});
      if (n.kind == NodeKind::router) routers.push_back({rng(s_route)});
      if (n.kind == NodeKind::buffer) buffers.emplace_back();
      if (n.kind == NodeKind::conveyor) conveyors.emplace_back();
      if (n.kind == NodeKind::station) {
        StationRt st;
        st.rng_process = rng(s_process), st.rng_setup = rng(s_setup), st.rng_scrap = rng(s_scrap);
        st.rng_maint = rng(s_maintenance);
        const StationSpec& s = m.stations[n.index];
        st.servers.resize(s.capacity);
        st.fails.resize(s.failures.size());
        for (size_t f = 0; f < s.failures.size(); ++f) {
          const uint64_t mode = mix_key(key, stream_key(s.failures[f].name));
          st.fails[f].rng_ttf = Rng(seed, rep, mode, s_failure);
          st.fails[f].rng_repair = Rng(seed, rep, mode, s_repair);
        }
        st.bins.resize(s.assemble.size());
        for (auto& d : s.process) st.ideal.push_back(d.mean());
        stations.push_back(std::move(st));
      }
    }
    for (auto& p : m.pools) pools.push_back({p.count, {}, 0, 0});
    parts.reserve(1024);
  }

  // ---- parts ----------------------------------------------------------

  uint32_t new_part(int type, Tick created) {
    uint32_t i;
    if (free_parts.empty()) {
      i = uint32_t(parts.size());
      parts.emplace_back();
    } else {
      i = free_parts.back();
      free_parts.pop_back();
    }
    parts[i] = Part{next_part_id++, created, now, now, type};
    return i;
  }

  void wip_flush() {
    wip_area += wip * (now - wip_last);
    wip_last = now;
  }

  void enter_system(uint32_t p) {
    wip_flush();
    ++wip;
    parts[p].born = now;
    parts[p].alive = true;
  }

  // A part leaves the line (sink, scrap removal, consumed by assembly).
  void leave_system(uint32_t p, int node) {
    wip_flush();
    --wip;
    Part& part = parts[p];
    if (now >= window_start) {
      ++departures;
      sojourn_sum += to_seconds(now - part.born);
      overlap_sum += to_seconds(now - std::max(part.born, window_start));
    }
    if (trace) trace->event(now, node, LogEvent::exit_system, part.id);
    part.alive = false;
    free_parts.push_back(p);
    if (physical) physical->gone(p);
  }

  // ---- offers and waiters ---------------------------------------------

  void add_waiter(uint32_t target, uint32_t waiter) {
    auto& w = nodes[target].waiters;
    if (std::find(w.begin(), w.end(), waiter) == w.end()) w.push_back(waiter);
  }

  // Space freed at `node`: its waiters retry once the current event is
  // handled. Deferring the wake-up means no object is re-entered halfway
  // through handing on its own parts.
  void notify_space(uint32_t node) {
    if (nodes[node].waiters.empty() || wake_pending[node]) return;
    wake_pending[node] = 1;
    wake.push_back(node);
  }

  // Wakes blocked objects in the order they blocked, until all is quiet.
  void drain_wakes() {
    // `w` trades buffers with the waiter lists, so steady state allocates nothing.
    std::vector<uint32_t>& w = wake_scratch;
    while (!wake.empty()) {
      uint32_t node = wake.front();
      wake.pop_front();
      wake_pending[node] = 0;
      w.clear();
      w.swap(nodes[node].waiters);
      for (uint32_t u : w) retry(u);
    }
  }

  void retry(uint32_t node) {
    const NodeSpec& n = m.nodes[node];
    switch (n.kind) {
      case NodeKind::source:
        if (!sources[m.nodes[node].index].held.empty()) source_deliver(node);
        break;
      case NodeKind::buffer: buffer_push_out(node); break;
      case NodeKind::station: station_retry(node); break;
      case NodeKind::conveyor: conveyor_retry(node); break;
      case NodeKind::router: notify_space(node); break;
      case NodeKind::sink: break;
    }
  }

  // Offers part p to node; true when taken. `from` registers as a waiter
  // on refusal.
  bool offer(uint32_t node, uint32_t p, uint32_t from) {
    const NodeSpec& n = m.nodes[node];
    bool ok = false;
    switch (n.kind) {
      case NodeKind::buffer: ok = buffer_offer(node, p); break;
      case NodeKind::station: ok = station_offer(node, p); break;
      case NodeKind::conveyor: ok = conveyor_offer(node, p); break;
      case NodeKind::router: ok = router_offer(node, p); break;
      case NodeKind::sink: sink_accept(node, p); ok = true; break;
      case NodeKind::source: break;
    }
    if (!ok && from != kNone) add_waiter(node, from);
    return ok;
  }

  // How many parts an object holds (for the shortest-queue rule).
  int64_t load(uint32_t node) const {
    const NodeSpec& n = m.nodes[node];
    switch (n.kind) {
      case NodeKind::buffer: return buffers[n.index].size;
      case NodeKind::conveyor: return int64_t(conveyors[n.index].q.size());
      case NodeKind::station: {
        int64_t k = 0;
        for (auto& s : stations[n.index].servers) k += s.act != Act::idle;
        for (auto& b : stations[n.index].bins) k += int64_t(b.size());
        return k;
      }
      default: return 0;
    }
  }

  // ---- sources --------------------------------------------------------

  void source_start(uint32_t node) {
    const SourceSpec& s = m.sources[m.nodes[node].index];
    if (!s.table.empty()) q.push(std::max(s.table[0].tick, s.start), node, pack(ev_arrival));
    else q.push(s.start, node, pack(ev_arrival));
  }

  void source_arrival(uint32_t node) {
    const SourceSpec& s = m.sources[m.nodes[node].index];
    SourceRt& r = sources[m.nodes[node].index];
    int type = -1, count = s.batch;
    if (!s.table.empty()) {
      if (r.row >= s.table.size()) return;
      const ArrivalRow& row = s.table[r.row++];
      type = row.type, count = row.count;
    }
    // A batch is one lot: all its parts share one type from the mix.
    if (type < 0) {
      double u = r.rng_mix.uniform();
      size_t i = 0;
      while (i + 1 < s.mix_cumulative.size() && u >= s.mix_cumulative[i]) ++i;
      type = s.mix_types[i];
    }
    for (int k = 0; k < count; ++k) {
      if (s.limit >= 0 && r.total >= s.limit) break;
      int t = type;
      ++r.total;
      uint32_t p = new_part(t, now);
      if (trace) trace->event(now, node, LogEvent::arrive, parts[p].id);
      r.held.push_back(p);
    }
    source_deliver(node);
  }

  // Hands held parts downstream; in `lose` mode refused parts are lost.
  void source_deliver(uint32_t node) {
    const NodeSpec& n = m.nodes[node];
    const SourceSpec& s = m.sources[n.index];
    SourceRt& r = sources[n.index];
    while (!r.held.empty()) {
      uint32_t p = r.held.front();
      parts[p].created = now;
      enter_system(p);
      const bool taken = s.spawn ? physical->spawn(int(node), p, parts[p].type) : offer(n.next, p, s.lose_when_blocked ? kNone : node);
      if (s.spawn && !taken && !s.lose_when_blocked) add_physical_waiter(node);
      if (taken) {
        r.held.pop_front();
        if (now >= window_start) ++r.generated;
        continue;
      }
      // Refused: take it back out of the system.
      wip_flush();
      --wip;
      parts[p].alive = false;
      if (!s.lose_when_blocked) return;
      r.held.pop_front();
      if (now >= window_start) ++r.lost, ++r.generated;
      if (trace) trace->event(now, node, LogEvent::lose, parts[p].id);
      free_parts.push_back(p);
    }
    schedule_next_arrival(node);
  }

  // The next arrival starts counting once the last batch has left.
  void schedule_next_arrival(uint32_t node) {
    const SourceSpec& s = m.sources[m.nodes[node].index];
    SourceRt& r = sources[m.nodes[node].index];
    if (s.limit >= 0 && r.total >= s.limit) return;
    if (!s.table.empty()) {
      if (r.row < s.table.size()) q.push(std::max(now, s.table[r.row].tick), node, pack(ev_arrival));
      return;
    }
    q.push(now + to_ticks(s.interarrival.sample(r.rng_time)), node, pack(ev_arrival));
  }

  // ---- buffers ----------------------------------------------------------

  void buffer_flush(BufferRt& b) {
    b.area += b.size * (now - b.last);
    b.last = now;
  }

  bool buffer_offer(uint32_t node, uint32_t p) {
    const BufferSpec& s = m.buffers[m.nodes[node].index];
    BufferRt& b = buffers[m.nodes[node].index];
    if (s.capacity >= 0 && b.size >= s.capacity) return false;
    buffer_flush(b);
    parts[p].entered = now;
    if (s.discipline == Discipline::fifo) b.fifo.push_back(p);
    else if (s.discipline == Discipline::lifo) b.heap.push({0, ~b.seq++, p});
    else b.heap.push({m.part_types[parts[p].type].priority, b.seq++, p});
    ++b.size;
    b.max_len = std::max(b.max_len, b.size);
    if (trace) trace->length(node, now, b.size);
    // A FIFO queue that already held parts has its head refused and is
    // waiting to be woken: the new part cannot go first.
    if (s.discipline != Discipline::fifo || b.size == 1) buffer_push_out(node);
    return true;
  }

  // Passes parts downstream until the successor refuses.
  void buffer_push_out(uint32_t node) {
    const NodeSpec& n = m.nodes[node];
    const BufferSpec& s = m.buffers[n.index];
    BufferRt& b = buffers[n.index];
    bool moved = false;
    while (b.size > 0) {
      uint32_t p = s.discipline == Discipline::fifo ? b.fifo.front() : b.heap.top().part;
      Tick entered = parts[p].entered;
      if (!offer(n.next, p, node)) break;
      buffer_flush(b);
      if (s.discipline == Discipline::fifo) b.fifo.pop_front();
      else b.heap.pop();
      --b.size;
      if (now >= window_start) b.wait_sum += to_seconds(now - entered), ++b.out;
      moved = true;
    }
    if (moved) {
      if (trace) trace->length(node, now, b.size);
      notify_space(node);
    }
  }

  // ---- conveyors ------------------------------------------------------

  void conveyor_flush(ConveyorRt& c) {
    c.area += int64_t(c.q.size()) * (now - c.last);
    c.last = now;
  }
  Tick belt_time(const ConveyorRt& c) const { return c.offset + (c.moving ? now - c.since : 0); }

  bool conveyor_offer(uint32_t node, uint32_t p) {
    const ConveyorSpec& s = m.conveyors[m.nodes[node].index];
    ConveyorRt& c = conveyors[m.nodes[node].index];
    if (int64_t(c.q.size()) >= s.capacity) return false;
    Tick t = s.accumulating ? now : belt_time(c);
    if (!s.accumulating && !c.moving) return false;
    // The previous part must be one spacing ahead.
    if (t - c.last_entry < s.gap) {
      if (!c.gap_wake) {
        c.gap_wake = true;
        q.push(now + (s.gap - (t - c.last_entry)), node, pack(ev_conveyor_gap));
      }
      return false;
    }
    conveyor_flush(c);
    parts[p].entered = now;
    c.q.push_back({p, t + s.transit});
    c.last_entry = t;
    c.max_len = std::max<int64_t>(c.max_len, c.q.size());
    if (trace) trace->length(node, now, int64_t(c.q.size()));
    if (c.q.size() == 1) conveyor_schedule_head(node);
    return true;
  }

  void conveyor_schedule_head(uint32_t node) {
    const ConveyorSpec& s = m.conveyors[m.nodes[node].index];
    ConveyorRt& c = conveyors[m.nodes[node].index];
    if (c.q.empty()) return;
    Tick at = s.accumulating ? c.q.front().ready : now + std::max<Tick>(0, c.q.front().ready - belt_time(c));
    q.push(std::max(at, now), node, pack(ev_conveyor, 0, ++c.gen));
  }

  // The head part reached the end: hand it on, or stop (the whole belt
  // when not accumulating).
  void conveyor_head(uint32_t node) {
    const NodeSpec& n = m.nodes[node];
    const ConveyorSpec& s = m.conveyors[n.index];
    ConveyorRt& c = conveyors[n.index];
    if (c.q.empty()) return;
    uint32_t p = c.q.front().part;
    Tick entered = parts[p].entered;
    if (!offer(n.next, p, node)) {
      if (!s.accumulating && c.moving) c.offset = belt_time(c), c.moving = false;
      return;
    }
    if (!s.accumulating && !c.moving) c.moving = true, c.since = now;
    conveyor_flush(c);
    c.q.pop_front();
    if (now >= window_start) c.wait_sum += to_seconds(now - entered), ++c.out;
    if (trace) trace->length(node, now, int64_t(c.q.size()));
    if (!c.q.empty() && s.accumulating) c.q.front().ready = std::max(c.q.front().ready, now + s.gap);
    conveyor_schedule_head(node);
    notify_space(node);
  }

  void conveyor_retry(uint32_t node) {
    ConveyorRt& c = conveyors[m.nodes[node].index];
    const ConveyorSpec& s = m.conveyors[m.nodes[node].index];
    if (c.q.empty()) return;
    Tick t = s.accumulating ? now : belt_time(c);
    if (c.q.front().ready <= t) conveyor_head(node);
  }

  // ---- routers and sinks ----------------------------------------------

  bool router_offer(uint32_t node, uint32_t p) {
    const RouterSpec& s = m.routers[m.nodes[node].index];
    RouterRt& r = routers[m.nodes[node].index];
    Part& part = parts[p];
    int choice;
    if (part.route_node == int(node)) {
      choice = part.route_choice;
    } else if (s.rule == RouteRule::probability) {
      double u = r.rng.uniform();
      choice = 0;
      while (choice + 1 < int(s.cumulative.size()) && u >= s.cumulative[choice]) ++choice;
    } else if (s.rule == RouteRule::round_robin) {
      choice = int(r.next);
    } else if (s.rule == RouteRule::part_type) {
      choice = s.by_type[part.type];
    } else {
      choice = 0;
      for (size_t i = 1; i < s.targets.size(); ++i)
        if (load(s.targets[i]) < load(s.targets[choice])) choice = int(i);
    }
    // Probability decisions stick to the part until it is taken.
    if (s.rule == RouteRule::probability) part.route_node = int(node), part.route_choice = choice;
    uint32_t target = s.targets[choice];
    if (!offer(target, p, node)) return false;
    if (parts[p].route_node == int(node)) parts[p].route_node = -1;
    if (s.rule == RouteRule::round_robin) r.next = (r.next + 1) % s.targets.size();
    return true;
  }

  void sink_accept(uint32_t node, uint32_t p) {
    Part& part = parts[p];
    part.route_node = -1;
    if (now >= window_start) {
      if (part.scrap) ++scrapped;
      else ++good, lead_times.push_back(to_seconds(now - part.created));
    }
    leave_system(p, int(node));
  }

  // ---- stations: state accounting -------------------------------------

  State effective(const StationRt& st, const Server& s) const {
    if (st.failed > 0) return State::failed;
    if (st.maint) return State::maintenance;
    if (st.off) return State::off_shift;
    switch (s.act) {
      case Act::idle: return State::idle;
      case Act::wait_worker:
      case Act::setup: return State::setup;
      case Act::working: return State::working;
      case Act::blocked: return State::blocked;
    }
    return State::idle;
  }

  // Adds the time since the last change to each state's total; called
  // before every change, so the state it sees held since then.
  void st_flush(StationRt& st, const StationSpec& spec) {
    Tick dt = now - st.last;
    if (dt <= 0) return;
    for (auto& s : st.servers) st.area[int(effective(st, s))] += dt;
    if (st.was_working)
      for (size_t i = 0; i < spec.failures.size(); ++i)
        if (spec.failures[i].basis == FailureBasis::operating && !st.fails[i].active) st.fails[i].remaining -= dt;
    st.last = now;
  }

  // After a change: the displayed state and the operating-time clocks.
  void st_changed(uint32_t node) {
    const StationSpec& spec = m.stations[m.nodes[node].index];
    StationRt& st = stations[m.nodes[node].index];
    // The displayed state is the most telling one among the servers.
    static const int rank[kStateCount] = {0, 4, 3, 2, 6, 5, 1};  // idle working setup blocked failed maint off
    State shown = State::idle;
    bool working = false;
    for (auto& s : st.servers) {
      State e = effective(st, s);
      if (rank[int(e)] > rank[int(shown)]) shown = e;
      working |= e == State::working;
    }
    if (shown != st.shown) {
      st.shown = shown;
      if (trace) trace->state(int(node), now, shown);
    }
    if (working == st.was_working) return;
    st.was_working = working;
    for (size_t i = 0; i < spec.failures.size(); ++i) {
      if (spec.failures[i].basis != FailureBasis::operating || st.fails[i].active) continue;
      ++st.fails[i].gen;
      if (working) q.push(now + std::max<Tick>(0, st.fails[i].remaining), node, pack(ev_failure, uint32_t(i), st.fails[i].gen));
    }
  }

  void schedule_server(uint32_t node, StationRt& st, uint32_t k) {
    Server& s = st.servers[k];
    s.end = now + s.remaining;
    s.scheduled = true;
    q.push(s.end, node, pack(ev_server, k, ++s.gen));
  }

  // Changes the pause flags through `change`, preempting or resuming the
  // servers' timed activities.
  template <class F>
  void set_pause(uint32_t node, F change) {
    const StationSpec& spec = m.stations[m.nodes[node].index];
    StationRt& st = stations[m.nodes[node].index];
    st_flush(st, spec);
    bool before = st.paused();
    change(st);
    bool after = st.paused();
    if (!before && after) {
      for (auto& s : st.servers)
        if (s.scheduled) s.remaining = s.end - now, s.scheduled = false, ++s.gen;
    }
    if (before && !after) {
      for (uint32_t k = 0; k < st.servers.size(); ++k) {
        Server& s = st.servers[k];
        if ((s.act == Act::setup || s.act == Act::working) && !s.scheduled) schedule_server(node, st, k);
      }
    }
    st_changed(node);
    if (before && !after) {
      station_retry(node);
      notify_space(node);
    }
  }

  // ---- stations: flow -------------------------------------------------

  int idle_server(const StationRt& st) const {
    for (size_t k = 0; k < st.servers.size(); ++k)
      if (st.servers[k].act == Act::idle) return int(k);
    return -1;
  }

  bool station_offer(uint32_t node, uint32_t p) {
    const StationSpec& spec = m.stations[m.nodes[node].index];
    StationRt& st = stations[m.nodes[node].index];
    if (st.paused()) return false;
    if (!spec.assemble.empty()) {
      for (size_t i = 0; i < spec.assemble.size(); ++i) {
        if (spec.assemble[i].first != parts[p].type) continue;
        if (int(st.bins[i].size()) >= spec.assemble[i].second) return false;
        st.bins[i].push_back(p);
        if (now >= window_start) ++st.res.parts_in;
        if (trace) trace->event(now, int(node), LogEvent::enter, parts[p].id);
        try_assemble(node);
        return true;
      }
      return false;
    }
    int k = idle_server(st);
    if (k < 0) return false;
    if (now >= window_start) ++st.res.parts_in;
    if (trace) trace->event(now, int(node), LogEvent::enter, parts[p].id);
    start_part(node, uint32_t(k), p);
    return true;
  }

  // Starts an assembly once every bin holds its count and the server is free.
  void try_assemble(uint32_t node) {
    const StationSpec& spec = m.stations[m.nodes[node].index];
    StationRt& st = stations[m.nodes[node].index];
    if (st.paused() || st.servers[0].act != Act::idle) return;
    for (size_t i = 0; i < spec.assemble.size(); ++i)
      if (int(st.bins[i].size()) < spec.assemble[i].second) return;
    uint32_t main = st.bins[0].front();
    st.bins[0].pop_front();
    for (size_t i = 0; i < spec.assemble.size(); ++i)
      for (int k = (i == 0 ? 1 : 0); k < spec.assemble[i].second; ++k) {
        uint32_t c = st.bins[i].front();
        st.bins[i].pop_front();
        leave_system(c, int(node));
      }
    start_part(node, 0, main);
    notify_space(node);
  }

  void start_part(uint32_t node, uint32_t k, uint32_t p) {
    const StationSpec& spec = m.stations[m.nodes[node].index];
    StationRt& st = stations[m.nodes[node].index];
    st_flush(st, spec);
    Server& s = st.servers[k];
    s.part = p;
    parts[p].route_node = -1;
    int type = parts[p].type;
    if (spec.has_setup && s.last_type != type) {
      if (spec.setup_pool >= 0) {
        s.act = Act::wait_worker;
        st_changed(node);
        request_worker(spec.setup_pool, {node, for_setup, k});
        return;
      }
      begin_timed(node, k, Act::setup);
    } else {
      begin_timed(node, k, Act::working);
    }
  }

  // Starts a setup or a process step; paused stations hold the time.
  void begin_timed(uint32_t node, uint32_t k, Act act) {
    const StationSpec& spec = m.stations[m.nodes[node].index];
    StationRt& st = stations[m.nodes[node].index];
    st_flush(st, spec);
    Server& s = st.servers[k];
    int type = parts[s.part].type;
    s.act = act;
    double seconds = act == Act::setup ? spec.setup[type].sample(st.rng_setup) : spec.process[type].sample(st.rng_process);
    s.remaining = to_ticks(seconds);
    s.scheduled = false;
    if (trace) trace->event(now, int(node), act == Act::setup ? LogEvent::start_setup : LogEvent::start_work, parts[s.part].id);
    if (!st.paused()) schedule_server(node, st, k);
    st_changed(node);
  }

  void server_done(uint32_t node, uint32_t k, uint16_t gen) {
    const StationSpec& spec = m.stations[m.nodes[node].index];
    StationRt& st = stations[m.nodes[node].index];
    Server& s = st.servers[k];
    if (!s.scheduled || s.gen != gen) return;
    s.scheduled = false;
    st_flush(st, spec);
    if (s.act == Act::setup) {
      if (spec.setup_pool >= 0) release_worker(spec.setup_pool);
      s.last_type = parts[s.part].type;
      begin_timed(node, k, Act::working);
      return;
    }
    // A finished part: scrap or good, then out (split makes several).
    Part& part = parts[s.part];
    if (trace) trace->event(now, int(node), LogEvent::finish, part.id);
    bool counted = now >= window_start;
    if (counted) ++st.res.produced, st.res.ideal_seconds += st.ideal[part.type];
    if (spec.scrap > 0 && st.rng_scrap.uniform() < spec.scrap) {
      part.scrap = true;
      if (counted) ++st.res.scrapped;
      if (trace) trace->event(now, int(node), LogEvent::scrap, part.id);
    } else {
      if (counted) ++st.res.good;
      if (spec.produces >= 0) part.type = spec.produces;
    }
    s.out_left = part.scrap ? 1 : spec.split;
    s.act = Act::blocked;
    count_operation(node);
    station_output(node, k);
  }

  // Hands the server's part(s) on; stays blocked while refused.
  void station_output(uint32_t node, uint32_t k) {
    const NodeSpec& n = m.nodes[node];
    const StationSpec& spec = m.stations[n.index];
    StationRt& st = stations[n.index];
    Server& s = st.servers[k];
    while (s.out_left > 0) {
      Part& part = parts[s.part];
      if (part.scrap && spec.scrap_to < 0) {
        if (now >= window_start) ++scrapped;
        leave_system(s.part, int(node));
        s.out_left = 0;
        break;
      }
      uint32_t target = part.scrap ? uint32_t(spec.scrap_to) : uint32_t(n.next);
      uint32_t p = s.part;
      const bool on_line = spec.place && !part.scrap;
      if (on_line ? !physical->place(int(node), p, part.type) : !offer(target, p, node)) {
        if (on_line) add_physical_waiter(node);
        if (trace) trace->event(now, int(node), LogEvent::block, parts[p].id);
        st_changed(node);
        return;
      }
      if (trace) trace->event(now, int(node), LogEvent::leave, parts[p].id);
      if (--s.out_left > 0) {
        // The next piece of a split: a new part with the parent's age.
        Tick created = parts[p].created;
        int type = parts[p].type;
        s.part = new_part(type, created);
        enter_system(s.part);
        parts[s.part].created = created;
      }
    }
    st_flush(st, spec);
    s.act = Act::idle;
    s.part = kNone;
    if (now >= window_start) ++st.res.parts_out;
    st_changed(node);
    if (!spec.assemble.empty()) try_assemble(node);
    notify_space(node);
  }

  void station_retry(uint32_t node) {
    StationRt& st = stations[m.nodes[node].index];
    for (uint32_t k = 0; k < st.servers.size(); ++k)
      if (st.servers[k].act == Act::blocked && st.servers[k].out_left > 0) station_output(node, k);
  }

  // ---- failures, maintenance, shifts ----------------------------------

  void arm_failure(uint32_t node, size_t i) {
    const FailureSpec& f = m.stations[m.nodes[node].index].failures[i];
    StationRt& st = stations[m.nodes[node].index];
    FailRt& fr = st.fails[i];
    double x = f.time_to_failure.sample(fr.rng_ttf);
    ++fr.gen;
    if (f.basis == FailureBasis::calendar) q.push(now + to_ticks(x), node, pack(ev_failure, uint32_t(i), fr.gen));
    else if (f.basis == FailureBasis::operating) {
      fr.remaining = to_ticks(x);
      if (st.was_working) q.push(now + fr.remaining, node, pack(ev_failure, uint32_t(i), fr.gen));
    } else {
      fr.ops_left = std::max<int64_t>(1, std::llround(x));
    }
  }

  void count_operation(uint32_t node) {
    const StationSpec& spec = m.stations[m.nodes[node].index];
    StationRt& st = stations[m.nodes[node].index];
    for (size_t i = 0; i < spec.failures.size(); ++i)
      if (spec.failures[i].basis == FailureBasis::count && !st.fails[i].active && --st.fails[i].ops_left <= 0)
        begin_failure(node, i);
  }

  void failure_event(uint32_t node, uint32_t i, uint16_t gen) {
    StationRt& st = stations[m.nodes[node].index];
    if (st.fails[i].active || st.fails[i].gen != gen) return;
    st_flush(st, m.stations[m.nodes[node].index]);
    begin_failure(node, i);
  }

  void begin_failure(uint32_t node, size_t i) {
    const FailureSpec& f = m.stations[m.nodes[node].index].failures[i];
    set_pause(node, [&](StationRt& st) { st.fails[i].active = true, ++st.failed; });
    if (trace) trace->event(now, int(node), LogEvent::fail, i);
    if (f.pool >= 0) request_worker(f.pool, {node, for_repair, uint32_t(i)});
    else start_repair(node, uint32_t(i));
  }

  void start_repair(uint32_t node, uint32_t i) {
    const FailureSpec& f = m.stations[m.nodes[node].index].failures[i];
    StationRt& st = stations[m.nodes[node].index];
    q.push(now + to_ticks(f.repair.sample(st.fails[i].rng_repair)), node, pack(ev_repair, i, st.fails[i].gen));
  }

  void repair_done(uint32_t node, uint32_t i) {
    const FailureSpec& f = m.stations[m.nodes[node].index].failures[i];
    if (f.pool >= 0) release_worker(f.pool);
    if (trace) trace->event(now, int(node), LogEvent::repair, i);
    set_pause(node, [&](StationRt& st) { st.fails[i].active = false, --st.failed; });
    arm_failure(node, i);
  }

  void maintenance_start(uint32_t node) {
    const MaintenanceSpec& mt = m.stations[m.nodes[node].index].maintenance;
    q.push(now + mt.interval, node, pack(ev_maint_start));
    StationRt& st = stations[m.nodes[node].index];
    if (st.maint) return;  // still busy with the last one
    set_pause(node, [&](StationRt& s) { s.maint = true; });
    if (trace) trace->event(now, int(node), LogEvent::maintenance_start, 0);
    if (mt.pool >= 0) request_worker(mt.pool, {node, for_maintenance, 0});
    else q.push(now + to_ticks(mt.duration.sample(st.rng_maint)), node, pack(ev_maint_done));
  }

  // Maintenance renews the machine: failure clocks restart.
  void maintenance_done(uint32_t node) {
    const StationSpec& spec = m.stations[m.nodes[node].index];
    if (spec.maintenance.pool >= 0) release_worker(spec.maintenance.pool);
    if (trace) trace->event(now, int(node), LogEvent::maintenance_end, 0);
    StationRt& st = stations[m.nodes[node].index];
    st_flush(st, spec);
    for (size_t i = 0; i < spec.failures.size(); ++i)
      if (!st.fails[i].active && spec.failures[i].basis != FailureBasis::count) arm_failure(node, i);
    set_pause(node, [&](StationRt& s) { s.maint = false; });
  }

  void shift_event(uint32_t node) {
    const CalendarSpec& cal = m.calendars[m.stations[m.nodes[node].index].calendar];
    bool on = cal.working_at(now);
    set_pause(node, [&](StationRt& s) { s.off = !on; });
    if (trace) trace->event(now, int(node), on ? LogEvent::shift_on : LogEvent::shift_off, 0);
    Tick next = cal.next_change(now);
    if (next != INT64_MAX) q.push(next, node, pack(ev_shift));
  }

  // ---- worker pools ---------------------------------------------------

  void pool_flush(PoolRt& p, int count) {
    p.busy_area += int64_t(count - p.free) * (now - p.last);
    p.last = now;
  }

  void request_worker(int pool, Request r) {
    PoolRt& p = pools[pool];
    if (p.free > 0) {
      pool_flush(p, m.pools[pool].count);
      --p.free;
      grant(r);
    } else {
      p.queue.push_back(r);
    }
  }

  void release_worker(int pool) {
    PoolRt& p = pools[pool];
    if (!p.queue.empty()) {
      Request r = p.queue.front();
      p.queue.pop_front();
      grant(r);
      return;
    }
    pool_flush(p, m.pools[pool].count);
    ++p.free;
  }

  void grant(const Request& r) {
    if (r.purpose == for_setup) begin_timed(r.node, r.index, Act::setup);
    else if (r.purpose == for_repair) start_repair(r.node, r.index);
    else {
      StationRt& st = stations[m.nodes[r.node].index];
      const MaintenanceSpec& mt = m.stations[m.nodes[r.node].index].maintenance;
      q.push(now + to_ticks(mt.duration.sample(st.rng_maint)), r.node, pack(ev_maint_done));
    }
  }

  // ---- run ------------------------------------------------------------

  void start() {
    for (uint32_t i = 0; i < m.nodes.size(); ++i) {
      const NodeSpec& n = m.nodes[i];
      if (n.kind == NodeKind::source) source_start(i);
      if (n.kind != NodeKind::station) continue;
      const StationSpec& s = m.stations[n.index];
      for (size_t f = 0; f < s.failures.size(); ++f) arm_failure(i, f);
      if (s.maintenance.interval > 0) q.push(s.maintenance.first, i, pack(ev_maint_start));
      if (s.calendar >= 0) shift_event(i);
      if (trace) trace->state(int(i), 0, stations[n.index].shown);
    }
    if (m.warmup > 0) q.push(m.warmup, 0, pack(ev_warmup));
  }

  void dispatch(const Event& e) {
    uint32_t kind = e.data & 0xF, index = (e.data >> 4) & 0xFFF;
    uint16_t gen = uint16_t(e.data >> 16);
    switch (kind) {
      case ev_arrival: source_arrival(e.object); break;
      case ev_server: server_done(e.object, index, gen); break;
      case ev_failure: failure_event(e.object, index, gen); break;
      case ev_repair: repair_done(e.object, index); break;
      case ev_maint_start: maintenance_start(e.object); break;
      case ev_maint_done: maintenance_done(e.object); break;
      case ev_shift: shift_event(e.object); break;
      case ev_conveyor:
        if (conveyors[m.nodes[e.object].index].gen == gen) conveyor_head(e.object);
        break;
      case ev_conveyor_gap:
        conveyors[m.nodes[e.object].index].gap_wake = false;
        notify_space(e.object);
        break;
      case ev_warmup: reset_statistics(); break;
    }
  }

  // Brings every time-weighted total up to `now`.
  void flush_all() {
    wip_flush();
    for (size_t i = 0; i < stations.size(); ++i) st_flush(stations[i], m.stations[i]);
    for (auto& b : buffers) buffer_flush(b);
    for (auto& c : conveyors) conveyor_flush(c);
    for (size_t i = 0; i < pools.size(); ++i) pool_flush(pools[i], m.pools[i].count);
  }

  // The end of the warm-up: statistics restart from here.
  void reset_statistics() {
    flush_all();
    window_start = now;
    wip_area = 0;
    good = scrapped = departures = 0;
    sojourn_sum = overlap_sum = 0;
    lead_times.clear();
    for (auto& st : stations) st.area = {}, st.res = StationResult{};
    for (auto& b : buffers) b.area = 0, b.wait_sum = 0, b.out = 0, b.max_len = b.size;
    for (auto& c : conveyors) c.area = 0, c.wait_sum = 0, c.out = 0, c.max_len = int64_t(c.q.size());
    for (auto& s : sources) s.generated = s.lost = 0;
    for (auto& p : pools) p.busy_area = 0;
  }

  void add_physical_waiter(uint32_t node) {
    if (std::find(physical_waiters.begin(), physical_waiters.end(), node) == physical_waiters.end())
      physical_waiters.push_back(node);
  }

  void retry_physical() {
    if (physical_waiters.empty()) return;
    physical_scratch.clear();
    physical_scratch.swap(physical_waiters);
    for (uint32_t u : physical_scratch) retry(u);
    drain_wakes();
  }

  // ---- stepwise runs beside the physics --------------------------------

  bool ended = false;
  uint64_t same_tick = 0;
  Tick last_tick = -1;

  void begin(Tick end) {
    start();
    drain_wakes();
    q.push(end, 0, pack(ev_end));
    started = true;
  }

  // Handles every event up to and including t; false once the end event
  // (or a stop request) has come. A `pause` that says yes (polled now and
  // then, like the stop request) leaves the simulator paused between two
  // events, for save(); so does a stop request when `pause` is given.
  bool advance(Tick t, const std::function<bool()>* pause = nullptr) {
    paused = false;
    while (!ended && !q.empty() && q.top().tick <= t) {
      Event e = q.pop();
      // Zero-time cycles (an interarrival of 0 into a sink) never end.
      same_tick = e.tick == last_tick ? same_tick + 1 : 0;
      last_tick = e.tick;
      if (same_tick > 10000000)
        throw RuntimeError("process simulation: 10^7 events at t = " + format_number(to_seconds(e.tick)) +
                           " s without time advancing (a zero-time cycle through '" + m.nodes[e.object].name + "')");
      now = e.tick;
      if ((e.data & 0xF) == ev_end) {
        ended = true;
        break;
      }
      dispatch(e);
      drain_wakes();
      // Poll for a stop request now and then (cheap, cooperative).
      if ((++events & 4095) == 0) {
        const bool stop = stop_requested();
        if (stop || (pause && *pause && (*pause)())) {
          paused = true;
          interrupted = stop;
          if (pause && *pause) return true;
          ended = true;
        }
      }
    }
    if (!ended && t > now) now = t;
    return !ended;
  }

  Results finish() {
    paused = false;
    flush_all();
    return results();
  }

  Results run(Tick end, const std::function<bool()>& pause) {
    if (!started) begin(end);
    advance(INT64_MAX, &pause);
    if (paused && pause) return Results{};
    return finish();
  }

  Results results() {
    Results r;
    double window = to_seconds(now - window_start);
    r.window_seconds = window;
    r.end_seconds = to_seconds(now);
    r.interrupted = interrupted;
    r.events = events;
    for (size_t i = 0; i < stations.size(); ++i) {
      StationResult s = stations[i].res;
      for (int k = 0; k < kStateCount; ++k) {
        s.seconds[k] = to_seconds(stations[i].area[k]);
        s.energy_kwh += m.stations[i].power_kw[k] * s.seconds[k] / 3600.0;
      }
      r.stations.push_back(s);
    }
    auto per_second = [&](int64_t area) { return window > 0 ? to_seconds(area) / window : 0.0; };
    for (auto& b : buffers)
      r.buffers.push_back({per_second(b.area), b.out ? b.wait_sum / double(b.out) : 0.0, b.max_len, b.out});
    for (auto& c : conveyors)
      r.buffers.push_back({per_second(c.area), c.out ? c.wait_sum / double(c.out) : 0.0, c.max_len, c.out});
    for (auto& s : sources) r.source_generated.push_back(s.generated), r.source_lost.push_back(s.lost);
    for (size_t i = 0; i < pools.size(); ++i) r.pool_utilization.push_back(per_second(pools[i].busy_area) / m.pools[i].count);
    r.good_parts = good;
    r.scrapped_parts = scrapped;
    r.wip_mean = per_second(wip_area);
    r.lead_times = std::move(lead_times);
    r.departures = departures;
    r.sojourn_mean = departures ? sojourn_sum / double(departures) : 0.0;
    // Little's law bookkeeping: the WIP integral equals the summed time
    // that parts spent in the system inside the window.
    double overlap = overlap_sum;
    for (auto& p : parts)
      if (p.alive) overlap += to_seconds(now - std::max(p.born, window_start));
    double integral = to_seconds(wip_area);
    r.wip_integral_check = integral > 0 ? std::abs(integral - overlap) / integral : 0.0;
    return r;
  }
};

Simulator::Simulator(const Model& model, uint64_t seed, uint64_t replication, Trace* trace, Physical* physical)
    : impl_(std::make_unique<Impl>(model, seed, replication, trace, physical)) {}
Simulator::~Simulator() = default;
void Simulator::begin(Tick end) { impl_->begin(end); }
void Simulator::advance(Tick t) { impl_->advance(t); }
bool Simulator::offer_part(int node, uint32_t part) {
  const bool ok = impl_->offer(uint32_t(node), part, kNone);
  impl_->drain_wakes();
  return ok;
}
void Simulator::retry_physical() { impl_->retry_physical(); }
Results Simulator::finish() { return impl_->finish(); }
State Simulator::station_state(int node) const { return impl_->stations[impl_->m.nodes[node].index].shown; }
int Simulator::part_type(uint32_t part) const { return impl_->parts[part].type; }
uint64_t Simulator::part_id(uint32_t part) const { return impl_->parts[part].id; }

Results Simulator::run(Tick end, const std::function<bool()>& pause) { return impl_->run(end, pause); }
bool Simulator::paused() const { return impl_->paused; }

std::string Simulator::save() const {
  archive::Save a;
  impl_->io(a);
  return std::move(a.bytes);
}

void Simulator::load(const std::string& bytes) {
  archive::Load a{bytes};
  impl_->io(a);
  if (a.left() != 0) throw RuntimeError("process state: bytes left over (not this model's state)");
  // Every stored index must point into this model's arrays.
  const Impl& r = *impl_;
  const size_t nparts = r.parts.size();
  for (uint32_t p : r.free_parts)
    if (p >= nparts) throw RuntimeError("process state: a part index out of range (damaged)");
  for (uint32_t n : r.physical_waiters)
    if (n >= r.m.nodes.size()) throw RuntimeError("process state: an object index out of range (damaged)");
  if (r.nodes.size() != r.m.nodes.size() || r.wake_pending.size() != r.m.nodes.size() ||
      r.stations.size() != r.m.stations.size() || r.pools.size() != r.m.pools.size())
    throw RuntimeError("process state: another model's state");
  impl_->paused = true;
}

Results simulate(const Model& model, uint64_t seed, uint64_t replication, Trace* trace) {
  return Simulator(model, seed, replication, trace).run(model.duration);
}

}  // namespace werk::process
