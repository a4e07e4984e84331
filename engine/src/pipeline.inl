// The step pipeline, written once over a Thrust device system.
//
// Included by backend_cpu.cpp (System = OpenMP) and backend_cuda.cu
// (System = CUDA), each inside its own namespace; its headers are in
// pipeline_deps.h. Every stage is a Thrust algorithm over counting
// iterators calling a kernel from kernels/, so both backends run the same
// arithmetic per element, and every ordering is fixed by sorted keys.
//
// One time step:
//   snapshot -> shape bounds -> broadphase (grid) -> narrowphase (which
//   pairs touch) -> wake -> colouring -> manifolds in colour order ->
//   contact prepare (warm start from last step) ->
//   sub-steps { kinematic placement, gravity, joints, warm start, solve,
//               integrate poses, relax } -> restitution -> remember impulses.

using werk::Quat;
using werk::Vec3;

// Predicates for Thrust algorithms (namespace scope: nvcc's generated
// launch stubs must see them).
struct is_nonzero {
  WERK_HD bool operator()(int32_t v) const { return v != 0; }
};
// make_contact's result for a manifold reused from the step before.
struct is_reused {
  WERK_HD bool operator()(int32_t v) const { return v >= 2; }
};
// A shape instance too large for the grid (no cells) that is not the empty
// box of an inactive body.
struct is_big_shape {
  const int32_t* cells;
  const werk::ShapeBounds* bounds;
  WERK_HD bool operator()(int i) const { return cells[i] == 0 && !werk::is_empty(bounds[i].box); }
};
// A shape instance whose box has left the box the kept pairs were found
// with.
struct box_outside {
  const werk::ShapeBounds* bounds;
  const werk::ShapeBounds* fat;
  WERK_HD bool operator()(int i) const { return !werk::contains(fat[i].box, bounds[i].box); }
};
// A contact of a mixed-mass world with a near-vertical normal: a
// candidate for the shock passes (kernels/shock_propagation.h).
struct is_shock_candidate {
  const werk::Contact* contacts;
  const int32_t* mixed;
  int nbody;
  Vec3 up;
  WERK_HD bool operator()(int i) const {
    return mixed[contacts[i].a / nbody] > 0 && werk::lower_side(contacts[i], up) >= 0;
  }
};
struct contact_world {
  const werk::Contact* contacts;
  int nbody;
  WERK_HD int32_t operator()(int32_t i) const { return contacts[i].a / nbody; }
};
// A step's contact figures, summed in one pass: points, the deepest
// overlap (most negative separation) and the fastest inelastic approach.
struct ContactTally {
  int64_t points;
  float min_separation;
  float max_approach;  // m/s, see werk::kImpactSpeed
  float max_ratio;     // of two moving bodies' masses, see werk::kMixedMassRatio
};
struct tally_contact {
  const werk::Contact* contacts;
  const werk::ContactExtra* extras;  // null when the scene has none
  werk::SolverBodies bodies;
  WERK_HD ContactTally operator()(int i) const {
    const werk::Contact& c = contacts[i];
    float m = 0.0f;
    for (int k = 0; k < c.count; ++k) m = werk::minf(m, c.p[k].separation);
    return {c.count, m, werk::inelastic_approach(c, extras ? &extras[i] : nullptr, bodies), werk::mass_ratio(c, bodies)};
  }
};
struct add_tallies {
  WERK_HD ContactTally operator()(const ContactTally& a, const ContactTally& b) const {
    return {a.points + b.points, werk::minf(a.min_separation, b.min_separation), werk::maxf(a.max_approach, b.max_approach),
            werk::maxf(a.max_ratio, b.max_ratio)};
  }
};

class Pipeline final : public werk::Backend {
 public:
  template <class T>
  using Vector = typename System::template vector<T>;
  // Temporary storage of Thrust algorithms, and the policy that uses it.
  using Cache = werk::TemporaryCache<typename System::base_policy>;
  using Policy = decltype(System::policy(std::declval<Cache&>()));

  explicit Pipeline(std::string name, int threads = 1, bool adaptive = false)
      : name_(std::move(name)), tuner_(threads, adaptive), threads_(threads) {}

  void load(const werk::Model& model, const werk::State& state) override {
    model_ = &model;
    nbody_ = model.nbody();
    nshape_ = model.nshape();
    nworld_ = state.nworld;
    upload(kind_, model.body_kind);
    upload(inv_mass_model_, model.body_inv_mass);
    upload(inertia_, model.body_inertia);
    upload(inv_inertia_, model.body_inv_inertia);
    upload(pos0_, model.body_pos0);
    upload(quat0_, model.body_quat0);
    upload(vel0_, model.body_vel0);
    upload(angvel0_, model.body_angvel0);
    // Inverse masses per global body, so the solver indexes one array.
    std::vector<float> im;
    for (int w = 0; w < nworld_; ++w) im.insert(im.end(), model.body_inv_mass.begin(), model.body_inv_mass.end());
    upload(inv_mass_, im);
    std::vector<uint8_t> dyn;
    for (int w = 0; w < nworld_; ++w)
      for (auto k : model.body_kind) dyn.push_back(k == werk::BodyKind::Dynamic ? 1 : 0);
    upload(dynamic_, dyn);
    // Belts, bouncy materials and rolling friction need per-contact
    // extras; plain parts do not.
    auto any_positive = [](const std::vector<float>& v) { return std::any_of(v.begin(), v.end(), [](float e) { return e > 0.0f; }); };
    has_restitution_ = any_positive(model.material_restitution);
    has_kinematic_ = std::count(model.body_kind.begin(), model.body_kind.end(), werk::BodyKind::Kinematic) > 0;
    has_extra_ = model.nconveyor() > 0 || has_restitution_ || any_positive(model.material_rolling_friction) ||
                 any_positive(model.material_spinning_friction);
    load_shapes(model);
    write_state(state);
  }

  void write_state(const werk::State& s) override {
    upload(pos_, s.body_pos);
    upload(quat_, s.body_quat);
    upload(vel_, s.body_vel);
    upload(angvel_, s.body_angvel);
    upload(conveyor_speed_, s.conveyor_speed);
    upload(joint_target_, s.joint_motor_target);
    joint_impulse_.assign(size_t(nworld_) * model_->njoint(), werk::JointImpulse{});
    // Inactive bodies are held asleep: no integration, no solver mass.
    std::vector<uint8_t> active = s.body_active, asleep(size_t(nworld_) * nbody_, 0);
    if (active.size() != asleep.size()) active.assign(asleep.size(), 1);
    for (size_t i = 0; i < asleep.size(); ++i) asleep[i] = active[i] ? 0 : 1;
    upload(active_, active);
    upload(asleep_, asleep);
    rest_.assign(size_t(nworld_) * nbody_, 0.0f);
    step_ = s.step;
    // A new state has no contact history to warm start from.
    memory_.clear();
    reusable_keys_.clear();
    reusable_.clear();
    impact_steps_.assign(size_t(nworld_), 0);
    impact_bound_ = 0;
  }

  void read_state(werk::State& s) override {
    download(pos_, s.body_pos);
    download(quat_, s.body_quat);
    download(vel_, s.body_vel);
    download(angvel_, s.body_angvel);
    download(conveyor_speed_, s.conveyor_speed);
    download(joint_target_, s.joint_motor_target);
    download(active_, s.body_active);
    s.step = step_;
    s.time = double(step_) * model_->dt;
  }

  // Everything a step hands to the next beyond the State; read and
  // written through this one list.
  template <class F>
  void carried(F f) {
    f("joint_impulse", joint_impulse_);
    f("asleep", asleep_);
    f("rest_time", rest_);
    f("contact_memory", memory_);
    f("manifold_keys", reusable_keys_);
    f("manifolds", reusable_);
    f("impact_steps", impact_steps_);
  }

  void read_memory(werk::SolverMemory& m) override {
    m = werk::SolverMemory{};
    carried([&](const char* name, auto& v) {
      using T = typename std::decay_t<decltype(v)>::value_type;
      std::vector<T> host;
      download(v, host);
      m.names.push_back(name);
      const auto* bytes = reinterpret_cast<const uint8_t*>(host.data());
      m.data.emplace_back(bytes, bytes + host.size() * sizeof(T));
    });
  }

  void write_memory(const werk::SolverMemory& m) override {
    carried([&](const char* name, auto& v) {
      using T = typename std::decay_t<decltype(v)>::value_type;
      size_t k = 0;
      while (k < m.names.size() && m.names[k] != name) ++k;
      if (k == m.names.size() || m.data[k].size() % sizeof(T) != 0)
        throw werk::RuntimeError(std::string("solver memory: expected an array '") + name + "' of " +
                                 std::to_string(sizeof(T)) + "-byte entries, found " +
                                 (k == m.names.size() ? std::string("none") : std::to_string(m.data[k].size()) + " bytes"));
      std::vector<T> host(m.data[k].size() / sizeof(T));
      if (!host.empty()) std::memcpy(static_cast<void*>(host.data()), m.data[k].data(), m.data[k].size());
      upload(v, host);
    });
    // Per-body and per-joint arrays must fit this model and world count.
    const size_t bodies = size_t(nworld_) * nbody_, joints = size_t(nworld_) * model_->njoint();
    if (asleep_.size() != bodies || rest_.size() != bodies || joint_impulse_.size() != joints ||
        impact_steps_.size() != size_t(nworld_))
      throw werk::RuntimeError("solver memory: expected " + std::to_string(bodies) + " bodies, " +
                               std::to_string(joints) + " joints and " + std::to_string(nworld_) +
                               " worlds, found arrays of another size");
    impact_bound_ = int(thrust::reduce(policy(nworld_), impact_steps_.begin(), impact_steps_.end(), int32_t(0), thrust::maximum<int32_t>()));
    host_read();
  }

  void set_conveyor_speed(size_t i, float v) override { conveyor_speed_[i] = v; }
  void set_motor_target(size_t i, float v) override { joint_target_[i] = v; }
  void set_body(size_t i, Vec3 p, Quat q, Vec3 v, Vec3 w) override {
    pos_[i] = p;
    quat_[i] = q;
    vel_[i] = v;
    angvel_[i] = w;
    asleep_[i] = active_[i] ? 0 : 1;
    rest_[i] = 0.0f;
  }
  void set_active(size_t i, bool a) override {
    active_[i] = a ? 1 : 0;
    asleep_[i] = a ? 0 : 1;
    rest_[i] = 0.0f;
  }
  werk::HostState host_state() override {
    if (!System::host_memory) return {};
    return {raw(pos_), raw(quat_), raw(vel_), raw(angvel_), raw(conveyor_speed_), raw(joint_target_), raw(active_)};
  }

  void step(int n) override {
    System::begin_step();
    for (int k = 0; k < n; ++k) {
      threads_ = tuner_.next();
      step_once();
      tuner_.done();
    }
    System::end_step(tuner_.threads());
  }

  werk::StepStats stats() const override { return stats_; }
  size_t device_bytes() const override { return bytes_ + scratch_bytes(); }
  std::string name() const override { return name_; }

  // ---- stages (public: CUDA's extended lambdas may not live in private
  // member functions) ----------------------------------------------------

  void step_once() {
    stats_.launches = stats_.syncs = stats_.allocations = 0;
    const int64_t cache_misses = cache_.allocations();
    const int nbody_total = nworld_ * nbody_;
    const werk::BodyParams p = params();
    const werk::BodyState s = state_view();
    const float dt = float(model_->dt);
    // Snapshot poses and world inverse inertias for the contact solver.
    {
      const Vec3* pos = raw(pos_);
      const Quat* q = raw(quat_);
      Vec3* pos0 = raw(pos_start_);
      Quat* q0 = raw(quat_start_);
      werk::BodyDelta* delta = raw(delta_);
      each(nbody_total, [=] WERK_HD(int i) {
        pos0[i] = pos[i];
        q0[i] = q[i];
        delta[i] = werk::BodyDelta{Vec3{0, 0, 0}, Vec3{0, 0, 0}};
      });
    }
    if (nshape_ > 0) {
      compute_bounds(dt);
      broadphase();
      find_contacts(dt);
    } else {
      ncontact_ = 0;
    }
    if (model_->sleep) wake_bodies();
    set_body_masses();
    if (ncontact_ > 0) {
      color_contacts();
      write_contacts(dt);
      keep_manifolds();
      prepare_contacts();
    } else {
      solver_contacts_.resize(0);
      extras_.resize(0);
      color_offsets_.assign(1, 0);
      serial_from_ = 0;
      stats_.contacts = stats_.manifolds = 0;
      stats_.max_penetration = 0;
      stats_.colors = 0;
      mixed_any_ = false;
      reusable_keys_.resize(0);
      reusable_.resize(0);
      stats_.reused = 0;
    }
    solve_substeps(p, s);
    if (model_->sleep) sleep_bodies(dt);
    remember_contacts();
    stats_.allocations += cache_.allocations() - cache_misses;
    stats_.total_launches += stats_.launches;
    stats_.total_syncs += stats_.syncs;
    stats_.total_allocations += stats_.allocations;
    stats_.threads = threads_;
    stats_.total_team_steps += threads_ > 1 ? 1 : 0;
    stats_.total_mixed_steps += mixed_any_ ? 1 : 0;
    ++step_;
  }

  // Shape frames and motion-grown boxes of every shape instance.
  void compute_bounds(float dt) {
    const int n = nworld_ * nshape_;
    fit(bounds_, n);
    werk::ShapeBounds* out = raw(bounds_);
    const werk::GeometryView g = geometry_;
    const werk::ShapeParams sp{raw(shape_body_), raw(shape_pos_), raw(shape_quat_)};
    const Vec3 *pos = raw(pos_), *vel = raw(vel_), *angvel = raw(angvel_);
    const Quat* quat = raw(quat_);
    const int nshape = nshape_, nbody = nbody_;
    const float margin = speculative_margin_;
    const uint8_t* active = raw(active_);
    each(n, [=] WERK_HD(int i) {
      if (active[werk::instance_body(i, nshape, nbody, sp.body)]) {
        werk::shape_bounds(i, nshape, nbody, g, sp, pos, quat, vel, angvel, dt, margin, out);
      } else {
        out[i] = werk::ShapeBounds{werk::empty_box(), werk::Transform{Vec3{0, 0, 0}, Quat{1, 0, 0, 0}}};
      }
    }, kBoundsCost);
  }

  // The pairs of shapes whose boxes overlap, or more. The grid finds them
  // with every box grown by a slack, and they are kept: while every
  // shape's box lies within its grown box of then, the kept pairs still
  // hold every pair whose boxes overlap. The narrowphase decides which
  // pairs touch, and extra pairs touch nowhere, so a step on kept pairs
  // gives the same result, bit for bit, without the grid. A settled pile
  // keeps its pairs for good; parts on belts find them anew every step or
  // two. A body placed, (de)activated or restored from outside needs no
  // flag: its box leaves its grown box, or the pairs still hold.
  void broadphase() {
    const int n = nworld_ * nshape_;
    const werk::ShapeBounds* bounds = raw(bounds_);
    if (int(fat_bounds_.size()) == n) {
      const int outside = int(thrust::count_if(policy(n), thrust::counting_iterator<int>(0),
                                               thrust::counting_iterator<int>(n), box_outside{bounds, raw(fat_bounds_)}));
      host_read();
      if (outside == 0) return reuse_pairs();
    }
    fit(fat_bounds_, n);
    werk::ShapeBounds* fat = raw(fat_bounds_);
    // Grown by the slack, and ahead of the motion across gravity.
    const float slack = kPairSlack * cell_size_;
    const Vec3* vel = raw(vel_);
    const int32_t* shape_body = raw(shape_body_);
    const int nshape = nshape_, nbody = nbody_;
    const float ahead = float(kPairSteps) * float(model_->dt);
    const Vec3 up = up_direction();
    each(n, [=] WERK_HD(int i) {
      const Vec3 u = vel[werk::instance_body(i, nshape, nbody, shape_body)];
      fat[i] = werk::ShapeBounds{werk::pair_box(bounds[i].box, slack, ahead * (u - werk::dot(u, up) * up)), bounds[i].xf};
    });
    find_pairs(fat);
    fit(kept_pairs_, npair_);
    thrust::copy(policy(npair_), pair_keys_, pair_keys_ + npair_, kept_pairs_.begin());
  }

  // The kept pairs, where find_pairs puts its list.
  void reuse_pairs() {
    const int npair = int(kept_pairs_.size());
    const size_t pair_bytes = size_t(npair) * sizeof(uint64_t);
    const size_t batch_bytes = size_t(std::min(npair, System::narrow_batch)) * sizeof(werk::Contact);
    uint8_t* storage = contact_storage(batch_bytes + pair_bytes + alignof(uint64_t), 0);
    pair_keys_ = werk::aligned_at<uint64_t>(storage, pair_list_offset(npair));
    thrust::copy(policy(npair), kept_pairs_.begin(), kept_pairs_.end(), pair_keys_);
    npair_ = npair;
    stats_.pairs = npair;
  }

  // Grid broadphase over the given boxes: cell entries, sorted; pairs per
  // cell and for big shapes; sorted by pair key. The cell entries, the
  // per-entry pair offsets and the pair list live in the contact buffer's
  // storage (see contact_storage), which is free until the narrowphase
  // writes manifolds: the step's peak memory holds the lists or the
  // manifolds, not both.
  void find_pairs(const werk::ShapeBounds* bounds) {
    const int n = nworld_ * nshape_;
    const float inv_cell = 1.0f / cell_size_;
    fit(shape_cells_, n);
    fit(shape_first_, n);
    int32_t* cells = raw(shape_cells_);
    each(n, [=] WERK_HD(int i) { cells[i] = werk::is_empty(bounds[i].box) ? 0 : werk::cell_count(i, bounds, inv_cell); });
    // Entries are written in shape_order_ (moving shapes first), and the
    // sort below is stable: in every cell the entries of dynamic bodies
    // come first, so the pair search never walks two fixed shapes.
    const int32_t* order = raw(shape_order_);
    int32_t* first_in_order = raw(shape_first_);
    each(n, [=] WERK_HD(int j) { first_in_order[j] = cells[order[j]]; });
    const int nentry = exclusive_scan(first_in_order, first_in_order, n);
    // Big shapes: those that fit no grid. Each is tested against its
    // world's shapes in chunks, one work item per chunk, so no thread walks
    // a whole world.
    fit(big_, n);
    auto big_end = thrust::copy_if(policy(n), thrust::counting_iterator<int>(0), thrust::counting_iterator<int>(n),
                                   big_.begin(), is_big_shape{cells, bounds});
    host_read();
    const int nbig = int(big_end - big_.begin());
    const int nchunk = (nshape_ + werk::kBigPairChunk - 1) / werk::kBigPairChunk;
    const int nwork = nentry + nbig * nchunk;
    const size_t cell_bytes = CellLists::bytes(nentry, nwork);
    CellLists lists = CellLists::at(contact_storage(cell_bytes, 0), nentry);
    {
      const int32_t* first = raw(shape_first_);
      uint64_t* keys = lists.key;
      int32_t* shapes = lists.shape;
      const int nshape = nshape_;
      each(n, [=] WERK_HD(int j) {
        const int i = order[j];
        if (cells[i] > 0) werk::cell_entries(i, nshape, bounds, inv_cell, first[j], keys, shapes);
      });
      thrust::stable_sort_by_key(policy(nentry), keys, keys + nentry, shapes);
    }
    // Count, then write: the pair list has one fixed order.
    const int32_t* big = raw(big_);
    const int32_t* shape_body = raw(shape_body_);
    const uint8_t* kind = raw(kind_);
    const int nshape = nshape_, nbody = nbody_;
    {
      const uint64_t* keys = lists.key;
      const int32_t* shapes = lists.shape;
      int32_t* count = lists.pair_first;  // counts, scanned in place to offsets
      each(nwork, [=] WERK_HD(int e) {
        int c = 0;
        auto tally = [&](uint64_t) { ++c; };
        if (e < nentry)
          werk::cell_pairs(e, nentry, keys, shapes, bounds, inv_cell, nshape, nbody, shape_body, kind, tally);
        else
          werk::big_pairs(big[(e - nentry) / nchunk], (e - nentry) % nchunk, nshape, nbody, bounds, cells, shape_body,
                          kind, tally);
        count[e] = c;
      }, kPairSearchCost);
    }
    const int npair = exclusive_scan(lists.pair_first, lists.pair_first, nwork);
    // The pair list goes at the end of the storage, where the narrowphase
    // batches (from the start) leave it alone; growing keeps the lists.
    const size_t pair_bytes = size_t(npair) * sizeof(uint64_t);
    const size_t batch_bytes = size_t(std::min(npair, System::narrow_batch)) * sizeof(werk::Contact);
    uint8_t* storage = contact_storage(std::max(cell_bytes, batch_bytes) + pair_bytes + alignof(uint64_t), cell_bytes);
    lists = CellLists::at(storage, nentry);
    pair_keys_ = werk::aligned_at<uint64_t>(storage, pair_list_offset(npair));
    npair_ = npair;
    {
      const uint64_t* keys = lists.key;
      const int32_t* shapes = lists.shape;
      const int32_t* first = lists.pair_first;
      uint64_t* out = pair_keys_;
      each(nwork, [=] WERK_HD(int e) {
        int k = first[e];
        auto put = [&](uint64_t key) { out[k++] = key; };
        if (e < nentry)
          werk::cell_pairs(e, nentry, keys, shapes, bounds, inv_cell, nshape, nbody, shape_body, kind, put);
        else
          werk::big_pairs(big[(e - nentry) / nchunk], (e - nentry) % nchunk, nshape, nbody, bounds, cells, shape_body,
                          kind, put);
      }, kPairSearchCost);
    }
    thrust::sort(policy(npair), pair_keys_, pair_keys_ + npair);
    stats_.pairs = npair;
  }

  // Where the pair list of npair keys starts in the contact buffer's
  // storage: at its end, aligned down for 8-byte keys (a manifold's size is
  // not a multiple of 8).
  size_t pair_list_offset(int npair) const {
    return werk::tail_offset(solver_contacts_.capacity() * sizeof(werk::Contact), size_t(npair) * sizeof(uint64_t),
                             alignof(uint64_t));
  }

  // The broadphase's lists in the contact buffer's storage: entry keys,
  // entry shapes, then per-entry pair counts (later offsets) for the
  // nentry entries and the nwork - nentry big-shape chunks.
  struct CellLists {
    uint64_t* key;
    int32_t* shape;
    int32_t* pair_first;
    static size_t bytes(int nentry, int n) { return (size_t(nentry) * 16 + size_t(n) * 4 + 7) / 8 * 8; }
    static CellLists at(uint8_t* storage, int nentry) {
      int32_t* shape = werk::aligned_at<int32_t>(storage, size_t(nentry) * 8);
      return {werk::aligned_at<uint64_t>(storage, 0), shape, shape + nentry};
    }
  };

  // Narrowphase, first pass: which pairs touch (or may touch within the
  // speculative margin). Pairs go through in batches whose manifolds are
  // written to the solver's contact buffer (free until colouring) and
  // dropped; the keys of touching pairs are kept, in pair-key
  // order. write_contacts makes the manifolds again in colour order, so
  // the step holds one contact array, never one as long as the pair list.
  // When the pairs are few (System::keep_pairs: small scenes, often with
  // costly mesh pairs; on the GPU always), the first pass's manifolds are
  // kept instead and only moved into colour order, at the cost of a second,
  // bounded contact array.
  void find_contacts(float dt) {
    const int npair = npair_;
    // Batches fill the storage up to the pair list.
    const int batch = int(pair_list_offset(npair) / sizeof(werk::Contact));
    static_assert(System::keep_pairs <= System::narrow_batch, "kept manifolds come from one batch");
    keep_manifolds_ = npair <= System::keep_pairs;
    if (!keep_manifolds_ && spare_contacts_.capacity() > 0) {
      // Grown past keeping: give the second array back.
      Vector<werk::Contact>().swap(spare_contacts_);
      Vector<werk::ContactExtra>().swap(spare_extras_);
      Vector<int32_t>().swap(contact_pairs_);
      Vector<werk::KeptManifold>().swap(batch_reusable_);
    }
    contact_keys_.resize(0);
    contact_pairs_.resize(0);
    ncontact_ = 0;
    // Where each pair's key goes among last step's kept manifolds.
    fit(kept_place_, npair);
    sorted_search(pair_keys_, npair, PlainKeys{raw(reusable_keys_)}, int(reusable_keys_.size()), raw(kept_place_));
    for (int first = 0; first < npair; first += batch) {
      const int n = std::min(batch, npair - first);
      if (int(solver_contacts_.size()) < n) fit(solver_contacts_, n);
      if (has_extra_ && int(extras_.size()) < n) fit(extras_, n);
      fit(touching_, n);
      if (keep_manifolds_) fit(batch_reusable_, n);
      collide(pair_keys_ + first, nullptr, n, dt, raw(touching_), keep_manifolds_ ? raw(batch_reusable_) : nullptr,
              nullptr, raw(kept_place_) + first);
      const int t = int(thrust::count_if(policy(n), touching_.begin(), touching_.begin() + n, is_nonzero()));
      host_read();
      fit(contact_keys_, ncontact_ + t);
      thrust::copy_if(policy(n), pair_keys_ + first, pair_keys_ + first + n, raw(touching_),
                      contact_keys_.begin() + ncontact_, is_nonzero());
      host_read();  // copy_if returns its end
      if (!keep_manifolds_) {
        // What each touching pair reused, so that write_contacts need not
        // search again.
        fit(touched_, ncontact_ + t);
        thrust::copy_if(policy(n), touching_.begin(), touching_.begin() + n, touched_.begin() + ncontact_, is_nonzero());
        host_read();
      }
      if (keep_manifolds_) {
        fit(contact_pairs_, t);
        thrust::copy_if(policy(n), thrust::counting_iterator<int>(0), thrust::counting_iterator<int>(n),
                        touching_.begin(), contact_pairs_.begin(), is_nonzero());
        host_read();
        fit(next_reusable_, t);
        const int32_t* pairs = raw(contact_pairs_);
        const werk::KeptManifold* made = raw(batch_reusable_);
        werk::KeptManifold* kept = raw(next_reusable_);
        each(t, [=] WERK_HD(int k) { kept[k] = made[pairs[k]]; }, kMoveCost);
      }
      ncontact_ += t;
    }
  }

  // The bodies of touching pair i (in pair-key order), from its key.
  struct ContactBodies {
    const uint64_t* keys;
    const int32_t* shape_body;
    int nshape, nbody;
    WERK_HD werk::BodyPair operator()(int i) const { return werk::pair_bodies(keys[i], nshape, nbody, shape_body); }
  };
  ContactBodies contact_bodies() { return {raw(contact_keys_), raw(shape_body_), nshape_, nbody_}; }

  // The body riding a running belt in touching pair i, or -1 (sleep.h).
  struct BeltRiders {
    const uint64_t* keys;
    const int32_t *shape_body, *shape_conveyor;
    const float* speed;
    int nshape, nbody, nconveyor;
    WERK_HD int operator()(int i) const {
      return werk::belt_rider(keys[i], nshape, nbody, shape_body, shape_conveyor, speed, nconveyor);
    }
  };
  BeltRiders belt_riders() {
    return {raw(contact_keys_), raw(shape_body_), raw(shape_conveyor_), raw(conveyor_speed_), nshape_, nbody_,
            model_->nconveyor()};
  }

  // Second pass: the touching pairs' manifolds, in colour order.
  void write_contacts(float dt) {
    const int n = ncontact_;
    if (keep_manifolds_) {
      // Colour slot k holds the manifold of pair contact_pairs_[order_[k]].
      // As long as the array it swaps with (which the narrowphase's batches
      // then fill without growing it anew).
      fit(spare_contacts_, std::max(size_t(n), solver_contacts_.size()));
      if (has_extra_) fit(spare_extras_, std::max(size_t(n), extras_.size()));
      const int32_t *pairs = raw(contact_pairs_), *order = raw(order_);
      const werk::Contact* made = raw(solver_contacts_);
      werk::Contact* out = raw(spare_contacts_);
      const werk::ContactExtra* made_extra = has_extra_ ? raw(extras_) : nullptr;
      werk::ContactExtra* out_extra = has_extra_ ? raw(spare_extras_) : nullptr;
      each(n, [=] WERK_HD(int k) {
        const int from = pairs[order[k]];
        out[k] = made[from];
        if (out_extra) out_extra[k] = made_extra[from];
      }, kMoveCost);
      solver_contacts_.swap(spare_contacts_);
      if (has_extra_) extras_.swap(spare_extras_);
      return;
    }
    contact_storage(size_t(n) * sizeof(werk::Contact), 0);
    fit(solver_contacts_, n);
    if (has_extra_) fit(extras_, n);
    fit(next_reusable_, n);
    collide(raw(contact_keys_), raw(order_), n, dt, nullptr, raw(next_reusable_), raw(touched_), nullptr);
  }

  // This step's manifolds, by pair key, for the next step to reuse where
  // its shapes have not moved (manifold_reuse.h).
  void keep_manifolds() {
    // make_contact returned 2 or more for a reused manifold.
    const int32_t* results = raw(keep_manifolds_ ? touching_ : touched_);
    const int nresult = keep_manifolds_ ? npair_ : ncontact_;
    stats_.reused = thrust::count_if(policy(nresult), results, results + nresult, is_reused());
    host_read();
    reusable_.swap(next_reusable_);
    fit(reusable_keys_, ncontact_);
    thrust::copy(policy(ncontact_), contact_keys_.begin(), contact_keys_.begin() + ncontact_, reusable_keys_.begin());
  }

  // Manifolds of the n pairs keys[order[k]] (keys[k] without an order)
  // into the solver buffer. Last step's manifolds are reused where the
  // shapes kept still. touching (when given) gets what make_contact
  // returns (0: no points), keep (when given) at order[k] (k) what the
  // next step may reuse. Last step's kept manifold of each pair: what
  // make_contact returned for it before, in touched (when given) at
  // order[k]; else found from its place among the kept keys, in place at
  // k (sorted_search). A first pass whose manifolds are not kept only
  // finds which pairs touch: it writes none.
  void collide(const uint64_t* keys, const int32_t* order, int n, float dt, int32_t* touching, werk::KeptManifold* keep,
               const int32_t* touched, const int32_t* place) {
    werk::Contact* out = raw(solver_contacts_);
    werk::ContactExtra* extra = has_extra_ ? raw(extras_) : nullptr;
    const werk::ShapeBounds* bounds = raw(bounds_);
    const werk::GeometryView g = geometry_;
    const int32_t *shape_body = raw(shape_body_), *shape_material = raw(shape_material_), *shape_conveyor = raw(shape_conveyor_);
    const werk::MaterialView mat{raw(material_friction_), raw(material_restitution_), raw(material_rolling_),
                                 raw(material_spinning_)};
    const Vec3 *pos = raw(pos_), *vel = raw(vel_), *angvel = raw(angvel_);
    const werk::ConveyorView conv = conveyor_view();
    const int nshape = nshape_, nbody = nbody_;
    const float margin = speculative_margin_;
    const werk::KeptManifolds kept{raw(reusable_keys_), raw(reusable_), int(reusable_keys_.size())};
    each(n, [=] WERK_HD(int k) {
      const int slot = order ? order[k] : k;
      const uint64_t key = keys[slot];
      int a = int(key >> 32), b = int(key & 0xffffffffu);
      int32_t t = werk::make_contact(g, a, b, nshape, nbody, bounds, shape_body, shape_material, shape_conveyor, mat, pos,
                                     vel, angvel, conv, dt, margin, kept,
                                     touched ? touched[slot] - 2 : werk::kept_index(kept, key, place[slot]),
                                     keep || !touching ? &out[k] : nullptr, extra ? &extra[k] : nullptr,
                                     keep ? &keep[slot] : nullptr);
      if (touching) touching[k] = t;
    }, kCollideCost);
  }

  // Anchors, masses and warm-start impulses: a manifold's remembered
  // points are found by binary search of last step's sorted memory.
  void prepare_contacts() {
    const int n = ncontact_;
    werk::Contact* c = raw(solver_contacts_);
    werk::ContactExtra* extra = has_extra_ ? raw(extras_) : nullptr;
    const werk::SolverBodies sb = solver_bodies();
    const uint64_t* keys = raw(contact_keys_);
    const int32_t* order = raw(order_);
    const werk::PointMemory* memory = raw(memory_);
    const int nmemory = int(memory_.size());
    const float match = speculative_margin_;
    // Each pair's first remembered point, searched in key order, then read
    // in colour order. The keys and the memory are both sorted: a run of
    // System::search_run keys searches for its first and walks on from
    // there (a GPU thread takes one key: runs of 1).
    fit(memory_first_, n);
    int32_t* first = raw(memory_first_);
    sorted_search(keys, n, MemoryKeys{memory}, nmemory, first);
    // Each manifold's tally too, while it is at hand; their sum is cheap
    // for one thread.
    fit(tallies_, n);
    ContactTally* tallies = raw(tallies_);
    each(n, [=] WERK_HD(int i) {
      const uint64_t key = keys[order[i]];
      const int lo = first[order[i]];
      int count = 0;
      while (count < 4 && lo + count < nmemory && memory[lo + count].key == key) ++count;
      werk::prepare_contact(c[i], extra ? &extra[i] : nullptr, sb, memory + lo, count, match);
      tallies[i] = tally_contact{c, extra, sb}(i);
    }, kPrepareCost);
    const ContactTally tally =
        thrust::reduce(policy(n), tallies_.begin(), tallies_.begin() + n, ContactTally{0, 0.0f, 0.0f, 1.0f}, add_tallies());
    host_read();
    if (tally.max_approach > werk::kImpactSpeed) {
      // The worlds of such contacts relax more often for a while (see
      // werk::kImpactRelaxPasses); every contact of a world stores the same.
      const int32_t steps = int32_t(std::ceil(werk::kImpactRelaxTime / model_->dt));
      int32_t* left = raw(impact_steps_);
      const int nbody = nbody_;
      each(n, [=] WERK_HD(int i) {
        if (werk::inelastic_approach(c[i], extra ? &extra[i] : nullptr, sb) > werk::kImpactSpeed) left[c[i].a / nbody] = steps;
      });
      impact_bound_ = steps;
    }
    // Worlds with mixed masses this step (werk::kMixedMassRatio).
    mixed_any_ = tally.max_ratio >= werk::kMixedMassRatio;
    if (mixed_any_) {
      fit(mixed_, nworld_);
      thrust::fill(policy(nworld_), mixed_.begin(), mixed_.end(), 0);
      int32_t* mixed = raw(mixed_);
      const int nbody = nbody_;
      each(n, [=] WERK_HD(int i) {
        if (werk::mass_ratio(c[i], sb) >= werk::kMixedMassRatio) mixed[c[i].a / nbody] = 1;
      });
      order_shocks();
    }
    stats_.contacts = tally.points;
    stats_.manifolds = n;
    stats_.max_penetration = -tally.min_separation;
  }

  // The sorted lists' keys, one at a time.
  struct MemoryKeys {
    const werk::PointMemory* memory;
    WERK_HD uint64_t operator()(int j) const { return memory[j].key; }
  };
  struct PlainKeys {
    const uint64_t* keys;
    WERK_HD uint64_t operator()(int j) const { return keys[j]; }
  };
  // For each of n sorted keys, where it goes in a sorted list of m
  // (key_at(j): the list's j-th key): out[k] = the first place whose key
  // is not below keys[k]. A run of System::search_run keys searches for
  // its first and walks on from there (a GPU thread takes one key: runs
  // of 1).
  template <class KeyAt>
  void sorted_search(const uint64_t* keys, int n, KeyAt key_at, int m, int32_t* out) {
    constexpr int run = System::search_run;
    each((n + run - 1) / run, [=] WERK_HD(int r) {
      const int begin = r * run, end = begin + run < n ? begin + run : n;
      int lo = 0, hi = m;
      while (lo < hi) {
        const int mid = (lo + hi) / 2;
        if (key_at(mid) < keys[begin]) lo = mid + 1; else hi = mid;
      }
      for (int k = begin; k < end; ++k) {
        while (lo < m && key_at(lo) < keys[k]) ++lo;
        out[k] = lo;
      }
    }, kSearchCost * run);
  }

  // Against gravity (zero without gravity: no shock passes then).
  Vec3 up_direction() const {
    const float gl = werk::length(model_->gravity);
    return gl > 0.0f ? (-1.0f / gl) * model_->gravity : Vec3{0, 0, 0};
  }

  // The shock passes of mixed worlds (kernels/shock_propagation.h): each
  // world's supported near-vertical contacts, bottom of the stack first,
  // in shock_idx_[shock_begin_[w], shock_begin_[w] + shock_count_[w]).
  void order_shocks() {
    nshock_ = 0;
    const Vec3 up = up_direction();
    if (werk::length_sq(up) == 0.0f) return;
    const int n = ncontact_, nbody = nbody_, nworld = nworld_;
    const werk::Contact* c = raw(solver_contacts_);
    fit(shock_idx_, n);
    auto last = thrust::copy_if(policy(n), thrust::counting_iterator<int>(0), thrust::counting_iterator<int>(n),
                                shock_idx_.begin(), is_shock_candidate{c, raw(mixed_), nbody, up});
    host_read();
    nshock_ = int(last - shock_idx_.begin());
    if (nshock_ == 0) return;
    const int m = nshock_;
    fit(shock_world_, m);
    fit(shock_scratch_, m);
    fit(shock_begin_, nworld + 1);
    fit(shock_count_, nworld);
    fit(shock_fired_, nworld);
    fit(support_depth_, size_t(nworld) * nbody);
    fit(support_count_, size_t(nworld) * nbody);
    fit(support_load_, size_t(nworld) * nbody);
    thrust::transform(policy(m), shock_idx_.begin(), shock_idx_.begin() + m, shock_world_.begin(), contact_world{c, nbody});
    thrust::stable_sort_by_key(policy(m), shock_world_.begin(), shock_world_.begin() + m, shock_idx_.begin());
    thrust::lower_bound(policy(nworld + 1), shock_world_.begin(), shock_world_.begin() + m,
                        thrust::counting_iterator<int>(0), thrust::counting_iterator<int>(nworld + 1),
                        shock_begin_.begin());
    int32_t *idx = raw(shock_idx_), *scratch = raw(shock_scratch_), *count = raw(shock_count_);
    const int32_t* begin = raw(shock_begin_);
    const werk::ContactExtra* x = has_extra_ ? raw(extras_) : nullptr;
    const float* inv_mass = raw(inv_mass_);
    uint8_t *depth = raw(support_depth_), *supports = raw(support_count_);
    each(nworld, [=] WERK_HD(int w) {
      count[w] = werk::order_shocks(idx, scratch, begin[w], begin[w + 1], c, x, inv_mass, depth, supports, w * nbody,
                                    nbody, up);
    });
  }

  // Colours and the colour order of contacts, in which write_contacts lays
  // them out, so that every solver pass streams through memory.
  void color_contacts() {
    const int n = ncontact_;
    fit(order_, n);
    if constexpr (System::sequential_coloring) {
      color_offsets_.resize(werk::kMaxColors + 2);
      serial_from_ = werk::greedy_colors(n, contact_bodies(), raw(inv_mass_), nworld_ * nbody_, greedy_masks_,
                                         greedy_colors_, raw(order_), color_offsets_);
    } else {
      claim_colors();
    }
    stats_.colors = int(color_offsets_.size()) - 1;
  }

  // Parallel colouring rounds (see constraint_graph.h): each round every
  // uncoloured contact claims its dynamic bodies for the lowest colour free
  // at both; winners take it. Finished rounds are checked every few rounds
  // (one read-back each); contacts left after the last round, or whose
  // bodies hold every colour, go to the overflow colour, run on one thread.
  // Then contact indices are sorted by colour and the colour offsets read
  // back in one copy.
  void claim_colors() {
    const int n = ncontact_, nbody_total = nworld_ * nbody_;
    fit(color_, n);
    fit(tentative_, n);
    fit(claim_, nbody_total);
    fit(color_mask_, nbody_total);
    thrust::fill(policy(n), color_.begin(), color_.end(), -1);
    thrust::fill(policy(nbody_total), color_mask_.begin(), color_mask_.end(), uint64_t(0));
    int32_t* color = raw(color_);
    unsigned long long* tentative = raw(tentative_);
    unsigned long long* claim = raw(claim_);
    uint64_t* mask = raw(color_mask_);
    const ContactBodies bodies = contact_bodies();
    const float* inv_mass = raw(inv_mass_);
    for (int round = 0; round < werk::kMaxColorRounds;) {
      for (int k = 0; k < werk::kColorRoundsPerCheck; ++k, ++round) {
        thrust::fill(policy(nbody_total), claim_.begin(), claim_.end(), werk::kNoClaim);
        each(n, [=] WERK_HD(int i) { werk::claim_lowest_color(i, bodies(i), inv_mass, mask, color, tentative, claim); });
        each(n, [=] WERK_HD(int i) { werk::take_lowest_color(i, bodies(i), inv_mass, tentative, claim, color, mask); });
      }
      const int remaining = int(thrust::count(policy(n), color_.begin(), color_.end(), -1));
      host_read();
      if (remaining == 0) break;
    }
    each(n, [=] WERK_HD(int i) {
      if (color[i] < 0) color[i] = werk::kMaxColors;
    });
    // Contacts in colour order; colour k starts at the first contact whose
    // colour is at least k.
    fit(order_, n);
    fit(sorted_color_, n);
    thrust::sequence(policy(n), order_.begin(), order_.end());
    thrust::copy(policy(n), color_.begin(), color_.end(), sorted_color_.begin());
    thrust::stable_sort_by_key(policy(n), sorted_color_.begin(), sorted_color_.end(), order_.begin());
    fit(color_bounds_, werk::kMaxColors + 2);
    thrust::lower_bound(policy(n), sorted_color_.begin(), sorted_color_.end(), thrust::counting_iterator<int>(0),
                        thrust::counting_iterator<int>(werk::kMaxColors + 2), color_bounds_.begin());
    color_bounds_host_.resize(werk::kMaxColors + 2);
    thrust::copy(color_bounds_.begin(), color_bounds_.end(), color_bounds_host_.begin());
    host_read();
    // Colours in use are 0 .. ncolor - 1 (a contact takes colour k only when
    // every lower one is held at one of its bodies), then perhaps overflow.
    color_offsets_.clear();
    int k = 0;
    while (k < werk::kMaxColors && color_bounds_host_[k + 1] > color_bounds_host_[k]) color_offsets_.push_back(color_bounds_host_[k++]);
    serial_from_ = int(color_offsets_.size());
    if (n > color_bounds_host_[werk::kMaxColors]) color_offsets_.push_back(color_bounds_host_[werk::kMaxColors]);
    color_offsets_.push_back(n);
  }

  // One solver pass over every colour in turn, as the system runs it (on
  // the CPU a barrier per colour or run of small colours, four manifolds
  // at a time; on CUDA one launch per colour). Colours from serial_from_ on
  // hold contacts that share bodies and run in order on one thread.
  // With packed_ set, the warm-start, solve and relax passes run on the
  // system's lane form of the manifolds (System::PassMemory), packed at the
  // start of the sub-steps and unpacked at their end.
  template <class Team>
  void contact_pass(Team& team, const werk::ContactPass& pass) {
    System::contact_pass(team, color_offsets_, serial_from_, pass, packed_ ? &pass_memory_ : nullptr);
  }

  // The sub-steps run as one region: on the CPU one team of threads for
  // the whole loop, meeting between phases; on the GPU a launch per phase.
  void solve_substeps(const werk::BodyParams& p, const werk::BodyState& s) {
    const int64_t work = int64_t(nworld_) * nbody_ + int64_t(ncontact_) * kContactCost;
    // Mixed-mass worlds' shock passes read and change the manifolds
    // between passes: those steps solve from the manifolds themselves.
    if (ncontact_ > 0 && !mixed_any_) {
      werk::ContactPass plan{};
      plan.c = raw(solver_contacts_), plan.x = has_extra_ ? raw(extras_) : nullptr, plan.sb = solver_bodies();
      packed_ = System::plan_passes(pass_memory_, color_offsets_, serial_from_, plan, raw(kind_), nbody_);
    } else {
      packed_ = false;
    }
    region(work, [&](auto& team) { substeps_on(team, p, s); });
    if (impact_bound_ > 0) {
      int32_t* impact_left = raw(impact_steps_);
      each(nworld_, [=] WERK_HD(int w) {
        if (impact_left[w] > 0) --impact_left[w];
      });
      --impact_bound_;
    }
  }

  // A contact pass costs about this many body updates; a narrowphase
  // pair (a clipped box pair, a hull's separating-axis search), about this
  // many: 64 pairs are worth a team.
  static constexpr int kContactCost = 8;
  static constexpr int kCollideCost = 64;
  // Preparing a manifold (a search of the warm-start memory, effective
  // masses of four points) costs about a quarter of a narrowphase pair
  // (260 ns on CONVEYOR-LINE); remembering its points, a few body updates.
  static constexpr int kPrepareCost = 16;
  static constexpr int kRememberCost = 4;
  // Moving a manifold (a few hundred bytes) into its place.
  static constexpr int kMoveCost = 4;
  // A binary search of the warm-start memory: about 40 ns on
  // CONVEYOR-LINE. A shape's box, about 25 ns.
  static constexpr int kSearchCost = 8;
  static constexpr int kBoundsCost = 8;
  // A grid entry's pair search (the entries after it in its cell, each
  // box tested): about 40 ns on PYRAMID-40, as much as eight body updates.
  static constexpr int kPairSearchCost = 8;
  // The slack of the boxes the kept pairs are found with, in grid cells
  // (the cell is about a moving part's diagonal).
  static constexpr float kPairSlack = 0.25f;
  // A shape's grown box also reaches this many steps ahead of its body's
  // motion across gravity (parts carried along a line, which keep their
  // pairs so for a few steps), not along it (a falling pile's boxes would
  // reach into each other).
  static constexpr int kPairSteps = 4;

  template <class Team>
  void substeps_on(Team& team, const werk::BodyParams& p, const werk::BodyState& s) {
    const int total = nworld_ * nbody_, nbody = nbody_, substeps = model_->substeps;
    const float h = float(model_->dt / substeps), inv_h = 1.0f / h;
    const Vec3 g = model_->gravity;
    const werk::Softness soft = werk::make_soft(werk::kContactHertzPerRate * inv_h, werk::kContactDampingRatio, h);
    const werk::Softness static_soft =
        werk::make_soft(werk::kStaticHertzPerRate * inv_h, werk::kContactDampingRatio, h);
    const werk::Softness joint_soft = werk::make_soft(2.0f * werk::kContactHertzPerRate * inv_h, werk::kJointDampingRatio, h);
    const float stiffer = werk::kMixedHertzScale * inv_h;
    const werk::Softness stiff_soft = werk::make_soft(stiffer * werk::kContactHertzPerRate, werk::kContactDampingRatio, h);
    const werk::Softness stiff_static = werk::make_soft(stiffer * werk::kStaticHertzPerRate, werk::kContactDampingRatio, h);
    werk::Contact* c = raw(solver_contacts_);
    werk::ContactExtra* x = has_extra_ ? raw(extras_) : nullptr;
    const werk::SolverBodies sb = solver_bodies();
    const bool contacts = ncontact_ > 0;
    // Worlds soon after an impact relax more often: the extra passes run
    // only while some world has steps left, and pass over the others.
    const int relax_passes = impact_bound_ > 0 ? werk::kImpactRelaxPasses : 1;
    int32_t* impact_left = raw(impact_steps_);
    const werk::JointParams jp = joint_params();
    // Worlds with mixed masses solve stiffer and more often (kMixedPasses).
    const int32_t* mixed = mixed_any_ ? raw(mixed_) : nullptr;
    auto pass = [&](werk::ContactPass::Kind kind, bool reverse, const int32_t* only = nullptr) {
      werk::ContactPass p{c, x, sb, inv_h, soft, static_soft, kind, reverse, only, nbody};
      p.stiff = mixed, p.stiff_soft = stiff_soft, p.stiff_static = stiff_static;
      return p;
    };
    // Heavy parts on light ones, once more with the light side held
    // (kernels/shock_propagation.h): one thread per world, bottom up.
    const bool shocks = mixed && nshock_ > 0;
    const int32_t* shock_idx = shocks ? raw(shock_idx_) : nullptr;
    const int32_t* shock_begin = shocks ? raw(shock_begin_) : nullptr;
    const int32_t* shock_count = shocks ? raw(shock_count_) : nullptr;
    const uint8_t* supports = shocks ? raw(support_count_) : nullptr;
    float* carried = shocks ? raw(support_load_) : nullptr;
    const float weight_impulse = werk::length(g) * h;
    const Vec3 up = up_direction();
    int32_t* fired = shocks ? raw(shock_fired_) : nullptr;
    // After the relax passes, in a sub-step where a shock acted, the
    // impulses are capped for the warm start.
    auto shock_pass = [&](bool cap, bool reverse) {
      team.each(nworld_, [=] WERK_HD(int w) {
        const int first = shock_begin[w], n = shock_count[w];
        int any = 0;
        for (int j = first; j < first + n; ++j) any |= werk::shock_contact(c[shock_idx[j]], sb, inv_h, up, reverse) ? 1 : 0;
        if (!cap) {
          fired[w] = any;
        } else if (any | fired[w]) {
          werk::cap_shocks(c, shock_idx, first, n, sb.inv_mass, supports, carried, up, weight_impulse);
        }
      });
    };
    const uint8_t* asleep = raw(asleep_);
    werk::Mat3* inv_inertia = raw(world_inv_inertia_);
    werk::BodyDelta* delta = raw(delta_);
    const Vec3* pos0 = raw(pos_start_);
    const Quat* q0 = raw(quat_start_);
    const werk::PosePhase poses{p, s, nbody, h, asleep, pos0, q0, inv_inertia, delta};
    if (packed_) System::pack_passes(team, pass_memory_, pass(werk::ContactPass::Solve, false));
    for (int sub = 0; sub < substeps; ++sub) {
      const double t_end = (double(step_) + double(sub + 1) / substeps) * model_->dt;
      team.each(total, [=] WERK_HD(int i) {
        werk::place_kinematic(i, nbody, p, t_end, s);
        if (!asleep[i]) werk::integrate_velocity(i, nbody, p, g, h, s);
      });
      solve_joints(team, jp, joint_soft, h, true, true);
      // The bodies' positions change in the integration below and, for
      // kinematic bodies, in their placement above: the passes after those
      // see moved bodies, the others the positions of the pass before.
      auto unmoved = [](werk::ContactPass p) { return p.moved = false, p; };
      auto warm = pass(werk::ContactPass::WarmStart, false);
      warm.moved = sub == 0 || has_kinematic_;
      if (contacts) contact_pass(team, warm);
      solve_joints(team, jp, joint_soft, h, true, false);
      const bool reverse = (sub & 1) != 0;
      if (contacts) contact_pass(team, unmoved(pass(werk::ContactPass::Solve, reverse)));
      if (mixed)
        for (int k = 1; k < werk::kMixedPasses; ++k) contact_pass(team, pass(werk::ContactPass::Solve, reverse, mixed));
      if (shocks) shock_pass(false, reverse);
      // Impulses change angular velocity through the inertia of the body's
      // current orientation, or angular momentum would drift.
      System::pose_phase(team, total, poses);
      solve_joints(team, jp, joint_soft, h, false, false);
      if (contacts) contact_pass(team, pass(werk::ContactPass::Relax, reverse));
      if (mixed)
        for (int k = 1; k < werk::kMixedPasses; ++k) contact_pass(team, pass(werk::ContactPass::Relax, reverse, mixed));
      if (contacts)
        for (int k = 1; k < relax_passes; ++k) contact_pass(team, unmoved(pass(werk::ContactPass::Relax, reverse, impact_left)));
      if (shocks) shock_pass(true, reverse);
    }
    if (packed_) System::unpack_passes(team, pass_memory_, pass(werk::ContactPass::Solve, false));
    if (contacts && has_restitution_)
      contact_pass(team, pass(werk::ContactPass::Restitution, false));
  }

  // Solver masses: a sleeping body is immovable until it wakes.
  void set_body_masses() {
    const int n = nworld_ * nbody_, nbody = nbody_;
    const uint8_t* asleep = raw(asleep_);
    const float* im = raw(inv_mass_model_);
    const Vec3* inv_i = raw(inv_inertia_);
    const Quat* q = raw(quat_);
    float* inv_mass = raw(inv_mass_);
    werk::Mat3* out = raw(world_inv_inertia_);
    each(n, [=] WERK_HD(int i) {
      const bool frozen = asleep[i] != 0;
      inv_mass[i] = frozen ? 0.0f : im[werk::model_body(i, nbody)];
      out[i] = werk::world_inv_inertia(q[i], frozen ? Vec3{0, 0, 0} : inv_i[werk::model_body(i, nbody)]);
    });
  }

  // Sleeping bodies touched by moving ones wake before the solve.
  void wake_bodies() {
    const int n = nworld_ * nbody_;
    fit(wake_, n);
    thrust::fill(policy(n), wake_.begin(), wake_.end(), 0);
    const ContactBodies bodies = contact_bodies();
    const uint8_t *dynamic = raw(dynamic_), *asleep_in = raw(asleep_);
    const float* rest = raw(rest_);
    int32_t* wake = raw(wake_);
    each(ncontact_, [=] WERK_HD(int k) { werk::wake_touched(bodies(k), dynamic, asleep_in, rest, wake); });
    if (model_->nconveyor() > 0) {
      const BeltRiders riders = belt_riders();
      each(ncontact_, [=] WERK_HD(int k) {
        const int r = riders(k);
        if (r >= 0 && dynamic[r]) wake[r] = 1;
      });
    }
    uint8_t* asleep = raw(asleep_);
    each(n, [=] WERK_HD(int i) {
      if (wake[i]) asleep[i] = 0;
    });
  }

  // Bodies that rested long enough, with rested neighbours, fall asleep.
  void sleep_bodies(float dt) {
    const int n = nworld_ * nbody_;
    uint8_t* asleep = raw(asleep_);
    const uint8_t* dynamic = raw(dynamic_);
    Vec3 *vel = raw(vel_), *angvel = raw(angvel_);
    float* rest = raw(rest_);
    each(n, [=] WERK_HD(int i) {
      if (dynamic[i]) werk::update_rest_time(i, asleep, vel, angvel, dt, rest);
    });
    fit(restless_, n);
    thrust::fill(policy(n), restless_.begin(), restless_.end(), 0);
    int32_t* restless = raw(restless_);
    const ContactBodies bodies = contact_bodies();
    each(ncontact_, [=] WERK_HD(int k) { werk::mark_restless(bodies(k), dynamic, rest, restless); });
    if (model_->nconveyor() > 0) {
      const BeltRiders riders = belt_riders();
      each(ncontact_, [=] WERK_HD(int k) {
        const int r = riders(k);
        if (r >= 0) restless[r] = 1;
      });
    }
    each(n, [=] WERK_HD(int i) {
      if (dynamic[i] && !asleep[i] && rest[i] >= werk::kTimeToSleep && !restless[i]) {
        asleep[i] = 1;
        vel[i] = Vec3{0, 0, 0};
        angvel[i] = Vec3{0, 0, 0};
      }
    });
  }

  // Joints: one thread per world walks its joints in order.
  template <class Team>
  void solve_joints(Team& team, const werk::JointParams& jp, werk::Softness soft, float h, bool use_bias, bool warm) {
    if (jp.njoint == 0) return;
    werk::JointImpulse* impulse = raw(joint_impulse_);
    const float* target = raw(joint_target_);
    const werk::SolverBodies sb = solver_bodies();
    const int nbody = nbody_;
    team.each(nworld_, [=] WERK_HD(int w) {
      for (int j = 0; j < jp.njoint; ++j)
        werk::solve_joint(j, w, nbody, jp, impulse, sb, soft, h, use_bias, warm, target[w * jp.njoint + j]);
    });
  }

  // Keep the points that pushed, sorted by pair key, for the next warm
  // start: count them per pair (in key order), scan, write.
  void remember_contacts() {
    const int n = ncontact_;
    fit(touching_, n);
    int32_t* first = raw(touching_);
    const werk::Contact* c = raw(solver_contacts_);
    const int32_t* order = raw(order_);
    each(n, [=] WERK_HD(int k) { first[order[k]] = werk::remembered_points(c[k]); }, kRememberCost);
    const int total = n == 0 ? 0 : exclusive_scan(touching_, touching_);
    fit(memory_, total);
    werk::PointMemory* m = raw(memory_);
    const uint64_t* keys = raw(contact_keys_);
    const werk::SolverBodies sb = solver_bodies();
    each(n, [=] WERK_HD(int k) { werk::remember_contact(c[k], keys[order[k]], sb, m + first[order[k]]); }, kRememberCost);
  }

 private:

  // The execution policy of one algorithm launch over n items: counted,
  // with temporaries from the cache, on as many threads as n is worth
  // (System::narrow; one below a threshold, where forking costs more).
  Policy policy(int n) {
    ++stats_.launches;
    System::narrow(threads_, n);
    return System::policy(cache_);
  }
  // The host waits for the device (a value read back).
  void host_read() { ++stats_.syncs; }

  // f(i) for i in [0, n); cost: the item's weight against a light
  // per-body kernel, so that the system can tell what is worth a team.
  template <class F>
  void each(int n, F f, int cost = 1) {
    if (n <= 0) return;
    System::narrow(threads_, int64_t(n) * cost);
    stats_.launches += System::each(System::policy(cache_), threads_, n, int64_t(n) * cost, f);
  }
  // f(team) once, on a team of threads when `work` is worth one (CPU), or
  // with each phase a launch (GPU): see cpu_team.h and gpu_strategy.h.
  template <class F>
  void region(int64_t work, F f) {
    System::narrow(threads_, work);
    stats_.launches += System::region(System::policy(cache_), threads_, work, f);
  }

  // Exclusive prefix sum of n counts into first (which may be counts
  // itself); returns the total (one value read back).
  int exclusive_scan(int32_t* counts, int32_t* first, int n) {
    if (n == 0) return 0;
    const int total = thrust::reduce(policy(n), counts, counts + n, 0);
    host_read();
    thrust::exclusive_scan(policy(n), counts, counts + n, first);
    return total;
  }
  int exclusive_scan(Vector<int32_t>& counts, Vector<int32_t>& first) {
    return exclusive_scan(raw(counts), raw(first), int(counts.size()));
  }

  // Raw storage of the contact buffer, at least `bytes` long, keeping its
  // first `keep` bytes. The buffer is the step's arena: the broadphase's
  // lists live in it until the narrowphase writes manifolds.
  uint8_t* contact_storage(size_t bytes, size_t keep) {
    if (bytes > solver_contacts_.capacity() * sizeof(werk::Contact)) {
      const size_t n = (bytes + sizeof(werk::Contact) - 1) / sizeof(werk::Contact);
      Vector<werk::Contact> grown;
      grown.reserve(with_headroom(n));
      ++stats_.allocations;
      if (keep > 0)
        thrust::copy_n(policy(int(keep / 8)), reinterpret_cast<const uint8_t*>(thrust::raw_pointer_cast(solver_contacts_.data())),
                       keep, reinterpret_cast<uint8_t*>(thrust::raw_pointer_cast(grown.data())));
      solver_contacts_.swap(grown);
    }
    return reinterpret_cast<uint8_t*>(thrust::raw_pointer_cast(solver_contacts_.data()));
  }

  void load_shapes(const werk::Model& m) {
    upload(shape_body_, m.shape_body);
    // Shape instances of dynamic bodies first, then those of fixed ones
    // (static and kinematic), each in index order.
    std::vector<int32_t> order;
    for (int moving = 1; moving >= 0; --moving)
      for (int w = 0; w < nworld_; ++w)
        for (int k = 0; k < int(m.shape_body.size()); ++k)
          if ((m.body_kind[size_t(m.shape_body[size_t(k)])] == werk::BodyKind::Dynamic) == (moving == 1))
            order.push_back(w * int(m.shape_body.size()) + k);
    upload(shape_order_, order);
    upload(shape_pos_, m.shape_pos);
    upload(shape_quat_, m.shape_quat);
    upload(shape_type_, m.shape_type);
    upload(shape_size_, m.shape_size);
    upload(shape_data_begin_, m.shape_data_begin);
    upload(shape_material_, m.shape_material);
    upload(shape_conveyor_, m.shape_conveyor);
    upload(material_friction_, m.material_friction);
    upload(material_restitution_, m.material_restitution);
    // Rolling and spinning friction are optional (0) in a Model built by hand.
    auto per_material = [&](std::vector<float> v) { return v.resize(m.material_friction.size(), 0.0f), v; };
    upload(material_rolling_, per_material(m.material_rolling_friction));
    upload(material_spinning_, per_material(m.material_spinning_friction));
    upload(conveyor_curved_, m.conveyor_curved);
    upload(conveyor_direction_, m.conveyor_direction);
    upload(conveyor_center_, m.conveyor_center);
    upload(conveyor_radius_, m.conveyor_radius);
    upload(joint_kind_, m.joint_kind);
    upload(joint_body_a_, m.joint_body_a);
    upload(joint_body_b_, m.joint_body_b);
    upload(joint_anchor_a_, m.joint_anchor_a);
    upload(joint_anchor_b_, m.joint_anchor_b);
    upload(joint_axis_a_, m.joint_axis_a);
    upload(joint_axis_b_, m.joint_axis_b);
    upload(joint_ref_a_, m.joint_ref_a);
    upload(joint_ref_b_, m.joint_ref_b);
    upload(joint_rel_quat_, m.joint_rel_quat);
    upload(joint_lower_, m.joint_lower);
    upload(joint_upper_, m.joint_upper);
    upload(joint_motor_, m.joint_motor);
    upload(joint_motor_max_, m.joint_motor_max);
    geometry_ = werk::GeometryView{};
    geometry_.shape_type = raw(shape_type_);
    geometry_.shape_size = raw(shape_size_);
    geometry_.shape_data_begin = raw(shape_data_begin_);
    // Mirror every geometry array, by name, as raw bytes. The views are
    // taken only once every copy is in place: growing the list of copies
    // moves them (a device vector's move may reallocate), so a pointer
    // taken while it grows would dangle.
    geometry_bytes_.clear();
    m.geometry.for_each_array([&](const char*, const auto& v) {
      using T = typename std::decay_t<decltype(v)>::value_type;
      const auto* bytes = reinterpret_cast<const uint8_t*>(v.data());
      geometry_bytes_.emplace_back(bytes, bytes + v.size() * sizeof(T));
      bytes_ += v.size() * sizeof(T);
    });
    size_t k = 0;
    m.geometry.for_each_array([&](const char* name, const auto&) {
      werk::geometry_view_set(geometry_, name, raw(geometry_bytes_[k++]));
    });
    choose_grid(m);
    pos_start_.resize(size_t(nworld_) * nbody_);
    quat_start_.resize(size_t(nworld_) * nbody_);
    delta_.resize(size_t(nworld_) * nbody_);
    world_inv_inertia_.resize(size_t(nworld_) * nbody_);
  }

  // Cell size from the sizes of moving shapes: the 90th percentile of
  // their box diagonals, so a typical part covers at most 2 x 2 x 2 cells.
  void choose_grid(const werk::Model& m) {
    const werk::GeometryView host = werk::geometry_view(m);
    std::vector<float> sizes;
    for (int s = 0; s < m.nshape(); ++s) {
      if (m.body_kind[m.shape_body[s]] != werk::BodyKind::Dynamic) continue;
      werk::Aabb b = werk::shape_aabb(host, s, werk::Transform{Vec3{0, 0, 0}, m.shape_quat[s]});
      Vec3 e = b.hi - b.lo;
      sizes.push_back(werk::maxf(e.x, werk::maxf(e.y, e.z)));
    }
    float typical = 1.0f;
    if (!sizes.empty()) {
      std::sort(sizes.begin(), sizes.end());
      typical = sizes[std::min(sizes.size() - 1, size_t(0.9 * double(sizes.size())))];
    }
    // Speculative contacts reach a bit beyond touching: 4% of a typical
    // part, at least 2 mm, at most 4 cm.
    speculative_margin_ = werk::clampf(0.04f * typical, 0.002f, 0.04f);
    cell_size_ = typical + 4.0f * speculative_margin_;
  }

  werk::ConveyorView conveyor_view() {
    return {raw(conveyor_speed_), raw(conveyor_curved_), raw(conveyor_direction_), raw(conveyor_center_),
            raw(conveyor_radius_), model_->nconveyor()};
  }

  werk::JointParams joint_params() {
    return {raw(joint_kind_),   raw(joint_body_a_), raw(joint_body_b_), raw(joint_anchor_a_), raw(joint_anchor_b_),
            raw(joint_axis_a_), raw(joint_axis_b_), raw(joint_ref_a_),  raw(joint_ref_b_),    raw(joint_rel_quat_),
            raw(joint_lower_),  raw(joint_upper_),  raw(joint_motor_),  raw(joint_motor_max_), model_->njoint()};
  }

  werk::SolverBodies solver_bodies() {
    return {raw(vel_), raw(angvel_), raw(delta_), raw(quat_start_), raw(pos_), raw(quat_), raw(inv_mass_),
            raw(world_inv_inertia_)};
  }

  werk::BodyParams params() {
    return {raw(kind_), raw(inv_mass_model_), raw(inertia_), raw(inv_inertia_),
            raw(pos0_), raw(quat0_),          raw(vel0_),    raw(angvel0_)};
  }
  werk::BodyState state_view() { return {raw(pos_), raw(quat_), raw(vel_), raw(angvel_)}; }

  // Resize per-step scratch; growth keeps 1/16 headroom instead of
  // doubling, so capacity tracks the largest step rather than twice it.
  static size_t with_headroom(size_t n) { return n + n / 16; }
  template <class T>
  void fit(Vector<T>& v, size_t n) {
    if (n > v.capacity()) {
      v.reserve(with_headroom(n));
      ++stats_.allocations;
    }
    v.resize(n);
  }

  template <class T>
  static T* raw(Vector<T>& v) {
    return v.empty() ? nullptr : thrust::raw_pointer_cast(v.data());
  }
  template <class T, class U>
  void upload(Vector<T>& d, const std::vector<U>& h) {
    static_assert(sizeof(T) == sizeof(U), "element sizes must match");
    bytes_ -= d.size() * sizeof(T);
    d.resize(h.size());
    if (!h.empty()) thrust::copy(reinterpret_cast<const T*>(h.data()), reinterpret_cast<const T*>(h.data()) + h.size(), d.begin());
    bytes_ += d.size() * sizeof(T);
  }
  template <class T>
  static void download(const Vector<T>& d, std::vector<T>& h) {
    h.resize(d.size());
    if (!d.empty()) thrust::copy(d.begin(), d.end(), h.begin());
  }
  size_t scratch_bytes() const {
    return (bounds_.capacity() + fat_bounds_.capacity()) * sizeof(werk::ShapeBounds) + kept_pairs_.capacity() * 8 +
           (shape_cells_.capacity() + shape_first_.capacity()) * 4 +
           big_.capacity() * 4 +
           touching_.capacity() * 4 +
           (solver_contacts_.capacity() + spare_contacts_.capacity()) * sizeof(werk::Contact) +
           (extras_.capacity() + spare_extras_.capacity()) * sizeof(werk::ContactExtra) +
           (contact_pairs_.capacity() + touched_.capacity() + kept_place_.capacity()) * 4 +
           greedy_masks_.capacity() * sizeof(uint64_t) + greedy_colors_.capacity() + contact_keys_.capacity() * 8 +
           memory_.capacity() * sizeof(werk::PointMemory) + tallies_.capacity() * sizeof(ContactTally) + reusable_keys_.capacity() * 8 +
           (reusable_.capacity() + next_reusable_.capacity() + batch_reusable_.capacity()) * sizeof(werk::KeptManifold) +
           (color_.capacity() + sorted_color_.capacity() + order_.capacity() + memory_first_.capacity()) * 4 +
           (claim_.capacity() + tentative_.capacity() + color_mask_.capacity()) * 8 + color_bounds_.capacity() * 4 +
           cache_.bytes() + (pos_start_.capacity() + world_inv_inertia_.capacity() * 3) * sizeof(Vec3) +
           quat_start_.capacity() * sizeof(Quat) + delta_.capacity() * sizeof(werk::BodyDelta) +
           (wake_.capacity() + restless_.capacity()) * 4 + joint_impulse_.capacity() * sizeof(werk::JointImpulse);
  }

  std::string name_;
  werk::TeamTuner tuner_;  // threads per step: all or one, whichever is faster now
  int threads_ = 1;        // CPU threads for this step (1 on a GPU)
  // Temporary storage of Thrust algorithms, kept from step to step.
  Cache cache_{System::keep_temporaries};
  const werk::Model* model_ = nullptr;
  int nbody_ = 0, nshape_ = 0, nworld_ = 0;
  int64_t step_ = 0;
  size_t bytes_ = 0;
  werk::StepStats stats_;
  float cell_size_ = 1.0f, speculative_margin_ = 0.02f;

  // Model arrays mirrored on the device.
  Vector<uint8_t> kind_;
  Vector<float> inv_mass_model_;
  Vector<Vec3> inertia_, inv_inertia_, pos0_, vel0_, angvel0_;
  Vector<Quat> quat0_;
  Vector<int32_t> shape_body_, shape_data_begin_, shape_material_, shape_conveyor_;
  Vector<werk::ShapeType> shape_type_;
  Vector<Vec3> shape_pos_, shape_size_;
  Vector<Quat> shape_quat_;
  Vector<float> material_friction_, material_restitution_, material_rolling_, material_spinning_;
  Vector<float> conveyor_curved_, conveyor_radius_;
  Vector<Vec3> conveyor_direction_, conveyor_center_;
  Vector<uint8_t> joint_kind_, joint_motor_;
  Vector<int32_t> joint_body_a_, joint_body_b_;
  Vector<Vec3> joint_anchor_a_, joint_anchor_b_, joint_axis_a_, joint_axis_b_, joint_ref_a_, joint_ref_b_;
  Vector<Quat> joint_rel_quat_;
  Vector<float> joint_lower_, joint_upper_, joint_motor_max_, joint_target_;
  Vector<werk::JointImpulse> joint_impulse_;
  std::vector<Vector<uint8_t>> geometry_bytes_;  // mirrored geometry arrays (views taken once all are copied)
  werk::GeometryView geometry_;

  // State (nworld x nbody), conveyor speeds (nworld x nconveyor).
  Vector<Vec3> pos_, vel_, angvel_;
  Vector<Quat> quat_;
  Vector<float> conveyor_speed_, inv_mass_;
  // Sleeping (nworld x nbody): dynamic flag, asleep flag, rest time, scratch;
  // active flag (0: an idle pool body, held asleep and out of the broadphase).
  Vector<uint8_t> dynamic_, asleep_, active_;
  Vector<float> rest_;
  Vector<int32_t> wake_, restless_;

  // Per-step scratch, reused from step to step.
  Vector<Vec3> pos_start_;
  Vector<Quat> quat_start_;
  Vector<werk::BodyDelta> delta_;
  Vector<werk::Mat3> world_inv_inertia_;
  Vector<werk::ShapeBounds> bounds_;
  Vector<int32_t> shape_cells_, shape_first_, big_, touching_;
  Vector<int32_t> shape_order_;            // shape instances of dynamic bodies, then the others (the grid's entry order)
  uint64_t* pair_keys_ = nullptr;          // the broadphase's sorted pairs (in the contact buffer's storage)
  int npair_ = 0;
  Vector<uint64_t> contact_keys_;          // keys of touching pairs, sorted
  Vector<werk::Contact> solver_contacts_;  // manifolds in colour order (and narrowphase scratch)
  Vector<werk::ContactExtra> extras_;      // their extras, when the scene has belts or restitution
  bool has_extra_ = false;
  bool has_restitution_ = false;           // some material bounces: the restitution pass runs
  bool has_kinematic_ = false;             // some body is kinematic: placed anew every sub-step
  typename System::PassMemory pass_memory_;  // the manifolds in the system's lane form, for one step's passes
  bool packed_ = false;                      // this step's passes use pass_memory_
  Vector<int32_t> impact_steps_;           // per world: steps left to relax with kImpactRelaxPasses (carried)
  int impact_bound_ = 0;                   // no world has more steps left than this
  Vector<int32_t> mixed_;                  // per world: mixed masses touch this step (werk::kMixedMassRatio)
  bool mixed_any_ = false;                 // some world has them this step (mixed_ is set only then)
  // Shock passes of mixed worlds (order_shocks), set only when mixed_any_.
  Vector<int32_t> shock_idx_;              // contacts, by world, then bottom up
  Vector<int32_t> shock_world_, shock_scratch_;  // sort keys and order_shocks' working space
  Vector<int32_t> memory_first_;                 // per touching pair (in key order): its first point in memory_
  Vector<ContactTally> tallies_;                 // per manifold (in colour order): its points, depth, approach, masses
  Vector<int32_t> shock_begin_;            // per world (+1): its first entry in shock_idx_
  Vector<int32_t> shock_count_;            // per world: its shock contacts
  Vector<int32_t> shock_fired_;            // per world: a shock acted in this sub-step's solve
  Vector<uint8_t> support_depth_;          // per body: contacts down to something that does not move
  Vector<uint8_t> support_count_;          // per body: shock contacts it rests on
  Vector<float> support_load_;             // per body: impulse it passes down in a sub-step (cap_shocks)
  int nshock_ = 0;                         // candidate contacts this step
  // Manifolds kept from a single narrowphase batch (see find_contacts).
  bool keep_manifolds_ = false;
  Vector<int32_t> contact_pairs_;          // pair index of each touching pair
  Vector<int32_t> touched_;                // make_contact's result for each touching pair (two-pass steps)
  Vector<int32_t> kept_place_;             // per pair: where its key goes among reusable_keys_
  Vector<werk::Contact> spare_contacts_;   // reordering targets, swapped in
  Vector<werk::ContactExtra> spare_extras_;
  Vector<werk::PointMemory> memory_;       // last step's pushing points, by pair key (warm start)
  Vector<uint64_t> reusable_keys_;         // last step's touching pairs, sorted (carried)
  Vector<werk::KeptManifold> reusable_;    // and their manifolds, for reuse (carried)
  Vector<werk::KeptManifold> next_reusable_, batch_reusable_;  // this step's, by touching pair and by pair
  Vector<int32_t> color_, sorted_color_, order_;
  Vector<unsigned long long> claim_;       // per body: the round's lowest claim (parallel colouring)
  Vector<unsigned long long> tentative_;   // per contact: its claim this round (parallel colouring)
  Vector<uint64_t> color_mask_;            // per body: colours taken (parallel colouring)
  Vector<int32_t> color_bounds_;           // first contact of each colour, in colour order
  std::vector<int32_t> color_bounds_host_;
  std::vector<int32_t> color_offsets_{0};
  Vector<werk::ShapeBounds> fat_bounds_;   // the boxes the kept pairs were found with (grown by kPairSlack)
  Vector<uint64_t> kept_pairs_;            // the pairs found with them, sorted
  int serial_from_ = 0;                  // first colour run on one thread
  std::vector<uint64_t> greedy_masks_;   // per body: colours taken (sequential colouring)
  std::vector<uint8_t> greedy_colors_;   // per contact: its colour (sequential colouring)
  int ncontact_ = 0;
};
