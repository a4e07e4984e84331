// How many threads a step gets: all the backend may use, or one, whichever
// has lately been faster.
//
// A team pays for every meeting of its threads. On an idle machine two
// threads meet in well under a microsecond and a scene of a few hundred
// parts already gains; on a machine whose cores are busy with other work
// a thread waits at each meeting until the scheduler runs its partner
// again, and the same scene runs several times slower than on one thread.
// Which case holds is a property of the machine at the moment, not of the
// scene, so the engine measures it: it times its steps, and every so often
// runs one step the other way (less and less often while that way keeps
// losing badly). Results do not depend on the choice
// (every phase gives the same bits on any number of threads), so tuning
// changes speed only.
#pragma once

#include <algorithm>
#include <chrono>

namespace werk {

class TeamTuner {
 public:
  // Not adaptive: always all threads.
  TeamTuner(int threads, bool adaptive) : threads_(threads), adaptive_(adaptive), width_(threads) {}

  // Threads for the next step.
  int next() {
    if (threads_ <= 1 || !adaptive_) return threads_;
    probing_ = ++steps_ >= next_probe_;
    width_ = probing_ ? other(best_) : best_;
    start_ = std::chrono::steady_clock::now();
    return width_;
  }

  // The step that next() began has ended.
  void done() {
    if (threads_ <= 1 || !adaptive_) return;
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    double& avg = width_ == 1 ? one_ : all_;
    avg = avg < 0 ? s : avg + kWeight * (s - avg);
    if (probing_) {
      // A probe that lost badly (a team on a busy machine can be ten times
      // slower) comes back ever later, so that probing costs little; one
      // that came close comes back soon.
      const double kept = width_ == 1 ? all_ : one_;
      interval_ = kept >= 0 && s > 1.5 * kept ? std::min(2 * interval_, kMaxInterval) : kProbeEvery;
      next_probe_ = steps_ + interval_;
    }
    // Keep the faster by a margin, so that noise does not flip the choice
    // back and forth; an untried width is tried at the next probe.
    if (one_ >= 0 && all_ >= 0) {
      if (best_ == threads_ && one_ < all_ * (1 - kMargin)) best_ = 1, interval_ = kProbeEvery;
      else if (best_ == 1 && all_ < one_ * (1 - kMargin)) best_ = threads_, interval_ = kProbeEvery;
    }
  }

  int threads() const { return threads_; }

 private:
  int other(int w) const { return w == 1 ? threads_ : 1; }

  static constexpr long long kProbeEvery = 16;    // steps between probes, at first
  static constexpr long long kMaxInterval = 4096;  // ... and at most
  static constexpr double kWeight = 0.25;  // of the newest time in the running mean
  static constexpr double kMargin = 0.05;

  const int threads_;
  const bool adaptive_;
  int width_, best_ = threads_;
  long long steps_ = 0, interval_ = kProbeEvery, next_probe_ = 4;  // the first probe soon
  bool probing_ = false;
  double one_ = -1, all_ = -1;  // running mean step time (s) on one thread, on all
  std::chrono::steady_clock::time_point start_;
};

}  // namespace werk
