// Small helpers shared by the passes, so each pass reads as its rewrite rule.
#pragma once

#include <string>

#include "ir/ir.h"

namespace mncc {

// Conv2D, DepthwiseConv2D or FullyConnected: the ops that own weights and a bias.
bool is_weighted_layer(Op op);

// The single live consumer of `id`, or -1 if it has none, several, or is the graph output.
int sole_consumer(const Graph& g, int id);

// Marks every node not reachable from the output dead, so consumer counts
// only see the real network (front ends may leave unused constants behind).
void sweep(Graph& g);

// Removes node `id` from the data path: its users read `to` instead.
void bypass(Graph& g, int id, int to);

// Reshape `id` of a Reshape reads the original data instead (a view of a view
// is a view), and disappears if it no longer changes the shape.
void collapse_reshape(Graph& g, int id);

// Per-channel value of a constant that is either a scalar or has `channels` elements.
// Throws mncc::Error naming `n` if it has another size.
double channel_value(const Graph& g, const Node& n, const Tensor& t, int64_t channels, int64_t c);

// The output channel count of a weighted layer (last weight dim).
int64_t out_channels(const Node& n);

std::string error_at(const Graph& g, const Node& n, const std::string& reason);

}  // namespace mncc
