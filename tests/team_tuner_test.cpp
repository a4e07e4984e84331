// The choice between one thread and a team, fed step times rather than
// timing anything: which width wins, and how often it looks again.
#include <catch2/catch.hpp>

#include <functional>

#include "team_tuner.h"

namespace {

// Runs n steps; time(width, step) says how long each takes. Returns how
// many ran on the team.
int run(werk::TeamTuner& tuner, int n, const std::function<double(int, int)>& time) {
  int team = 0;
  for (int k = 0; k < n; ++k) {
    const int width = tuner.next();
    team += width > 1 ? 1 : 0;
    tuner.record(time(width, k));
  }
  return team;
}

}  // namespace

TEST_CASE("the tuner keeps the team where it is faster and one thread where it is not", "[tuner]") {
  SECTION("a team 1.6 times faster keeps nearly every step") {
    werk::TeamTuner tuner(2, true);
    const int team = run(tuner, 1000, [](int w, int) { return w > 1 ? 1.0 : 1.6; });
    CHECK(tuner.best() == 2);
    CHECK(team >= 1000 - 1000 / 32 * 4 - 4);  // only the probes of one thread
  }
  SECTION("a team ten times slower is left, and probed ever more rarely") {
    werk::TeamTuner tuner(2, true);
    const int team = run(tuner, 4000, [](int w, int) { return w > 1 ? 10.0 : 1.0; });
    CHECK(tuner.best() == 1);
    CHECK(team <= 40);  // probes back off: 4 steps each, at 32, 64, 128, ... steps apart
  }
  SECTION("one slow step in a probe does not decide") {
    // The team is faster, but the first step of every team after steps on
    // one thread (a worker woken from sleep) takes three times as long:
    // starting on one thread, the tuner still finds the team.
    werk::TeamTuner tuner(2, true);
    run(tuner, 100, [](int w, int) { return w > 1 ? 5.0 : 1.0; });
    REQUIRE(tuner.best() == 1);
    int last = 1;
    const int team = run(tuner, 2000, [&](int w, int) {
      const double t = w > 1 ? (last == 1 ? 3.0 : 0.7) : 1.0;
      last = w;
      return t;
    });
    CHECK(tuner.best() == 2);
    CHECK(team >= 1600);  // all but the probes of one thread (4 steps in 36) and the wait for the first probe
  }
  SECTION("a scene whose steps grow dearer still compares like with like") {
    // Every step costs more than the one before (a settling pile); the
    // team is 1.3 times faster at any moment.
    werk::TeamTuner tuner(2, true);
    run(tuner, 3000, [](int w, int k) { return (1.0 + 0.001 * k) * (w > 1 ? 1.0 : 1.3); });
    CHECK(tuner.best() == 2);
  }
  SECTION("when the machine gets busy, the tuner moves to one thread and back") {
    werk::TeamTuner tuner(2, true);
    auto busy = [](int k) { return k >= 500 && k < 1500; };
    run(tuner, 500, [](int w, int) { return w > 1 ? 1.0 : 1.5; });
    CHECK(tuner.best() == 2);
    run(tuner, 1000, [&](int w, int k) { return busy(k + 500) && w > 1 ? 4.0 : w > 1 ? 1.0 : 1.5; });
    CHECK(tuner.best() == 1);
    // The team's probes backed off while it lost (to 1024 steps apart by
    // now), so finding it faster again can take that long.
    run(tuner, 2100, [](int w, int) { return w > 1 ? 1.0 : 1.5; });
    CHECK(tuner.best() == 2);
  }
}
