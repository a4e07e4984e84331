// How many threads a step gets: all the backend may use, or one, whichever
// has lately been faster.
//
// A team pays for every meeting of its threads. On an idle machine two
// threads meet in well under a microsecond and a scene of a few hundred
// parts already gains; on a machine whose cores are busy with other work
// a thread waits at each meeting until the scheduler runs its partner
// again, and the same scene runs several times slower than on one thread.
// Which case holds is a property of the machine at the moment, not of the
// scene, so the engine measures it: every so often it runs one step the
// other way and compares it with the step before (less and less often
// while that way keeps losing badly). Results do not depend on the choice
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
    if (!probing_) {
      last_ = s;
      return;
    }
    // A probe is compared with the step just before it, which saw nearly
    // the same scene (a pile's steps grow dearer as it settles, so times
    // far apart would not compare). The ratio is averaged over probes.
    if (last_ > 0) {
      const double ratio = s / last_;
      ratio_ = ratio_ < 0 ? ratio : ratio_ + kWeight * (ratio - ratio_);
      if (ratio_ < 1 - kMargin) {
        best_ = width_;
        ratio_ = 1 / ratio_;
        interval_ = kProbeEvery;
      } else {
        // A probe that lost badly (a team on a busy machine can be ten
        // times slower) comes back ever later, so that probing costs
        // little; one that came close comes back soon.
        interval_ = ratio > 1.5 ? std::min(2 * interval_, kMaxInterval) : kProbeEvery;
      }
    }
    next_probe_ = steps_ + interval_;
  }

  int threads() const { return threads_; }

 private:
  int other(int w) const { return w == 1 ? threads_ : 1; }

  static constexpr long long kProbeEvery = 16;    // steps between probes, at first
  static constexpr long long kMaxInterval = 4096;  // ... and at most
  static constexpr double kWeight = 0.5;   // of the newest ratio in the running mean
  static constexpr double kMargin = 0.05;

  const int threads_;
  const bool adaptive_;
  int width_, best_ = threads_;
  long long steps_ = 0, interval_ = kProbeEvery, next_probe_ = 4;  // the first probe soon
  bool probing_ = false;
  double last_ = -1;   // time of the last step at the chosen width (s)
  double ratio_ = -1;  // running mean of probe time over the step before it
  std::chrono::steady_clock::time_point start_;
};

}  // namespace werk
