// A small hand-made network in the final layer IR with every layer kind the
// lowering serves: odd channel counts, a non-square input, stride 2 with
// asymmetric TF SAME pads, ReLU, ReLU6 (weights large enough to hit both
// clamps), a padded AvgPool that counts only valid elements, Reshape, FC and
// Softmax. Deterministic weights; memory planned by plan_memory.
#pragma once

#include <cstdint>
#include <vector>

#include "ir/ir.h"

namespace mncc {

Graph make_hand_net();
std::vector<float> hand_net_input();   // deterministic values in [-1, 1]

}  // namespace mncc
