// Headers of pipeline.inl, included at global scope before it.
#pragma once

#include <thrust/copy.h>
#include <thrust/for_each.h>
#include <thrust/iterator/counting_iterator.h>

#include <string>
#include <vector>

#include "backend.h"
#include "kernels/integrate.h"
