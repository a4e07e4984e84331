// The step pipeline, written once over a Thrust device system.
//
// Included by backend_cpu.cpp (System = OpenMP) and backend_cuda.cu
// (System = CUDA), each inside its own namespace. Every stage is a
// Thrust algorithm over counting iterators calling a kernel from kernels/,
// so both backends run the same arithmetic in the same order per element.
//
// One time step:
//   kinematic placement -> broadphase -> narrowphase -> contact prepare ->
//   substeps { integrate velocity, warm start, solve, integrate pose, relax }
//   -> restitution -> store impulses for warm starting.
// Its headers are in pipeline_deps.h, included first at global scope.

using werk::Quat;
using werk::Vec3;

class Pipeline final : public werk::Backend {
 public:
  template <class T>
  using Vector = typename System::template vector<T>;

  explicit Pipeline(std::string name) : name_(std::move(name)) {}

  void load(const werk::Model& model, const werk::State& state) override {
    model_ = &model;
    nbody_ = model.nbody();
    nworld_ = state.nworld;
    upload(kind_, reinterpret_cast<const std::vector<uint8_t>&>(model.body_kind));
    upload(inv_mass_, model.body_inv_mass);
    upload(inertia_, model.body_inertia);
    upload(inv_inertia_, model.body_inv_inertia);
    upload(pos0_, model.body_pos0);
    upload(quat0_, model.body_quat0);
    upload(vel0_, model.body_vel0);
    upload(angvel0_, model.body_angvel0);
    write_state(state);
  }

  void write_state(const werk::State& s) override {
    upload(pos_, s.body_pos);
    upload(quat_, s.body_quat);
    upload(vel_, s.body_vel);
    upload(angvel_, s.body_angvel);
    step_ = s.step;
  }

  void read_state(werk::State& s) override {
    download(pos_, s.body_pos);
    download(quat_, s.body_quat);
    download(vel_, s.body_vel);
    download(angvel_, s.body_angvel);
    s.step = step_;
    s.time = double(step_) * model_->dt;
  }

  void step(int n) override {
    for (int k = 0; k < n; ++k) step_once();
  }

  werk::StepStats stats() const override { return stats_; }
  size_t device_bytes() const override { return bytes_; }
  std::string name() const override { return name_; }

 private:
  void step_once() {
    const int total = nworld_ * nbody_;
    const int nbody = nbody_;
    const int substeps = model_->substeps;
    const float h = float(model_->dt / substeps);
    const Vec3 g = model_->gravity;
    const werk::BodyParams p = params();
    const werk::BodyState s = state_view();
    auto each = [&](auto&& f) {
      thrust::for_each_n(System::policy(), thrust::counting_iterator<int>(0), total, f);
    };
    for (int sub = 0; sub < substeps; ++sub) {
      // Kinematic bodies sit on their path at the end of each sub-step.
      const double t_end = (double(step_) + double(sub + 1) / substeps) * model_->dt;
      each([=] WERK_HD(int i) { werk::place_kinematic(i, nbody, p, t_end, s); });
      each([=] WERK_HD(int i) { werk::integrate_velocity(i, nbody, p, g, h, s); });
      each([=] WERK_HD(int i) { werk::integrate_pose(i, nbody, p, h, s); });
    }
    ++step_;
  }

  werk::BodyParams params() {
    return {raw(kind_), raw(inv_mass_), raw(inertia_), raw(inv_inertia_),
            raw(pos0_), raw(quat0_),    raw(vel0_),    raw(angvel0_)};
  }
  werk::BodyState state_view() { return {raw(pos_), raw(quat_), raw(vel_), raw(angvel_)}; }

  template <class T>
  static T* raw(Vector<T>& v) {
    return thrust::raw_pointer_cast(v.data());
  }
  template <class T>
  void upload(Vector<T>& d, const std::vector<T>& h) {
    bytes_ -= d.size() * sizeof(T);
    d.assign(h.begin(), h.end());
    bytes_ += d.size() * sizeof(T);
  }
  template <class T>
  static void download(const Vector<T>& d, std::vector<T>& h) {
    h.resize(d.size());
    thrust::copy(d.begin(), d.end(), h.begin());
  }

  std::string name_;
  const werk::Model* model_ = nullptr;
  int nbody_ = 0, nworld_ = 0;
  int64_t step_ = 0;
  size_t bytes_ = 0;
  werk::StepStats stats_;

  // Model arrays mirrored on the device (nbody each).
  Vector<uint8_t> kind_;
  Vector<float> inv_mass_;
  Vector<Vec3> inertia_, inv_inertia_, pos0_, vel0_, angvel0_;
  Vector<Quat> quat0_;
  // State arrays (nworld x nbody).
  Vector<Vec3> pos_, vel_, angvel_;
  Vector<Quat> quat_;
};
