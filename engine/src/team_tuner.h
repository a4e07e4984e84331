// How many threads a step gets: all the backend may use, or one, whichever
// has lately been faster.
//
// A team pays for every meeting of its threads. On an idle machine two
// threads meet in well under a microsecond and a scene of a few hundred
// parts already gains; on a machine whose cores are busy with other work
// a thread waits at each meeting until the scheduler runs its partner
// again, and the same scene runs several times slower than on one thread.
// Which case holds is a property of the machine at the moment, not of the
// scene, so the engine measures it: every so often it runs a few steps the
// other way (a probe) and compares them with the steps just before (less
// and less often while that way keeps losing badly). Results do not depend
// on the choice (every phase gives the same bits on any number of
// threads), so tuning changes speed only.
#pragma once

#include <algorithm>
#include <chrono>

namespace werk {

class TeamTuner {
 public:
  // Not adaptive: always all threads.
  TeamTuner(int threads, bool adaptive) : threads_(threads), adaptive_(adaptive) {}

  // Threads for the next step.
  int next() {
    if (threads_ <= 1 || !adaptive_) return threads_;
    ++steps_;
    if (probe_left_ == 0 && steps_ >= next_probe_ && recent_count_ == kProbeSteps) {
      probe_left_ = kProbeSteps;
      probe_best_ = -1;
    }
    start_ = std::chrono::steady_clock::now();
    return probe_left_ > 0 ? other(best_) : best_;
  }

  // The step that next() began has ended.
  void done() {
    if (threads_ <= 1 || !adaptive_) return;
    record(std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count());
  }

  // The step that next() began took s seconds (done() measures it).
  void record(double s) {
    if (probe_left_ == 0) {
      recent_[recent_at_] = s;
      recent_at_ = (recent_at_ + 1) % kProbeSteps;
      recent_count_ = std::min(recent_count_ + 1, kProbeSteps);
      return;
    }
    probe_best_ = probe_best_ < 0 ? s : std::min(probe_best_, s);
    if (--probe_left_ > 0) return;
    // The probe's fastest step against the fastest of the steps just
    // before it, which saw nearly the same scene (a pile's steps grow
    // dearer as it settles, so times far apart would not compare). The
    // fastest, because what disturbs a step (an interrupt, a thread
    // scheduled late, the first step of a team woken from sleep) only ever
    // adds time.
    const double before = *std::min_element(recent_, recent_ + kProbeSteps);
    const double ratio = probe_best_ / before;
    if (ratio < 1 - kMargin) {
      best_ = other(best_);
      interval_ = kProbeEvery;
      std::fill(recent_, recent_ + kProbeSteps, probe_best_);  // the new width's, as measured
    } else {
      // A probe that lost badly (a team on a busy machine can be ten
      // times slower) comes back ever later, so that probing costs
      // little; one that came close comes back soon.
      interval_ = ratio > 1.5 ? std::min(2 * interval_, kMaxInterval) : kProbeEvery;
    }
    next_probe_ = steps_ + interval_;
  }

  int threads() const { return threads_; }
  int best() const { return best_; }  // the width chosen when not probing

 private:
  int other(int w) const { return w == 1 ? threads_ : 1; }

  static constexpr int kProbeSteps = 4;           // steps of a probe, and steps before it compared
  static constexpr long long kProbeEvery = 32;    // steps between probes, at first
  static constexpr long long kMaxInterval = 4096;  // ... and at most
  static constexpr double kMargin = 0.05;

  const int threads_;
  const bool adaptive_;
  int best_ = threads_;
  long long steps_ = 0, interval_ = kProbeEvery, next_probe_ = 0;  // the first probe once kProbeSteps are timed
  int probe_left_ = 0;      // steps of the running probe still to come
  double probe_best_ = -1;  // its fastest step so far (s)
  double recent_[kProbeSteps] = {};  // the last steps at the chosen width (s), a ring
  int recent_at_ = 0, recent_count_ = 0;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace werk
