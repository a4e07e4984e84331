// Headers of pipeline.inl, included at global scope before it.
#pragma once

#include <thrust/binary_search.h>
#include <thrust/copy.h>
#include <thrust/count.h>
#include <thrust/fill.h>
#include <thrust/for_each.h>
#include <thrust/functional.h>
#include <thrust/gather.h>
#include <thrust/reduce.h>
#include <thrust/remove.h>
#include <thrust/iterator/counting_iterator.h>
#include <thrust/iterator/permutation_iterator.h>
#include <thrust/scan.h>
#include <thrust/sequence.h>
#include <thrust/sort.h>
#include <thrust/transform_reduce.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include "arena.h"
#include "backend.h"
#include "contact_passes.h"
#include "werk/error.h"
#include "team_tuner.h"
#include "temporary_cache.h"
#include "kernels/constraint_graph.h"
#include "kernels/contact_builder.h"
#include "kernels/integrate.h"
#include "kernels/joint_solver.h"
#include "kernels/pose_phase.h"
#include "kernels/shock_propagation.h"
#include "kernels/sleep.h"
