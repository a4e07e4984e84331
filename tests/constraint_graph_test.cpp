// Colouring of the contact graph: within a colour no two contacts share a
// dynamic body, every contact gets exactly one colour, and a body with more
// contacts than colours sends the surplus to the serial overflow colour.
#include <catch2/catch.hpp>

#include <algorithm>
#include <random>
#include <vector>

#include "kernels/constraint_graph.h"

using namespace werk;

namespace {

// Checks order/offsets against the rule; returns the number of colours.
int check_coloring(const std::vector<BodyPair>& pairs, const std::vector<float>& inv_mass, int& serial_from) {
  std::vector<uint64_t> masks;
  std::vector<uint8_t> colors;
  std::vector<int32_t> order(pairs.size()), offsets;
  serial_from = greedy_colors(int(pairs.size()), [&](int i) { return pairs[size_t(i)]; }, inv_mass.data(), int(inv_mass.size()), masks, colors,
                              order.data(), offsets);
  const int ncolor = int(offsets.size()) - 1;
  REQUIRE(offsets.front() == 0);
  REQUIRE(offsets.back() == int(pairs.size()));
  std::vector<int> seen(pairs.size(), 0);
  for (int k = 0; k < ncolor; ++k) {
    std::vector<int> owner(inv_mass.size(), -1);
    for (int i = offsets[k]; i < offsets[k + 1]; ++i) {
      const BodyPair p = pairs[order[i]];
      ++seen[order[i]];
      if (k >= serial_from) continue;  // the overflow colour runs in order on one thread
      for (int b : {p.a, p.b}) {
        if (inv_mass[b] == 0.0f) continue;  // static bodies may be shared
        CHECK(owner[b] == -1);
        owner[b] = order[i];
      }
    }
    // Within a colour, contacts keep their original (pair-key) order.
    CHECK(std::is_sorted(order.begin() + offsets[k], order.begin() + offsets[k + 1]));
  }
  CHECK(std::all_of(seen.begin(), seen.end(), [](int s) { return s == 1; }));
  return ncolor;
}

}  // namespace

TEST_CASE("greedy colouring separates contacts that share a dynamic body", "[contact][graph]") {
  // 2000 random contacts among 500 dynamic bodies and one static floor (body 0).
  std::mt19937 rng(7);
  std::vector<float> inv_mass(501, 1.0f);
  inv_mass[0] = 0.0f;
  std::vector<BodyPair> pairs;
  std::uniform_int_distribution<int> body(0, 500);
  for (int i = 0; i < 2000; ++i) {
    int a = body(rng), b = body(rng);
    if (a == b) continue;
    pairs.push_back({a, b});
  }
  int serial_from = 0;
  const int ncolor = check_coloring(pairs, inv_mass, serial_from);
  // A contact conflicts with at most 2 (D - 1) others when the busiest body
  // has D contacts, so greedy first-fit needs at most 2 D - 1 colours.
  std::vector<int> degree(inv_mass.size(), 0);
  for (auto p : pairs) {
    if (inv_mass[p.a] > 0) ++degree[p.a];
    if (inv_mass[p.b] > 0) ++degree[p.b];
  }
  const int max_degree = *std::max_element(degree.begin(), degree.end());
  CHECK(ncolor <= 2 * max_degree - 1);
  CHECK(serial_from == ncolor);  // no overflow
}

TEST_CASE("a body with more contacts than colours overflows into one serial colour", "[contact][graph]") {
  // A dynamic tray (body 1) touched by 100 parts: 64 colours, then overflow.
  std::vector<float> inv_mass(102, 1.0f);
  inv_mass[0] = 0.0f;
  std::vector<BodyPair> pairs;
  for (int p = 2; p < 102; ++p) pairs.push_back({1, p});
  int serial_from = 0;
  const int ncolor = check_coloring(pairs, inv_mass, serial_from);
  CHECK(serial_from == kMaxColors);
  CHECK(ncolor == kMaxColors + 1);
}
